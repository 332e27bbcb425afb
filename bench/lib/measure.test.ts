import { describe, expect, it } from 'vitest';
import { measure } from './measure.ts';

/** A run that takes at least `ms` of wall-clock time, counting its calls. */
function counted(ms: number) {
  const counter = { calls: 0, run: () => {} };
  counter.run = () => {
    counter.calls++;
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy-wait: the run must take time for the warm-up clock to count it
    }
  };
  return counter;
}

describe('measure', () => {
  it('runs the warm-up count, then times exactly the repeats', () => {
    const c = counted(0);
    const timing = measure(c.run, { warmup: 3, repeats: 4 });
    expect(c.calls).toBe(7);
    expect(timing.samplesMs).toHaveLength(4);
  });

  it('keeps warming up until warmupMs has passed, and still times exactly the repeats', () => {
    const c = counted(1);
    const start = performance.now();
    const timing = measure(c.run, { warmup: 1, warmupMs: 100, repeats: 3 });
    const warmUpMs = performance.now() - start - timing.samplesMs.reduce((a, b) => a + b, 0);
    // One warm-up run would take ~1 ms; the clock keeps it going for 100.
    expect(warmUpMs).toBeGreaterThanOrEqual(100);
    expect(c.calls).toBeGreaterThan(1 + 3);
    expect(timing.samplesMs).toHaveLength(3);
  });
});
