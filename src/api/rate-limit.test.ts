import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

/** A clock the test moves by hand. */
function manualClock() {
  let nowMs = 0;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

describe('RateLimiter', () => {
  it('allows a burst, then refuses with the seconds until one token is back', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ perSecond: 0.5, burst: 2 }, clock.now);
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 0]);
    expect(limiter.take('a')).toBe(2);
    clock.advance(2_000);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(2);
  });

  it('counts each client address separately', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, manualClock().now);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBe(0);
  });

  it('refills no further than the burst', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ perSecond: 10, burst: 3 }, clock.now);
    limiter.take('a');
    clock.advance(60_000);
    expect([0, 1, 2].map(() => limiter.take('a'))).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(1);
  });

  it('remembers at most maxClients addresses, forgetting the least recently seen', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, manualClock().now, 2);
    limiter.take('a');
    limiter.take('b');
    limiter.take('a'); // a is now the most recent
    limiter.take('c'); // evicts b
    expect(limiter.size).toBe(2);
    expect(limiter.take('a')).toBe(1); // still remembered, still empty
    expect(limiter.take('b')).toBe(0); // forgotten: a fresh bucket
  });

  it('refuses nonsense settings', () => {
    expect(() => new RateLimiter({ perSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new RateLimiter({ perSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
