import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TurnSlicedQueue } from './turn-sliced-queue.ts';

/** Counts turns of the event loop (one tick per check phase) until stopped. */
function turnCounter() {
  const counter = { turn: 0, stopped: false };
  const tick = () => {
    if (counter.stopped) return;
    counter.turn++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return counter;
}

describe('TurnSlicedQueue', () => {
  it('runs items in arrival order, for at most `sliceMs` per turn, whatever the number of sources', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 25 }),
        async (sliceMs, itemMs, sourceSizes) => {
          const counter = turnCounter();
          const clock = { ms: 0 };
          const runs: { item: number; turn: number }[] = [];
          const queue = new TurnSlicedQueue(
            (item: number) => {
              runs.push({ item, turn: counter.turn });
              clock.ms += itemMs;
              return item * 2;
            },
            { sliceMs, now: () => clock.ms },
          );
          let next = 0;
          const offered: Promise<number>[] = [];
          for (const size of sourceSizes) for (let i = 0; i < size; i++) offered.push(queue.enqueue(next++));
          const results = await Promise.all(offered);
          counter.stopped = true;
          expect(results).toEqual(Array.from({ length: next }, (_, i) => i * 2));
          expect(runs.map((r) => r.item)).toEqual(Array.from({ length: next }, (_, i) => i));
          const perTurn = new Map<number, number>();
          for (const { turn } of runs) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
          // No item starts once the slice's time is used up; the first always runs.
          expect(Math.max(0, ...perTurn.values())).toBeLessThanOrEqual(Math.ceil(sliceMs / itemMs));
          expect(queue.length).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('settles a throwing item with its error and goes on with the rest', async () => {
    const queue = new TurnSlicedQueue(
      (item: number) => {
        if (item === 1) throw new Error('bad item 1');
        return item;
      },
      { sliceMs: 0 },
    );
    const settled = await Promise.allSettled([0, 1, 2].map((i) => queue.enqueue(i)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error('bad item 1'));
  });

  it('reports what waits: items and their bytes, down to zero once run', async () => {
    // sliceMs 0: one item per turn.
    const queue = new TurnSlicedQueue((item: Uint8Array) => item.length, {
      sliceMs: 0,
      sizeOf: (item) => item.length,
    });
    const done = [3, 5, 7].map((n) => queue.enqueue(new Uint8Array(n)));
    expect(queue.length).toBe(3);
    expect(queue.bytes).toBe(15);
    await done[0];
    expect(queue.length).toBe(2);
    expect(queue.bytes).toBe(12);
    await Promise.all(done);
    expect(queue.length).toBe(0);
    expect(queue.bytes).toBe(0);
  });
});
