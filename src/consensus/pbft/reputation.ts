/**
 * Reputation-weighted primary rotation (seed 003 §1.3.2 / §4.3.2: a dynamic,
 * reputation-weighted election with a pre-selected next primary).
 *
 * Everything here is a pure function of committed headers, so every replica
 * that committed the same chain computes the same primary for every view.
 *
 * - **Penalties.** Headers record the view a block was first proposed in
 *   (`header.view`), which never decreases along the chain. When committed
 *   block n has `header.view` greater than block n-1's, every view in
 *   `[view(n-1), view(n))` ended in a view change; the primary of each such
 *   view (computed with the epoch in force for it) gets `PENALTY_PER_VIEW_CHANGE`
 *   points. At most `MAX_PENALISED_VIEWS_PER_BLOCK` views are charged per block.
 * - **Epochs.** Points accumulate between checkpoints. Committing checkpoint
 *   block s (height a multiple of K) closes an epoch: every validator's points
 *   are halved (forgiveness) and the new ones added, capped at `MAX_PENALTY`.
 *   The new record is in force for views greater than `header(s).view`.
 * - **Rotation.** Validator i gets weight `max(1, MAX_WEIGHT - points_i)`; the
 *   schedule is the smooth weighted round-robin sequence of those weights (with
 *   equal weights: 0, 1, ..., n-1, 0, 1, ...), and `primaryOf(v)` is entry
 *   `v mod length`. Every validator keeps at least one turn, so some correct
 *   validator is always scheduled within one cycle (liveness), while one that
 *   caused view changes recently gets fewer turns.
 *
 * The record a replica uses for view v depends on the checkpoints it has
 * committed: a replica that lags may disagree about the primary until it
 * catches up. That costs liveness only; safety never depends on who the
 * primary is (see docs/protocol.md).
 */

import { assert } from '../../errors.ts';

export const REPUTATION_MAX_WEIGHT = 4;
export const PENALTY_PER_VIEW_CHANGE = 2;
export const MAX_PENALTY = 8;
export const MAX_PENALISED_VIEWS_PER_BLOCK = 16;
/** Epochs kept; older views fall back to the oldest kept epoch (deterministically, on every replica). */
export const MAX_REPUTATION_EPOCHS = 8;

export interface ReputationEpoch {
  /** First view this record is in force for. */
  readonly fromView: number;
  /** The checkpoint height that closed the previous epoch (0 for genesis). */
  readonly checkpointHeight: number;
  /** Penalty points per validator index. */
  readonly penalties: number[];
}

export interface ReputationSnapshot {
  readonly epochs: ReputationEpoch[];
  /** `header.view` of the last committed block folded in. */
  readonly lastView: number;
  /** Height of the last committed block folded in. */
  readonly height: number;
  /** Points accumulated since the last checkpoint. */
  readonly pending: number[];
}

/** The smooth weighted round-robin sequence for `weights` (deterministic; length = sum of weights). */
export function weightedSchedule(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out: number[] = [];
  for (let slot = 0; slot < total; slot++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    out.push(best);
  }
  return out;
}

export function genesisReputation(validatorCount: number): ReputationSnapshot {
  const zeros = new Array<number>(validatorCount).fill(0);
  return {
    epochs: [{ fromView: 0, checkpointHeight: 0, penalties: zeros }],
    lastView: 0,
    height: 0,
    pending: zeros,
  };
}

export class Reputation {
  private epochs: ReputationEpoch[];
  private pending: number[];
  private lastView: number;
  private lastHeight: number;
  private readonly schedules = new WeakMap<ReputationEpoch, number[]>();

  constructor(
    snapshot: ReputationSnapshot,
    private readonly checkpointInterval: number,
  ) {
    assert(snapshot.epochs.length > 0, 'reputation needs at least one epoch');
    this.epochs = [...snapshot.epochs];
    this.pending = [...snapshot.pending];
    this.lastView = snapshot.lastView;
    this.lastHeight = snapshot.height;
  }

  get height(): number {
    return this.lastHeight;
  }

  snapshot(): ReputationSnapshot {
    return {
      epochs: [...this.epochs],
      lastView: this.lastView,
      height: this.lastHeight,
      pending: [...this.pending],
    };
  }

  /**
   * The record in force for `view`: the latest epoch whose `fromView` is at
   * most `view` and whose closing checkpoint is at most `stableHeight` (the
   * replica's highest stable checkpoint it has reached). Requiring stability
   * makes replicas agree: a checkpoint one replica committed but that is not
   * yet stable anywhere does not change the rotation, and stable checkpoint
   * proofs travel in VIEW-CHANGE messages, so lagging replicas learn them.
   */
  epochFor(view: number, stableHeight = Number.POSITIVE_INFINITY): ReputationEpoch {
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      const epoch = this.epochs[i]!;
      if (epoch.fromView <= view && epoch.checkpointHeight <= stableHeight) return epoch;
    }
    return this.epochs[0]!;
  }

  /**
   * Validator index of the primary of `view`: a pure function of the
   * validator count, the committed headers and (through `stableHeight`) the
   * replica's stable checkpoint.
   */
  primaryOf(view: number, stableHeight = Number.POSITIVE_INFINITY): number {
    const epoch = this.epochFor(view, stableHeight);
    let schedule = this.schedules.get(epoch);
    if (!schedule) {
      schedule = weightedSchedule(epoch.penalties.map((p) => Math.max(1, REPUTATION_MAX_WEIGHT - p)));
      this.schedules.set(epoch, schedule);
    }
    return schedule[view % schedule.length]!;
  }

  /**
   * Folds in committed block `height` first proposed in `headerView`. Returns
   * the closed epoch when `height` is a checkpoint.
   */
  onCommit(height: number, headerView: number): ReputationEpoch | undefined {
    assert(height === this.lastHeight + 1, `reputation fed height ${height} after ${this.lastHeight}`);
    if (headerView > this.lastView) {
      const until = Math.min(headerView, this.lastView + MAX_PENALISED_VIEWS_PER_BLOCK);
      // Attribution uses the chain-only schedule (every epoch committed so far), so it is deterministic.
      for (let v = this.lastView; v < until; v++) this.pending[this.primaryOf(v)]! += PENALTY_PER_VIEW_CHANGE;
    }
    this.lastView = Math.max(this.lastView, headerView);
    this.lastHeight = height;
    if (height % this.checkpointInterval !== 0) return undefined;
    const previous = this.epochs[this.epochs.length - 1]!;
    const epoch: ReputationEpoch = {
      fromView: this.lastView + 1,
      checkpointHeight: height,
      penalties: previous.penalties.map((p, i) =>
        Math.min(MAX_PENALTY, Math.floor(p / 2) + this.pending[i]!),
      ),
    };
    this.pending = this.pending.map(() => 0);
    this.epochs.push(epoch);
    if (this.epochs.length > MAX_REPUTATION_EPOCHS) this.epochs.shift();
    return epoch;
  }
}
