/**
 * The one door transactions come in by, from the API or from peers: decode
 * (size-limited), check the sender is admitted (membership, against the
 * committed state), validate into the mempool (chain id, signature, nonce),
 * remember when this node first saw it (for the commit-latency metric), gossip
 * it to the other validators if it came from a client, and tell consensus that
 * work is waiting. Refusals are counted by error code.
 */

import type { Mempool } from '../chain/mempool.ts';
import { decodeTx, type SignedTx, txHash, txHashOfEncoded } from '../chain/transaction.ts';
import { toHex } from '../codec/bytes.ts';
import { MeridianError } from '../errors.ts';
import type { LogLimiter } from './log-limiter.ts';
import type { NodeMetrics } from './metrics.ts';
import type { TxGossip } from './tx-gossip.ts';

const MAX_TRACKED_LATENCIES = 200_000;
/**
 * Admissions between two turns of the event loop in `admitFairly`: about 30 signature checks,
 * a few milliseconds, so consensus messages and timers never wait behind a burst.
 */
const ADMIT_SLICE = 32;

export class TxAdmission {
  readonly #firstSeenMs = new Map<string, number>();
  #sinceYield = 0;

  constructor(
    private readonly mempool: Mempool,
    private readonly gossip: TxGossip,
    private readonly metrics: NodeMetrics,
    private readonly log: LogLimiter,
    private readonly onAdded: () => void,
    /** Refuses senders the committed state does not admit (membership); throws a `MeridianError`. */
    private readonly authorize: (tx: SignedTx) => void = () => {},
  ) {}

  /**
   * Admits an encoded transaction. Returns its hash and whether it was new
   * (`pending`) or already known (`duplicate`); throws `MeridianError` on refusal.
   */
  admit(encoded: Uint8Array, fromPeer: boolean): { hash: string; status: 'pending' | 'duplicate' } {
    try {
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

  /** Observes the commit latency of transactions this node admitted. */
  observeCommitted(hashes: readonly string[], nowMs: number): void {
    for (const hash of hashes) {
      const seen = this.#firstSeenMs.get(hash);
      if (seen === undefined) continue;
      this.metrics.commitLatency.observe((nowMs - seen) / 1000);
      this.#firstSeenMs.delete(hash);
    }
  }
}
