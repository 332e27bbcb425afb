import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './backoff.ts';

const policy = { initialDelayMs: 100, maxDelayMs: 10_000 };

describe('reconnectDelayMs', () => {
  it('doubles from the initial delay and caps at the maximum', () => {
    const top = () => 1 - 2 ** -40;
    expect(reconnectDelayMs(0, policy, top)).toBeCloseTo(100);
    expect(reconnectDelayMs(1, policy, top)).toBeCloseTo(200);
    expect(reconnectDelayMs(6, policy, top)).toBeCloseTo(6400);
    expect(reconnectDelayMs(7, policy, top)).toBeCloseTo(10_000);
    expect(reconnectDelayMs(10_000, policy, top)).toBeCloseTo(10_000);
  });

  it('jitters within [half, full] of the nominal delay (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** attempt);
          const delay = reconnectDelayMs(attempt, policy, () => r);
          expect(delay).toBeGreaterThanOrEqual(nominal / 2);
          expect(delay).toBeLessThanOrEqual(nominal);
        },
      ),
    );
  });

  it('rejects a policy whose maximum is below its initial delay (a bug in the caller)', () => {
    expect(() => reconnectDelayMs(0, { initialDelayMs: 10, maxDelayMs: 5 })).toThrow(/invariant/);
  });
});
