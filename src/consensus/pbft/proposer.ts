/**
 * The primary's batching: when to ask the node for a block (`propose`), the
 * one request in flight, the next height to propose, and whether a heartbeat
 * is due because nothing else went out.
 *
 * Contract: at most one `propose` is outstanding; an answer for another height
 * is stale and ignored. A batch is requested once the pending requests fill
 * it, or when the `batch` timer (`maxBatchAgeMs`, armed at the first pending
 * request) fires. If the node built nothing although it reported work, the
 * next request waits for the batch timer, so repeated empty builds cannot keep
 * the node busy and starve its event loop. The replica decides whether this
 * replica is primary and which parent a proposal extends.
 */

import type { ConsensusParameters } from '../../chain/genesis.ts';
import type { Outbox } from './outbox.ts';
import type { Block } from './types.ts';

export class Proposer {
  private next = 1;
  private awaiting: number | null = null;
  private sentSinceHeartbeat = false;
  private pending = { count: 0, bytes: 0 };
  private batchExpired = false;
  /** The node built nothing for the last proposal although work was reported. */
  private cameBackEmpty = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly parameters: ConsensusParameters,
  ) {}

  /** The height the next proposal is for. */
  get nextHeight(): number {
    return this.next;
  }

  /** Whether a `propose` output is unanswered. */
  get busy(): boolean {
    return this.awaiting !== null;
  }

  get hasPendingRequests(): boolean {
    return this.pending.count > 0;
  }

  /** The node's `requestsPending` report. */
  setPending(count: number, bytes: number): void {
    this.pending = { count, bytes };
  }

  /** Proposals continue at `height` (or later, if they already are). */
  continueAt(height: number): void {
    this.next = Math.max(this.next, height);
  }

  /** Forgets the request in flight and the batch state (the view changed); proposals resume at `height`. */
  restartAt(height: number): void {
    this.next = height;
    this.reset();
  }

  /** Forgets the request in flight and the batch state (the view changed). */
  reset(): void {
    this.awaiting = null;
    this.batchExpired = false;
    this.cameBackEmpty = false;
  }

  batchTimerFired(): void {
    this.batchExpired = true;
  }

  /**
   * Height `nextHeight` may be proposed on `parentHash` in `view`: asks the node
   * for a block when a batch is ready, arms the batch timer when one is filling.
   */
  offer(view: number, parentHash: Uint8Array): void {
    const height = this.next;
    if (this.pending.count === 0) {
      this.batchExpired = false;
      this.cameBackEmpty = false;
      this.outbox.cancelTimer('batch');
      return;
    }
    const p = this.parameters;
    const full = this.pending.count >= p.maxBatchCount || this.pending.bytes >= p.maxBatchBytes;
    if ((full && !this.cameBackEmpty) || this.batchExpired) {
      this.outbox.cancelTimer('batch');
      this.batchExpired = false;
      this.cameBackEmpty = false;
      this.awaiting = height;
      this.outbox.emit({
        type: 'propose',
        height,
        view,
        parentHash,
        maxCount: p.maxBatchCount,
        maxBytes: p.maxBatchBytes,
      });
      return;
    }
    if (!this.outbox.isArmed('batch')) this.outbox.setTimer('batch', p.maxBatchAgeMs);
  }

  /** The node's `proposal` answer: the block to check and propose, or undefined (stale or empty). */
  answer(height: number, block: Block | null): Block | undefined {
    if (this.awaiting !== height) return undefined; // stale: the view changed meanwhile
    this.awaiting = null;
    if (!block) {
      this.cameBackEmpty = true;
      return undefined;
    }
    return block;
  }

  /** The PRE-PREPARE for `height` went out. */
  proposed(height: number): void {
    this.sentSinceHeartbeat = true;
    this.next = height + 1;
    this.pending = { count: 0, bytes: 0 }; // the node reports what is left after this batch
  }

  /** The heartbeat timer fired: true if nothing went out since the last one (send a heartbeat). */
  heartbeatDue(): boolean {
    const due = !this.sentSinceHeartbeat;
    this.sentSinceHeartbeat = false;
    return due;
  }
}
