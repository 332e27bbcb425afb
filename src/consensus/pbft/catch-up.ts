/**
 * Anti-entropy and catch-up bookkeeping: status intervals ("ticks"), when
 * each peer was last heard from (a message of it verified: `verify` checks
 * every peer signature), the committed heights peers report, the block bodies
 * served this tick, and state transfer (asking the driver for committed blocks
 * with their certificates when this replica is behind).
 *
 * Contract: one state-transfer target at a time. A request for a target not
 * above the one in flight is dropped while the `stateTransfer` timer runs; when
 * the timer fires short of the target the request is repeated. A peer is
 * suspected once `SUSPECT_AFTER_TICKS` intervals pass without a message of it
 * that verified; each peer is served a given block body at most once a tick.
 */

import type { Membership } from './membership.ts';
import type { ConsensusMessage } from './messages.ts';
import type { Outbox } from './outbox.ts';
import type { ReplicaConfig } from './types.ts';

/** Status intervals of silence after which a peer is presumed down (see `suspected`). */
export const SUSPECT_AFTER_TICKS = 3;

export class CatchUp {
  private ticks = 0;
  /** The tick at which each peer last sent a message that verified. */
  private readonly lastHeard = new Map<number, number>();
  private readonly peerCommitted = new Map<number, number>();
  private lastTickCommitted = -1;
  private target = 0;
  private readonly servedThisTick = new Set<string>();

  constructor(
    private readonly out: Outbox,
    private readonly members: Membership,
    private readonly config: ReplicaConfig,
  ) {}

  /** Period of the `status` timer. */
  get statusIntervalMs(): number {
    return this.config.statusIntervalMs ?? this.config.parameters.heartbeatTimeoutMs;
  }

  /** Checks a peer's message signature; a message that verifies shows its signer is alive. */
  verify(message: ConsensusMessage): boolean {
    const ok = this.members.verify(message);
    if (ok) this.lastHeard.set(message.signer, this.ticks);
    return ok;
  }

  /**
   * A peer is suspected when no message of it verified for `SUSPECT_AFTER_TICKS`
   * status intervals (every live replica sends STATUS each interval). Used only
   * to shorten the wait for a NEW-VIEW from a primary that is evidently down.
   */
  suspected(peer: number): boolean {
    if (peer === this.members.index) return false;
    return this.ticks - (this.lastHeard.get(peer) ?? 0) >= SUSPECT_AFTER_TICKS;
  }

  /** A verified STATUS: `peer` has committed through `committedHeight`. */
  peerStatus(peer: number, committedHeight: number): void {
    this.peerCommitted.set(peer, committedHeight);
  }

  /** A validator-set change renumbers the validators: forget what was learnt about them. */
  forgetPeers(): void {
    this.peerCommitted.clear();
    this.lastHeard.clear();
  }

  /** Starts a status interval; true when nothing was committed during the previous one. */
  tick(committedHeight: number): boolean {
    this.ticks++;
    this.servedThisTick.clear();
    const stalled = committedHeight === this.lastTickCommitted;
    this.lastTickCommitted = committedHeight;
    return stalled;
  }

  /**
   * Lag: a peer reports commits beyond ours and we made no progress for a whole tick. One claim is
   * enough (transferred blocks carry verified certificates; a lie costs one fetch, bounded by the timer).
   */
  catchUpIfBehind(committedHeight: number, stalled: boolean): void {
    let target = 0;
    for (const h of this.peerCommitted.values()) target = Math.max(target, h);
    if (stalled && target > committedHeight) {
      const peers = [...this.peerCommitted.entries()]
        .filter(([, h]) => h > committedHeight)
        .sort(([, a], [, b]) => b - a)
        .map(([i]) => i);
      this.request(target, peers, committedHeight);
    }
  }

  /** Asks for the committed blocks up to `target` from `peers` (all validators if empty), best first. */
  request(target: number, peers: readonly number[], committedHeight: number): void {
    if (target <= committedHeight) return;
    if (this.target >= target && this.out.isArmed('stateTransfer')) return;
    this.emitRequest(target, peers, committedHeight);
  }

  /** The `stateTransfer` timer fired. */
  retry(committedHeight: number): void {
    if (committedHeight < this.target) {
      this.emitRequest(this.target, [], committedHeight);
    } else {
      this.target = 0;
    }
  }

  /** Transferred blocks were committed (as many as verified). */
  transferred(committedHeight: number): void {
    if (committedHeight >= this.target) {
      this.target = 0;
      this.out.cancelTimer('stateTransfer');
    }
  }

  private emitRequest(target: number, peers: readonly number[], committedHeight: number): void {
    this.target = target;
    const ordered = peers.length > 0 ? peers : this.members.validators.publicKeys.map((_, i) => i);
    this.out.emit({
      type: 'requestStateTransfer',
      fromHeight: committedHeight + 1,
      toHeight: target,
      peers: ordered.filter((i) => i !== this.members.index).map((i) => this.members.keyOf(i)),
    });
    this.out.setTimer('stateTransfer', this.config.parameters.requestTimeoutMs);
  }

  /** Whether the block body `key` (peer/hash) was already sent this tick. */
  servedAlready(key: string): boolean {
    return this.servedThisTick.has(key);
  }

  markServed(key: string): void {
    this.servedThisTick.add(key);
  }
}
