/** The contract sandbox's public surface, for the block executor, the API and deploy tooling. */
export { contractCodeHash } from './code-hash.ts';
export { CONTRACT_TRANSFORM_OPTIONS, type CompiledContract, compileContract } from './compile.ts';
export type { ContractContext, ContractMethod, ContractState, Json } from './contract-api.ts';
export { CONTRACT_ERROR_CODES, type ContractErrorCode, isFatal } from './failures.ts';
export * from './gas.ts';
export * from './limits.ts';
export { MemoryContractHost, receiptDigest } from './memory-host.ts';
export { ContractSandbox, type SandboxOptions } from './sandbox.ts';
export type {
  CallContext,
  CallReceipt,
  CallRequest,
  ContractEvent,
  ContractFailure,
  ContractHost,
  DeployedContract,
  JsonValue,
  StateEntry,
  StateWrite,
} from './types.ts';
