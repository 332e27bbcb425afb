/**
 * Reconnect delays: exponential, capped, with "equal jitter" (half fixed, half
 * random) so that nodes that lost a peer at the same moment do not redial in
 * lockstep, while a delay never drops below half its nominal value.
 */
import { assert } from '../errors.ts';

export interface BackoffPolicy {
  /** Delay before the first redial. */
  readonly initialDelayMs: number;
  /** Cap on any delay. */
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 10_000 };

/**
 * Delay before redial number `attempt` (0 = first): uniformly random in
 * [d/2, d] where d = min(maxDelayMs, initialDelayMs · 2^attempt).
 * `random` returns a number in [0, 1) (tests pass a fixed one).
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random = Math.random): number {
  assert(Number.isSafeInteger(attempt) && attempt >= 0, 'attempt must be a non-negative integer');
  assert(
    policy.initialDelayMs > 0 && policy.maxDelayMs >= policy.initialDelayMs,
    'backoff needs 0 < initialDelayMs <= maxDelayMs',
  );
  // 2^31 overflows nothing in float arithmetic, and min() caps it; bound the exponent anyway.
  const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 31));
  return nominal / 2 + (random() * nominal) / 2;
}
