import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, fromHex, toHex } from '../codec/bytes.ts';
import { type EntryRange, SortedByteMap, type SortedByteMapSnapshot } from './sorted-byte-map.ts';

const keyArb = fc
  .array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 3 })
  .map((values) => new Uint8Array(values.map((v) => (v === 7 ? 0xff : v))));
const rangeArb: fc.Arbitrary<EntryRange> = fc.record(
  { gte: keyArb, lt: keyArb, reverse: fc.boolean() },
  { requiredKeys: ['reverse'] },
);
type Command =
  | { set: Uint8Array; value: Uint8Array }
  | { delete: Uint8Array }
  | { snapshot: true }
  | { read: EntryRange };
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ set: keyArb, value: fc.uint8Array({ maxLength: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ delete: keyArb }) },
  { weight: 1, arbitrary: fc.record({ snapshot: fc.constant(true as const) }) },
  { weight: 1, arbitrary: fc.record({ read: rangeArb }) },
);

function expected(model: Map<string, string>, range: EntryRange = {}): [string, string][] {
  const sorted = [...model.entries()]
    .filter(([k]) => range.gte === undefined || compareBytes(fromHex(k), range.gte) >= 0)
    .filter(([k]) => range.lt === undefined || compareBytes(fromHex(k), range.lt) < 0)
    .sort(([a], [b]) => compareBytes(fromHex(a), fromHex(b)));
  return range.reverse ? sorted.reverse() : sorted;
}

function actual(snapshot: SortedByteMapSnapshot, range: EntryRange = {}): [string, string][] {
  return [...SortedByteMap.entries(snapshot, range)].map(([k, v]) => [toHex(k), toHex(v)]);
}

describe('SortedByteMap', () => {
  it('matches a Map model, and every snapshot stays as it was (tiny chunks force splits and merges)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.array(commandArb, { maxLength: 300 }),
        (chunkMax, commands) => {
          const map = new SortedByteMap(chunkMax);
          const model = new Map<string, string>();
          const snapshots: { snapshot: SortedByteMapSnapshot; frozen: Map<string, string> }[] = [];
          for (const command of commands) {
            if ('set' in command) {
              map.set(command.set, command.value);
              model.set(toHex(command.set), toHex(command.value));
            } else if ('delete' in command) {
              expect(map.delete(command.delete)).toBe(model.delete(toHex(command.delete)));
            } else if ('snapshot' in command) {
              snapshots.push({ snapshot: map.snapshot(), frozen: new Map(model) });
            } else {
              expect(actual(map.snapshot(), command.read)).toEqual(expected(model, command.read));
            }
            map.checkInvariants();
            expect(map.size).toBe(model.size);
          }
          for (const [key, value] of model) expect(toHex(map.get(fromHex(key))!)).toBe(value);
          expect(actual(map.snapshot())).toEqual(expected(model));
          for (const { snapshot, frozen } of snapshots) {
            expect(actual(snapshot)).toEqual(expected(frozen));
            expect(actual(snapshot, { reverse: true })).toEqual(expected(frozen, { reverse: true }));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds 100k keys inserted in random order, in order, in bounded chunks', () => {
    const map = new SortedByteMap();
    const count = 100_000;
    // A fixed permutation (multiplicative step coprime with count): no randomness in the test.
    for (let i = 0; i < count; i++) {
      const n = (i * 7919) % count;
      map.set(new Uint8Array([n >>> 16, (n >>> 8) & 0xff, n & 0xff]), new Uint8Array([n & 0xff]));
    }
    expect(map.size).toBe(count);
    map.checkInvariants();
    let inOrder = 0;
    for (const [key] of SortedByteMap.entries(map.snapshot())) {
      if (((key[0]! << 16) | (key[1]! << 8) | key[2]!) === inOrder) inOrder++;
    }
    expect(inOrder).toBe(count);
    for (let n = 0; n < count; n += 2) map.delete(new Uint8Array([n >>> 16, (n >>> 8) & 0xff, n & 0xff]));
    map.checkInvariants();
    expect(map.size).toBe(count / 2);
  });
});
