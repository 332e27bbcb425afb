import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendQueue } from './send-queue.ts';

describe('SendQueue', () => {
  it('is FIFO and refuses (tail drop) a frame over the frame limit', () => {
    const queue = new SendQueue(3, 1000);
    for (let i = 0; i < 3; i++) expect(queue.push(Uint8Array.of(i))).toBe(true);
    expect(queue.push(Uint8Array.of(9))).toBe(false);
    expect([queue.shift()?.[0], queue.shift()?.[0], queue.shift()?.[0], queue.shift()]).toEqual([
      0,
      1,
      2,
      undefined,
    ]);
  });

  it('refuses a frame that would cross the byte limit, and accepts again once drained', () => {
    const queue = new SendQueue(100, 10);
    expect(queue.push(new Uint8Array(6))).toBe(true);
    expect(queue.push(new Uint8Array(5))).toBe(false);
    expect(queue.push(new Uint8Array(4))).toBe(true);
    expect(queue.bytes).toBe(10);
    queue.shift();
    expect(queue.push(new Uint8Array(5))).toBe(true);
    expect([queue.length, queue.bytes]).toEqual([2, 9]);
  });

  it('takes one frame larger than the byte limit when empty, so no frame is refused forever', () => {
    const queue = new SendQueue(100, 10);
    expect(queue.push(new Uint8Array(50))).toBe(true);
    expect(queue.push(new Uint8Array(1))).toBe(false);
    queue.shift();
    expect(queue.push(new Uint8Array(1))).toBe(true);
  });

  it('lets control frames through a full queue, and counts them', () => {
    const queue = new SendQueue(1, 1);
    expect(queue.push(Uint8Array.of(1))).toBe(true);
    queue.pushControl(Uint8Array.of(2, 2));
    expect([queue.length, queue.bytes]).toEqual([2, 3]);
    expect(queue.push(Uint8Array.of(3))).toBe(false);
  });

  it('matches an array model under any interleaving of pushes and shifts (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(40), fc.constant(-1)), { maxLength: 500 }), (operations) => {
        const queue = new SendQueue(50, 400);
        const model: Uint8Array[] = [];
        let modelBytes = 0;
        for (const op of operations) {
          if (op < 0) {
            const expected = model.shift();
            if (expected) modelBytes -= expected.length;
            expect(queue.shift()).toBe(expected);
          } else {
            const frame = new Uint8Array(op + 1);
            const fits = model.length < 50 && (model.length === 0 || modelBytes + frame.length <= 400);
            expect(queue.push(frame)).toBe(fits);
            if (fits) {
              model.push(frame);
              modelBytes += frame.length;
            }
          }
          expect([queue.length, queue.bytes]).toEqual([model.length, modelBytes]);
        }
      }),
    );
  });
});
