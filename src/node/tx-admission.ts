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
 * waiting here, in the mempool or in line for admission, than the network
 * commits in `BACKLOG_SECONDS` at its recent rate (never fewer than
 * `MIN_BACKLOG`), so an overloaded network answers "retry" at once instead of
 * letting every admitted transaction wait longer and longer. Transactions from
 * peers are not refused for this: another validator already accepted them.
 *
 * Fairness: `admitFairly` puts every transaction, from requests and gossip
 * frames alike, in one line that admits for at most `ADMIT_SLICE_MS` per turn of the
 * event loop (`TurnSlicedQueue`), so ingest never starves consensus. The line is
 * bounded (`MAX_QUEUED_TXS`, `MAX_QUEUED_BYTES`); past that even peers' gossip is
 * refused (a primary that holds those transactions still proposes them, and a
 * block carries their bodies to every validator).
 */

import type { Mempool } from '../chain/mempool.ts';
import { decodeTx, type SignedTx, txHash, txHashOfEncoded } from '../chain/transaction.ts';
import { toHex } from '../codec/bytes.ts';
import { MeridianError, ValidationError } from '../errors.ts';
import type { LogLimiter } from './log-limiter.ts';
import type { NodeMetrics } from './metrics.ts';
import { TurnSlicedQueue } from './turn-sliced-queue.ts';
import type { TxGossip } from './tx-gossip.ts';

const MAX_TRACKED_LATENCIES = 200_000;
/**
 * Milliseconds of admission per turn of the event loop in `admitFairly` (about a hundred
 * signature checks), so consensus messages and timers never wait long behind a burst.
 */
export const ADMIT_SLICE_MS = 8;
/** Most transactions waiting in line for admission (`admitFairly`), and their most encoded bytes. */
export const MAX_QUEUED_TXS = 20_000;
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Seconds of commits, at the recent commit rate, that may wait here before clients are refused. */
export const BACKLOG_SECONDS = 3;
/** Waiting transactions always allowed whatever the rate (an idle network has no rate yet). */
export const MIN_BACKLOG = 2_000;
/** The window over which the recent commit rate is measured. */
const RATE_WINDOW_MS = 5_000;

export class TxAdmission {
  readonly #firstSeenMs = new Map<string, number>();
  readonly #line = new TurnSlicedQueue(
    (entry: { encoded: Uint8Array; fromPeer: boolean }) => this.admit(entry.encoded, entry.fromPeer),
    { sliceMs: ADMIT_SLICE_MS, sizeOf: (entry) => entry.encoded.length, now: () => this.now() },
  );
  /** The refusal thrown while the admission line is full (one Error, not one per refused offer). */
  readonly #lineFull = new ValidationError(
    'MEMPOOL_FULL',
    `${MAX_QUEUED_TXS} transactions or ${MAX_QUEUED_BYTES} bytes are already waiting here to be admitted`,
    { hint: 'retry in a moment; this node is admitting transactions as fast as it can' },
  );
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
      if (!fromPeer) this.#checkBacklog(0);
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
      this.#noteRefusal(error, fromPeer);
      throw error;
    }
  }

  /**
   * `admit` in line (see the header): at once when nothing waits and this turn's `ADMIT_SLICE_MS`
   * lasts, else in a later turn, after those offered before it. Refuses at once with
   * `MEMPOOL_FULL` when the line is full or, for a client, when the backlog counting the line is.
   */
  admitFairly(
    encoded: Uint8Array,
    fromPeer: boolean,
  ): Promise<{ hash: string; status: 'pending' | 'duplicate' }> {
    try {
      if (this.#line.length >= MAX_QUEUED_TXS || this.#line.bytes + encoded.length > MAX_QUEUED_BYTES) {
        throw this.#lineFull;
      }
      if (!fromPeer) this.#checkBacklog(this.#line.length);
    } catch (error) {
      this.#noteRefusal(error, fromPeer);
      return Promise.reject(error);
    }
    return this.#line.enqueue({ encoded, fromPeer });
  }

  #noteRefusal(error: unknown, fromPeer: boolean): void {
    if (!(error instanceof MeridianError)) return;
    this.metrics.txsRejected.inc({ code: error.code });
    this.log.warn('tx-refused', { code: error.code, reason: error.message, fromPeer }, 'transaction refused');
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

  /** Throws `MEMPOOL_FULL` unless fewer than the backlog limit wait: ready in the mempool plus `queued` in line. */
  #checkBacklog(queued: number): void {
    const limit = this.backlogLimit();
    if (this.mempool.readyCount + queued < limit) {
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
