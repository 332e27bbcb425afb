/**
 * Stateless checks of the replica: its configuration, the shape of a block a
 * primary proposes, and the block the node built for a `propose` output.
 *
 * Contract: `validateConfig` and `checkProposal` throw `ValidationError`
 * (configuration and driver mistakes are bugs to fix, not peer faults);
 * `blockShapeOk` answers false for a block no correct primary sends, which is
 * provable misbehaviour of its proposer.
 */

import { equalBytes } from '../../codec/bytes.ts';
import { ValidationError } from '../../errors.ts';
import { batchBytes, MAX_BATCH_BYTES, MAX_BATCH_TXS, MAX_WATERMARK_WINDOW } from './messages.ts';
import type { Block, ReplicaConfig } from './types.ts';

export function validateConfig(config: ReplicaConfig): void {
  const p = config.parameters;
  const bad = (message: string): never => {
    throw new ValidationError('CONSENSUS_CONFIG_INVALID', message, {
      hint: 'fix the consensus parameters in the genesis file',
    });
  };
  if (config.genesis.height !== 0) bad('the genesis header must have height 0');
  if (config.genesis.chainId !== config.chainId) bad('the genesis header names another chain');
  if (!Number.isSafeInteger(p.checkpointInterval) || p.checkpointInterval < 1)
    bad('checkpointInterval must be >= 1');
  if (p.watermarkWindow < p.checkpointInterval) bad('watermarkWindow must be >= checkpointInterval');
  if (p.watermarkWindow > MAX_WATERMARK_WINDOW) bad(`watermarkWindow must be <= ${MAX_WATERMARK_WINDOW}`);
  if (p.maxBatchCount < 1 || p.maxBatchCount > MAX_BATCH_TXS)
    bad(`maxBatchCount must be 1..${MAX_BATCH_TXS}`);
  if (p.maxBatchBytes < 1 || p.maxBatchBytes > MAX_BATCH_BYTES)
    bad(`maxBatchBytes must be 1..${MAX_BATCH_BYTES}`);
  if (p.heartbeatTimeoutMs <= p.heartbeatIntervalMs)
    bad('heartbeatTimeoutMs must exceed heartbeatIntervalMs');
  const grace = config.startupGraceMs ?? 0;
  if (!Number.isFinite(grace) || grace < 0) bad('startupGraceMs must be a finite number >= 0');
}

/**
 * Shape checks any correct primary's block at `height` passes (signed by the
 * set with hash `validatorSetHash`); failing one is provable misbehaviour.
 */
export function blockShapeOk(
  config: ReplicaConfig,
  block: Block,
  height: number,
  validatorSetHash: Uint8Array,
): boolean {
  const h = block.header;
  const p = config.parameters;
  return (
    h.height === height &&
    h.chainId === config.chainId &&
    equalBytes(h.validatorSetHash, validatorSetHash) &&
    block.txs.length <= p.maxBatchCount &&
    batchBytes(block.txs) <= p.maxBatchBytes &&
    equalBytes(h.transactionsRoot, config.transactionsRoot(block.txs))
  );
}

/** What a `propose` output asked for. */
export interface ProposalRequest {
  readonly height: number;
  /** The parent the block must extend; undefined if it is no longer known. */
  readonly parent: Uint8Array | undefined;
  readonly view: number;
  readonly validatorSetHash: Uint8Array;
}

/** Throws `CONSENSUS_BAD_PROPOSAL` unless the node built `block` exactly as `request` asked. */
export function checkProposal(config: ReplicaConfig, block: Block, request: ProposalRequest): void {
  const header = block.header;
  const p = config.parameters;
  const { height, parent, view } = request;
  const problems: string[] = [];
  if (header.height !== height) problems.push(`height ${header.height} != ${height}`);
  if (!parent || !equalBytes(header.parentHash, parent))
    problems.push('parentHash is not the requested parent');
  if (header.view !== view) problems.push(`view ${header.view} != ${view}`);
  if (!equalBytes(header.proposer, config.publicKey)) problems.push('proposer is not this replica');
  if (header.chainId !== config.chainId) problems.push('chainId differs');
  if (!equalBytes(header.validatorSetHash, request.validatorSetHash))
    problems.push('validatorSetHash differs');
  if (!equalBytes(header.transactionsRoot, config.transactionsRoot(block.txs)))
    problems.push('transactionsRoot does not match the txs');
  if (block.txs.length > p.maxBatchCount || batchBytes(block.txs) > p.maxBatchBytes)
    problems.push('batch over maxBatchCount / maxBatchBytes');
  if (problems.length > 0) {
    throw new ValidationError(
      'CONSENSUS_BAD_PROPOSAL',
      `proposal for height ${height}: ${problems.join('; ')}`,
      {
        hint: "the node must build the block exactly as the core's propose output asked",
      },
    );
  }
}
