/**
 * A per-client-address token bucket: each address may spend `burst` requests
 * at once and regains `perSecond` a second. Memory is bounded: at most
 * MAX_RATE_LIMIT_CLIENTS addresses are remembered, the least recently seen
 * forgotten first (a forgotten address starts again with a full bucket).
 */
import { MAX_RATE_LIMIT_CLIENTS } from './limits.ts';

export interface RateLimitOptions {
  /** Sustained requests per second per client address. */
  readonly perSecond: number;
  /** Requests a client may make at once after being idle. */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #options: RateLimitOptions;
  readonly #now: () => number;
  readonly #maxClients: number;

  constructor(options: RateLimitOptions, now: () => number = Date.now, maxClients = MAX_RATE_LIMIT_CLIENTS) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError('rate limit needs perSecond > 0 and burst >= 1');
    }
    this.#options = options;
    this.#now = now;
    this.#maxClients = maxClients;
  }

  /**
   * Spends one token of `client`. Returns 0 when the request may go ahead, else
   * the whole seconds to wait before one token is back (for Retry-After).
   */
  take(client: string): number {
    const nowMs = this.#now();
    let bucket = this.#buckets.get(client);
    if (bucket === undefined) {
      bucket = { tokens: this.#options.burst, updatedMs: nowMs };
      if (this.#buckets.size >= this.#maxClients) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    } else {
      this.#buckets.delete(client); // re-inserted below: Map order is recency order
      const elapsedSeconds = Math.max(0, nowMs - bucket.updatedMs) / 1000;
      bucket.tokens = Math.min(this.#options.burst, bucket.tokens + elapsedSeconds * this.#options.perSecond);
      bucket.updatedMs = nowMs;
    }
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#options.perSecond));
  }

  /** Addresses currently remembered (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }
}
