/** Contracts on chain: deployed by governance, called through the QuickJS sandbox with the caller's on-chain roles. */
export { CHUNK_BYTES } from './chunks.ts';
export {
  contractModule,
  inspectCode,
  MAX_BLOCK_CONTRACT_GAS,
  MAX_CALL_PAYLOAD_BYTES,
} from './contract-module.ts';
export {
  CONTRACT_MODULE,
  type ContractHistoryEntry,
  type ContractRecord,
  type ContractStatus,
  MAX_CONTRACT_HISTORY,
} from './records.ts';
