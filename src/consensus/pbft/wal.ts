/**
 * Write-ahead log records of the PBFT core. The core emits `persist {record}`
 * and the driver makes it durable before performing any later output of the
 * same step. On restart, `restoreReplica(config, records, committedHeaders)`
 * rebuilds a replica that never contradicts what it signed before the crash:
 *
 * - `viewChange`  it left its view for `view` (never votes in a lower view again);
 * - `newView`     it installed `view` from `base`, with these re-proposals
 *                 (the primary's votes); fresh proposals only above them;
 * - `vote`        it cast its prepare vote for this block at (view, height)
 *                 (a primary: its PRE-PREPARE) - never another block there;
 * - `prepared`    it holds this prepared certificate (reported in VIEW-CHANGE);
 * - `commitVote`  it sent COMMIT for (view, height, headerHash);
 * - `checkpoint`  it knows this stable checkpoint proof;
 * - `reputation`  the reputation state after committing a checkpoint block.
 *
 * Records are self-contained and RLP-encodable (`encodeWalRecord`).
 * `compactWal` drops what a newer record made obsolete; drivers call it when
 * they like (e.g. after each `checkpoint` record).
 */

import { BlockHeaderCodec } from '../../chain/header.ts';
import { MAX_VALIDATORS } from '../../chain/validator-set.ts';
import {
  bytes,
  decode,
  encode,
  hash32,
  type Infer,
  list,
  optional,
  struct,
  uint,
  union,
} from '../../codec/schema.ts';
import { SIGNATURE_BYTES } from '../../crypto/ed25519.ts';
import {
  BlockCodec,
  CheckpointProofCodec,
  MAX_CONSENSUS_MESSAGE_BYTES,
  MAX_WATERMARK_WINDOW,
  PreparedCertificateCodec,
} from './messages.ts';
import { MAX_REPUTATION_EPOCHS } from './reputation.ts';

const signature = bytes({ length: SIGNATURE_BYTES });
const counts = list(uint, MAX_VALIDATORS);

const ReputationSnapshotCodec = struct({
  epochs: list(struct({ fromView: uint, checkpointHeight: uint, penalties: counts }), MAX_REPUTATION_EPOCHS),
  lastView: uint,
  height: uint,
  pending: counts,
});

export const WalRecordCodec = union({
  viewChange: struct({ view: uint }),
  newView: struct({
    view: uint,
    primary: uint,
    base: CheckpointProofCodec,
    reproposals: list(struct({ header: BlockHeaderCodec, primaryVote: signature }), MAX_WATERMARK_WINDOW),
  }),
  vote: struct({
    view: uint,
    height: uint,
    header: BlockHeaderCodec,
    block: optional(BlockCodec),
    primaryVote: signature,
  }),
  prepared: struct({ certificate: PreparedCertificateCodec }),
  commitVote: struct({ view: uint, height: uint, headerHash: hash32 }),
  checkpoint: struct({ proof: CheckpointProofCodec }),
  reputation: struct({ snapshot: ReputationSnapshotCodec }),
});

export type WalRecord = Infer<typeof WalRecordCodec>;

export function encodeWalRecord(record: WalRecord): Uint8Array {
  return encode(WalRecordCodec, record);
}

/** Decodes one record (bounded by the consensus message limit: a record holds at most one block). */
export function decodeWalRecord(input: Uint8Array): WalRecord {
  return decode(WalRecordCodec, input, 'walRecord', MAX_CONSENSUS_MESSAGE_BYTES);
}

function recordHeight(record: WalRecord): number | undefined {
  switch (record.type) {
    case 'vote':
    case 'commitVote':
      return record.height;
    case 'prepared':
      return record.certificate.header.height;
    default:
      return undefined;
  }
}

/**
 * Drops records made obsolete by newer ones: everything at or below the latest
 * stable checkpoint, all but the latest view-change and new-view records, all
 * but the last two checkpoint and reputation records (a driver whose block
 * store lags its WAL by a block still finds one at or below its head), and
 * commit votes of views before the latest installed one. Pure; keeps order.
 */
export function compactWal(records: readonly WalRecord[]): WalRecord[] {
  let stable = 0;
  let latestNewView = -1;
  let latestViewChange = -1;
  const checkpointIdx: number[] = [];
  const reputationIdx: number[] = [];
  records.forEach((r, i) => {
    if (r.type === 'checkpoint') {
      stable = Math.max(stable, r.proof.height);
      checkpointIdx.push(i);
    }
    if (r.type === 'reputation') reputationIdx.push(i);
    if (r.type === 'newView') latestNewView = Math.max(latestNewView, r.view);
    if (r.type === 'viewChange') latestViewChange = Math.max(latestViewChange, r.view);
  });
  const keepCheckpoints = new Set(checkpointIdx.slice(-2));
  const keepReputation = new Set(reputationIdx.slice(-2));
  const keptNewView = { done: false };
  const keptViewChange = { done: false };
  const out: WalRecord[] = [];
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    const height = recordHeight(r);
    if (height !== undefined && height <= stable) continue;
    if (r.type === 'checkpoint' && !keepCheckpoints.has(i)) continue;
    if (r.type === 'reputation' && !keepReputation.has(i)) continue;
    if (r.type === 'newView') {
      if (keptNewView.done || r.view !== latestNewView) continue;
      keptNewView.done = true;
    }
    if (r.type === 'viewChange') {
      if (keptViewChange.done || r.view !== latestViewChange) continue;
      keptViewChange.done = true;
    }
    if (r.type === 'commitVote' && r.view < latestNewView) continue;
    out.push(r);
  }
  return out.reverse();
}
