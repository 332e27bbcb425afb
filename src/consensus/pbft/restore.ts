/**
 * Replaying the write-ahead log after a crash: the pieces of replica state
 * that `restoreReplica` rebuilds from WAL records (see `wal.ts` for what each
 * record promises) and the driver's last committed headers.
 *
 * Contract: pure apart from filling the `SlotLog` it is given. The restored
 * replica never contradicts what it signed before the crash: it keeps its
 * prepare and commit votes of the installed view (re-signed: signatures are
 * deterministic, so retransmissions are unchanged) and never votes at or
 * below a height it knows is decided.
 */

import type { BlockHeader } from '../../chain/header.ts';
import { toHex } from '../../codec/bytes.ts';
import { ValidationError } from '../../errors.ts';
import type { Membership } from './membership.ts';
import { headerHashOf } from './messages.ts';
import { genesisReputation, Reputation, type ReputationSnapshot } from './reputation.ts';
import { noteCommitSent, notePrepareSent, notePrimaryVote, type SlotLog } from './slot-log.ts';
import type { WalRecord } from './wal.ts';

export type NewViewRecord = Extract<WalRecord, { type: 'newView' }>;

/**
 * The reputation record at the committed head `headHeight`: the latest WAL
 * snapshot at or below it, then the committed headers above the snapshot.
 */
export function restoreReputation(
  wal: readonly WalRecord[],
  headers: ReadonlyMap<number, BlockHeader>,
  headHeight: number,
  validatorCount: number,
  checkpointInterval: number,
): Reputation {
  const snapshot = latestReputationSnapshot(wal, headHeight, validatorCount);
  const reputation = new Reputation(snapshot, checkpointInterval);
  for (let h = snapshot.height + 1; h <= headHeight; h++) {
    const header = headers.get(h);
    if (!header) {
      throw new ValidationError(
        'CONSENSUS_RESTORE_INCOMPLETE',
        `committed header ${h} is needed to rebuild the reputation record`,
        { hint: 'pass the last 2 x checkpointInterval committed headers, oldest first' },
      );
    }
    reputation.onCommit(h, header.view);
  }
  return reputation;
}

/** The WAL's latest reputation record at or below `height`; genesis's (of `validatorCount`) if none. */
export function latestReputationSnapshot(
  wal: readonly WalRecord[],
  height: number,
  validatorCount: number,
): ReputationSnapshot {
  let snapshot = genesisReputation(validatorCount);
  for (const record of wal) {
    if (record.type === 'reputation' && record.snapshot.height <= height) {
      if (record.snapshot.height >= snapshot.height) snapshot = record.snapshot;
    }
  }
  return snapshot;
}

/**
 * Commits `header` to `reputation` (mutating it) and returns the record in force above it:
 * at a validator-set change (`newSetSize`, the size of the set taking over above this height)
 * the rotation starts afresh over the new set, whose indices differ. `persist`: an epoch closed
 * or the set changed, so the record belongs in the WAL.
 */
export function reputationAfterCommit(
  reputation: Reputation,
  header: Pick<BlockHeader, 'height' | 'view'>,
  newSetSize: number | undefined,
  checkpointInterval: number,
): { readonly reputation: Reputation; readonly persist: boolean } {
  const epoch = reputation.onCommit(header.height, header.view);
  if (newSetSize === undefined) return { reputation, persist: epoch !== undefined };
  const fresh = new Reputation(
    { ...genesisReputation(newSetSize), height: header.height, lastView: header.view },
    checkpointInterval,
  );
  return { reputation: fresh, persist: true };
}

/**
 * The reputation record after committing `headers` (consecutive, oldest first) on top of
 * `start`, as a replica committing them one by one would hold it: what a node that installs
 * a state snapshot (and so commits no block below it) writes to its WAL.
 */
export function reputationThrough(
  start: ReputationSnapshot,
  headers: Iterable<Pick<BlockHeader, 'height' | 'view'>>,
  checkpointInterval: number,
  newSetSizeAt: (height: number) => number | undefined,
): ReputationSnapshot {
  let reputation = new Reputation(start, checkpointInterval);
  for (const header of headers) {
    reputation = reputationAfterCommit(
      reputation,
      header,
      newSetSizeAt(header.height),
      checkpointInterval,
    ).reputation;
  }
  return reputation.snapshot();
}

/** The last view installed (its NEW-VIEW record) and the last view change started (-1 if none). */
export function latestViews(wal: readonly WalRecord[]): {
  readonly lastNewView: NewViewRecord | undefined;
  readonly lastViewChange: number;
} {
  let lastNewView: NewViewRecord | undefined;
  let lastViewChange = -1;
  for (const record of wal) {
    if (record.type === 'newView' && (!lastNewView || record.view > lastNewView.view)) lastNewView = record;
    if (record.type === 'viewChange') lastViewChange = Math.max(lastViewChange, record.view);
  }
  return { lastNewView, lastViewChange };
}

/** Block bodies this replica voted for, and its highest-view prepared certificate above `lowWatermark` per height. */
export function restoreBodiesAndCertificates(
  wal: readonly WalRecord[],
  log: SlotLog,
  lowWatermark: number,
): void {
  for (const record of wal) {
    if (record.type === 'vote' && record.block)
      log.storeBlock(toHex(headerHashOf(record.header)), record.block);
    if (record.type === 'prepared') {
      const cert = record.certificate;
      const h = cert.header.height;
      if (h > lowWatermark && (log.preparedCertificate(h)?.view ?? -1) < cert.view) {
        log.setPrepared(h, cert);
      }
    }
  }
}

/** The installed view whose slots `rebuildSlots` restores. */
export interface InstalledView {
  readonly view: number;
  readonly primary: number;
  /** The record of the NEW-VIEW that installed it (none for view 0). */
  readonly newView: NewViewRecord | undefined;
  /** Heights at or below this are decided: no slots there. */
  readonly decidedThrough: number;
}

/** Normal phase in the installed view: rebuilds its slots from the records. */
export function rebuildSlots(
  wal: readonly WalRecord[],
  log: SlotLog,
  members: Membership,
  installed: InstalledView,
): void {
  const { view, primary, decidedThrough } = installed;
  const me = members.index;
  if (installed.newView) {
    installed.newView.reproposals.forEach(({ header, primaryVote }) => {
      if (header.height <= decidedThrough) return;
      const slot = log.slot(header.height);
      log.acceptHeader(slot, header, true);
      notePrimaryVote(slot, primary, primaryVote);
      if (primary === me) slot.voted = true;
    });
  }
  for (const record of wal) {
    if (record.type === 'vote' && record.view === view && record.height > decidedThrough) {
      const slot = log.slot(record.height);
      if (!slot.hex) log.acceptHeader(slot, record.header, false);
      if (record.block) slot.block = record.block;
      notePrimaryVote(slot, primary, record.primaryVote);
      slot.voted = true;
      // Rebuild what we said, to retransmit it unchanged (signatures are deterministic).
      if (primary === me && record.block) {
        slot.prePrepare = {
          body: { type: 'prePrepare', view, height: record.height, block: record.block },
          signer: me,
          signature: record.primaryVote,
        };
      } else if (members.isValidator) {
        notePrepareSent(
          slot,
          members.sign({ type: 'prepare', view, height: record.height, headerHash: slot.digest! }),
        );
      }
    }
  }
  for (const record of wal) {
    if (record.type === 'prepared' && record.certificate.view === view) {
      const slot = log.get(record.certificate.header.height);
      if (slot?.hex === toHex(headerHashOf(record.certificate.header))) {
        slot.prepared = true;
        for (const vote of record.certificate.votes) {
          slot.prepareVotes.set(vote.validator, { hex: slot.hex, vote });
        }
      }
    }
    if (record.type === 'commitVote' && record.view === view) {
      const slot = log.get(record.height);
      if (slot && slot.hex === toHex(record.headerHash)) {
        noteCommitSent(
          slot,
          members.sign({ type: 'commit', view, height: record.height, headerHash: record.headerHash }),
        );
      }
    }
  }
}
