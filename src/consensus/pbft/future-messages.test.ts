import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FutureMessages } from './future-messages.ts';
import type { ConsensusMessage } from './messages.ts';

const vote = (signer: number, view: number, height: number) => ({
  body: { type: 'prepare' as const, view, height, headerHash: new Uint8Array(32) },
  signer,
  signature: new Uint8Array(64),
});
const ids = (messages: readonly ConsensusMessage[]) =>
  messages.map((m) => `${m.signer}@${(m.body as { height: number }).height}`);

describe('FutureMessages', () => {
  it('hands back a view’s messages in arrival order and keeps later views', () => {
    const buffer = new FutureMessages(10);
    buffer.add(vote(1, 5, 1));
    buffer.add(vote(2, 6, 1));
    buffer.add(vote(3, 5, 2));
    buffer.add(vote(0, 4, 9)); // an earlier view: dropped
    expect(ids(buffer.takeFor(5))).toEqual(['1@1', '3@2']);
    expect(buffer.size).toBe(1);
    expect(ids(buffer.takeFor(6))).toEqual(['2@1']);
  });

  it('a flooding signer evicts only its own messages', () => {
    const buffer = new FutureMessages(8);
    buffer.add(vote(1, 5, 1));
    buffer.add(vote(2, 5, 1));
    for (let i = 0; i < 100; i++) buffer.add(vote(3, 5, 100 + i));
    const kept = buffer.takeFor(5);
    expect(kept).toHaveLength(8);
    expect(ids(kept).slice(0, 2)).toEqual(['1@1', '2@1']);
    expect(ids(kept).slice(2)).toEqual(Array.from({ length: 6 }, (_, i) => `3@${194 + i}`));
  });

  it('never holds more than its limit, and never evicts a signer that sent less than a fair share', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 20 }),
        (signers, limit) => {
          const buffer = new FutureMessages(limit);
          const sent = new Map<number, number>();
          signers.forEach((signer, i) => {
            buffer.add(vote(signer, 1, i));
            sent.set(signer, (sent.get(signer) ?? 0) + 1);
            expect(buffer.size).toBe(Math.min(i + 1, limit));
          });
          const kept = buffer.takeFor(1);
          const held = new Map<number, number>();
          for (const m of kept) held.set(m.signer, (held.get(m.signer) ?? 0) + 1);
          // With k signers, a full buffer's heaviest holds at least limit / k: a signer that sent
          // fewer than that was never the heaviest, so it lost nothing.
          for (const [signer, n] of sent) {
            if (n * sent.size < limit) expect(held.get(signer) ?? 0).toBe(n);
          }
          const heights = kept.map((m) => (m.body as { height: number }).height);
          expect(heights).toEqual([...heights].sort((a, b) => a - b)); // arrival order
        },
      ),
      { numRuns: 300 },
    );
  });
});
