/**
 * The one door transactions come in by, from the API or from peers: decode
 * (size-limited), check the sender is admitted (membership, against the
 * committed state), validate into the mempool (chain id, signature, nonce),
 * remember when this node first saw it (for the commit-latency metric), gossip
 * it to the other validators if it came from a client, and tell consensus that
 * work is waiting. Refusals are counted by error code.
 *
 * Back-pressure: a client's transaction is refused with `MEMPOOL_FULL` (HTTP 503
 * with Retry-After) while more ready transactions (no nonce gap before them) are
 * waiting here than the network commits in
 * `BACKLOG_SECONDS` at its recent rate (never fewer than `MIN_BACKLOG`), so an
 * overloaded network answers "retry" at once instead of letting every admitted
 * transaction wait longer and longer. Transactions from peers are not refused
 * for this: another validator already accepted them.
 */

import type { Mempool } from '../chain/mempool.ts';
import { decodeTx, type SignedTx, txHash, txHashOfEncoded } from '../chain/transaction.ts';
import { toHex } from '../codec/bytes.ts';
import { MeridianError, ValidationError } from '../errors.ts';
import type { LogLimiter } from './log-limiter.ts';
import type { NodeMetrics } from './metrics.ts';
import type { TxGossip } from './tx-gossip.ts';

const MAX_TRACKED_LATENCIES = 200_000;
/**
 * Admissions between two turns of the event loop in `admitFairly`: about 30 signature checks,
 * a few milliseconds, so consensus messages and timers never wait behind a burst.
 */
const ADMIT_SLICE = 32;
/** Seconds of commits, at the recent commit rate, that may wait here before clients are refused. */
export const BACKLOG_SECONDS = 3;
/** Waiting transactions always allowed whatever the rate (an idle network has no rate yet). */
export const MIN_BACKLOG = 2_000;
/** The window over which the recent commit rate is measured. */
const RATE_WINDOW_MS = 5_000;

export class TxAdmission {
  readonly #firstSeenMs = new Map<string, number>();
  #sinceYield = 0;
  /** Committed transaction counts of recent blocks, oldest first (within RATE_WINDOW_MS). */
  readonly #recentCommits: { atMs: number; count: number }[] = [];
  #recentCount = 0;
  /** The refusal thrown while the backlog stays at or over `limit` (see `#checkBacklog`). */
  #full: { limit: number; error: ValidationError } | undefined;

  constructor(
    private readonly mempool: Mempool,
    private readonly gossip: TxGossip,
    private readonly metrics: NodeMetrics,
    private readonly log: LogLimiter,
    private readonly onAdded: () => void,
    /** Refuses senders the committed state does not admit (membership); throws a `MeridianError`. */
    private readonly authorize: (tx: SignedTx) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Admits an encoded transaction. Returns its hash and whether it was new
   * (`pending`) or already known (`duplicate`); throws `MeridianError` on refusal.
   */
  admit(encoded: Uint8Array, fromPeer: boolean): { hash: string; status: 'pending' | 'duplicate' } {
    try {
      if (!fromPeer) this.#checkBacklog();
      const tx = decodeTx(encoded);
      this.authorize(tx);
      const hashBytes = txHashOfEncoded(encoded) ?? txHash(tx.body);
      const hash = toHex(hashBytes);
      if (!this.mempool.add(tx, encoded, hashBytes)) return { hash, status: 'duplicate' };
      if (this.#firstSeenMs.size < MAX_TRACKED_LATENCIES) this.#firstSeenMs.set(hash, Date.now());
      if (!fromPeer) this.gossip.add(encoded);
      this.onAdded();
      return { hash, status: 'pending' };
    } catch (error) {
      if (error instanceof MeridianError) {
        this.metrics.txsRejected.inc({ code: error.code });
        this.log.warn(
          'tx-refused',
          { code: error.code, reason: error.message, fromPeer },
          'transaction refused',
        );
      }
      throw error;
    }
  }

  /**
   * `admit` for bursts (a batch request, a gossip frame): gives the event loop a turn before every
   * `ADMIT_SLICE`th admission, so a thousand transactions arriving at once cannot delay consensus
   * long enough to look like a silent primary.
   */
  async admitFairly(
    encoded: Uint8Array,
    fromPeer: boolean,
  ): Promise<{ hash: string; status: 'pending' | 'duplicate' }> {
    if (++this.#sinceYield >= ADMIT_SLICE) {
      this.#sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return this.admit(encoded, fromPeer);
  }

  /** The most transactions that may wait here before clients are refused (see the header). */
  backlogLimit(): number {
    this.#forgetOldCommits(this.now());
    const perSecond = (this.#recentCount * 1000) / RATE_WINDOW_MS;
    return Math.max(MIN_BACKLOG, Math.ceil(BACKLOG_SECONDS * perSecond));
  }

  #forgetOldCommits(nowMs: number): void {
    while (this.#recentCommits.length > 0 && this.#recentCommits[0]!.atMs < nowMs - RATE_WINDOW_MS) {
      this.#recentCount -= this.#recentCommits.shift()!.count;
    }
  }

  #checkBacklog(): void {
    const limit = this.backlogLimit();
    if (this.mempool.readyCount < limit) {
      this.#full = undefined;
      return;
    }
    // One error per episode of fullness and limit: an overloaded node refuses thousands of offers a
    // second, and building each refusal's Error (its stack) would take CPU from committing.
    if (this.#full?.limit !== limit) {
      const error = new ValidationError(
        'MEMPOOL_FULL',
        `${limit} or more transactions are already waiting here for a block, more than the network commits in ${BACKLOG_SECONDS} s at its recent rate`,
        {
          hint: 'retry in a moment (the 503 carries Retry-After); the network is committing as fast as it can',
        },
      );
      this.#full = { limit, error };
    }
    throw this.#full.error;
  }

  /**
   * Observes a committed block: the commit latency of the transactions this node admitted, and
   * the commit rate the backlog limit follows.
   */
  observeCommitted(hashes: readonly string[], nowMs: number): void {
    this.#recentCommits.push({ atMs: nowMs, count: hashes.length });
    this.#recentCount += hashes.length;
    this.#forgetOldCommits(nowMs); // bounded even when no client asks for the limit
    for (const hash of hashes) {
      const seen = this.#firstSeenMs.get(hash);
      if (seen === undefined) continue;
      this.metrics.commitLatency.observe((nowMs - seen) / 1000);
      this.#firstSeenMs.delete(hash);
    }
  }
}
