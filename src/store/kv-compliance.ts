import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareBytes, fromHex, toHex } from '../codec/bytes.ts';
import type { KvOp, KvRange, KvStore } from './kv.ts';
import { MAX_KEY_BYTES } from './kv-checks.ts';

/**
 * The `KvStore` contract (src/store/kv.ts) as a vitest suite, run against every
 * implementation (memory, lmdb, prefixed views of both) in kv.test.ts. A new
 * implementation is done when this suite passes against it.
 *
 * `open` must return a fresh, empty store each time; the suite closes it.
 * `maxKeyBytes` is the longest key the store accepts (smaller for prefixed views).
 */
export interface KvComplianceOptions {
  readonly maxKeyBytes?: number;
  /** fast-check runs of the model test (each run is a dozen durable writes). */
  readonly modelRuns?: number;
}

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (value: string) => new TextEncoder().encode(value);

function entriesOf(store: KvStore, range?: KvRange): [string, string][] {
  return [...store.iterate(range)].map(([key, value]) => [toHex(key), toHex(value)]);
}

export function runKvComplianceSuite(
  name: string,
  open: () => Promise<KvStore>,
  options: KvComplianceOptions = {},
): void {
  const maxKeyBytes = options.maxKeyBytes ?? MAX_KEY_BYTES;

  describe(`KvStore compliance: ${name}`, () => {
    let store: KvStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('get, has, put, del', () => {
      it('a fresh store is empty', () => {
        expect(store.get(bytes(1))).toBeUndefined();
        expect(store.has(bytes(1))).toBe(false);
        expect([...store.iterate()]).toEqual([]);
      });

      it('get and has see a put once it resolves, and stop seeing it after del', async () => {
        await store.put(text('alpha'), bytes(1, 2, 3));
        expect(store.get(text('alpha'))).toEqual(bytes(1, 2, 3));
        expect(store.has(text('alpha'))).toBe(true);
        expect(store.has(text('alph'))).toBe(false);
        expect(store.has(text('alphab'))).toBe(false);
        await store.put(text('alpha'), bytes(4));
        expect(store.get(text('alpha'))).toEqual(bytes(4));
        await store.del(text('alpha'));
        expect(store.get(text('alpha'))).toBeUndefined();
        expect(store.has(text('alpha'))).toBe(false);
      });

      it('deleting a missing key is a no-op', async () => {
        await store.del(text('missing'));
        await store.write([{ type: 'del', key: text('missing') }]);
        expect([...store.iterate()]).toEqual([]);
      });

      it('stores an empty value, distinct from a missing key', async () => {
        await store.put(bytes(7), new Uint8Array(0));
        expect(store.has(bytes(7))).toBe(true);
        const value = store.get(bytes(7));
        expect(value).toBeInstanceOf(Uint8Array);
        expect(value?.length).toBe(0);
        expect(entriesOf(store)).toEqual([['0x07', '0x']]);
      });

      it('returns plain Uint8Arrays', async () => {
        await store.put(bytes(1), bytes(2));
        expect(Object.getPrototypeOf(store.get(bytes(1)))).toBe(Uint8Array.prototype);
        const [[key, value]] = [...store.iterate()] as [[Uint8Array, Uint8Array]];
        expect(Object.getPrototypeOf(key)).toBe(Uint8Array.prototype);
        expect(Object.getPrototypeOf(value)).toBe(Uint8Array.prototype);
      });
    });

    describe('write batches', () => {
      it('applies every op of a batch', async () => {
        await store.write([
          { type: 'put', key: bytes(1), value: bytes(10) },
          { type: 'put', key: bytes(2), value: bytes(20) },
          { type: 'put', key: bytes(3), value: bytes(30) },
        ]);
        await store.write([
          { type: 'del', key: bytes(2) },
          { type: 'put', key: bytes(4), value: bytes(40) },
        ]);
        expect(entriesOf(store)).toEqual([
          ['0x01', '0x0a'],
          ['0x03', '0x1e'],
          ['0x04', '0x28'],
        ]);
      });

      it('applies ops on the same key in batch order', async () => {
        await store.write([
          { type: 'put', key: bytes(1), value: bytes(1) },
          { type: 'del', key: bytes(1) },
          { type: 'put', key: bytes(2), value: bytes(1) },
          { type: 'del', key: bytes(2) },
          { type: 'put', key: bytes(2), value: bytes(2) },
          { type: 'put', key: bytes(3), value: bytes(1) },
          { type: 'put', key: bytes(3), value: bytes(3) },
        ]);
        expect(store.has(bytes(1))).toBe(false);
        expect(store.get(bytes(2))).toEqual(bytes(2));
        expect(store.get(bytes(3))).toEqual(bytes(3));
      });

      it('applies concurrent writes in call order', async () => {
        const first = store.write([{ type: 'put', key: bytes(9), value: bytes(1) }]);
        const second = store.write([
          { type: 'put', key: bytes(9), value: bytes(2) },
          { type: 'put', key: bytes(8), value: bytes(2) },
        ]);
        const third = store.del(bytes(8));
        await Promise.all([first, second, third]);
        expect(store.get(bytes(9))).toEqual(bytes(2));
        expect(store.has(bytes(8))).toBe(false);
      });

      it('accepts an empty batch', async () => {
        await store.write([]);
        expect([...store.iterate()]).toEqual([]);
      });

      it('writes and deletes a large batch atomically', async () => {
        const count = 20_000;
        const key = (i: number) => bytes(i >>> 16, (i >>> 8) & 0xff, i & 0xff, 0xaa);
        const ops: KvOp[] = [];
        for (let i = 0; i < count; i++)
          ops.push({ type: 'put', key: key(i), value: new Uint8Array(100).fill(i & 0xff) });
        await store.write(ops);
        let seen = 0;
        let previous: Uint8Array | undefined;
        for (const [k, v] of store.iterate()) {
          if (previous !== undefined) expect(compareBytes(previous, k)).toBeLessThan(0);
          expect(v.length).toBe(100);
          previous = k;
          seen++;
        }
        expect(seen).toBe(count);
        const deletes: KvOp[] = [];
        for (let i = 0; i < count; i++) if (i % 100 !== 0) deletes.push({ type: 'del', key: key(i) });
        await store.write(deletes);
        expect([...store.iterate()].length).toBe(count / 100);
        expect(store.get(key(300))).toEqual(new Uint8Array(100).fill(300 & 0xff));
      });
    });

    describe('keys are bytes in lexicographic order', () => {
      const tricky = [
        bytes(0x00),
        bytes(0x00, 0x00),
        bytes(0x00, 0xff),
        bytes(0x01),
        bytes(0x61),
        bytes(0x61, 0x00),
        bytes(0x61, 0x62),
        bytes(0x61, 0x62, 0x63),
        bytes(0x7f),
        bytes(0x80),
        bytes(0xfe, 0xff),
        bytes(0xff),
        bytes(0xff, 0x00),
        bytes(0xff, 0xff),
        bytes(0xff, 0xff, 0xff),
      ];
      const sorted = tricky.map(toHex); // listed in order already

      beforeEach(async () => {
        // Insert in a scrambled order so the store, not the insertion order, sorts them.
        const scrambled = tricky
          .map((key, i) => ({ key, i }))
          .sort((a, b) => ((a.i * 7) % 15) - ((b.i * 7) % 15));
        for (const { key } of scrambled) await store.put(key, key);
      });

      it('keeps 0x00 and 0xff bytes and keys that are prefixes of others apart', () => {
        for (const key of tricky) expect(store.get(key)).toEqual(key);
        expect(store.has(bytes(0x00, 0x00, 0x00))).toBe(false);
        expect(store.has(bytes(0x61, 0x62, 0x63, 0x00))).toBe(false);
      });

      it('iterates ascending, and descending with reverse', () => {
        expect(entriesOf(store).map(([k]) => k)).toEqual(sorted);
        expect(entriesOf(store, { reverse: true }).map(([k]) => k)).toEqual([...sorted].reverse());
      });

      it('honours gte (inclusive) and lt (exclusive) in both directions', () => {
        const expected = sorted.slice(4, 8); // 0x61 .. 0x616263
        const range = { gte: bytes(0x61), lt: bytes(0x7f) };
        expect(entriesOf(store, range).map(([k]) => k)).toEqual(expected);
        expect(entriesOf(store, { ...range, reverse: true }).map(([k]) => k)).toEqual(
          [...expected].reverse(),
        );
        // Bounds that are not stored keys.
        expect(entriesOf(store, { gte: bytes(0x00, 0x01), lt: bytes(0x61, 0x01) }).map(([k]) => k)).toEqual(
          sorted.slice(2, 6),
        );
        expect(
          entriesOf(store, { gte: bytes(0x00, 0x01), lt: bytes(0x61, 0x01), reverse: true }).map(([k]) => k),
        ).toEqual(sorted.slice(2, 6).reverse());
      });

      it('honours a single bound', () => {
        expect(entriesOf(store, { gte: bytes(0xff) }).map(([k]) => k)).toEqual(sorted.slice(11));
        expect(entriesOf(store, { lt: bytes(0x00, 0xff) }).map(([k]) => k)).toEqual(sorted.slice(0, 2));
        expect(entriesOf(store, { lt: bytes(0x00, 0xff), reverse: true }).map(([k]) => k)).toEqual(
          sorted.slice(0, 2).reverse(),
        );
        expect(entriesOf(store, { gte: bytes(0xff), reverse: true }).map(([k]) => k)).toEqual(
          sorted.slice(11).reverse(),
        );
        expect(entriesOf(store, { gte: new Uint8Array(0) }).map(([k]) => k)).toEqual(sorted);
      });

      it('is empty when gte >= lt, or lt is empty', () => {
        expect(entriesOf(store, { gte: bytes(0x61), lt: bytes(0x61) })).toEqual([]);
        expect(entriesOf(store, { gte: bytes(0x62), lt: bytes(0x61) })).toEqual([]);
        expect(entriesOf(store, { gte: bytes(0x62), lt: bytes(0x61), reverse: true })).toEqual([]);
        expect(entriesOf(store, { lt: new Uint8Array(0) })).toEqual([]);
      });

      it('stops after limit entries, counted from the start of the direction', () => {
        expect(entriesOf(store, { limit: 3 }).map(([k]) => k)).toEqual(sorted.slice(0, 3));
        expect(entriesOf(store, { limit: 3, reverse: true }).map(([k]) => k)).toEqual(
          sorted.slice(-3).reverse(),
        );
        expect(
          entriesOf(store, { gte: bytes(0x61), lt: bytes(0xff), limit: 2, reverse: true }).map(([k]) => k),
        ).toEqual([sorted[10], sorted[9]]);
        expect(entriesOf(store, { limit: 0 })).toEqual([]);
        expect(entriesOf(store, { limit: 1000 }).length).toBe(tricky.length);
      });

      it('can be stopped early and then written to', async () => {
        for (const [key] of store.iterate()) {
          expect(key).toEqual(bytes(0x00));
          break;
        }
        await store.put(bytes(0x42), bytes(1));
        expect(store.get(bytes(0x42))).toEqual(bytes(1));
      });
    });

    describe('snapshots and copies', () => {
      it('an iteration sees the store as it was when iterate was called', async () => {
        await store.write([1, 2, 3, 4].map((i): KvOp => ({ type: 'put', key: bytes(i), value: bytes(i) })));
        const iterator = store.iterate();
        const first = iterator.next();
        expect(first.value?.[0]).toEqual(bytes(1));
        await store.write([
          { type: 'del', key: bytes(3) },
          { type: 'put', key: bytes(2), value: bytes(22) },
          { type: 'put', key: bytes(5), value: bytes(5) },
        ]);
        expect(store.get(bytes(2))).toEqual(bytes(22)); // reads see the write...
        const rest = [...iterator].map(([k, v]) => [toHex(k), toHex(v)]);
        expect(rest).toEqual([
          // ...the iteration does not
          ['0x02', '0x02'],
          ['0x03', '0x03'],
          ['0x04', '0x04'],
        ]);
      });

      it('the snapshot is taken when iterate is called, not at the first step', async () => {
        await store.put(bytes(1), bytes(1));
        const iterator = store.iterate();
        await store.put(bytes(2), bytes(2));
        expect([...iterator].map(([k]) => toHex(k))).toEqual(['0x01']);
      });

      it('values and keys it returns are copies', async () => {
        await store.put(bytes(1), bytes(1, 2, 3));
        const got = store.get(bytes(1))!;
        got[0] = 99;
        expect(store.get(bytes(1))).toEqual(bytes(1, 2, 3));
        for (const [key, value] of store.iterate()) {
          key[0] = 42;
          value[1] = 42;
        }
        expect(store.get(bytes(1))).toEqual(bytes(1, 2, 3));
        expect(store.has(bytes(42))).toBe(false);
      });

      it('keeps its own copy of keys and values passed to write, even before it resolves', async () => {
        const key = bytes(5);
        const value = bytes(1, 2, 3);
        const written = store.put(key, value);
        key[0] = 6;
        value[0] = 9;
        await written;
        expect(store.get(bytes(5))).toEqual(bytes(1, 2, 3));
        expect(store.has(bytes(6))).toBe(false);
      });
    });

    describe('refuses bad input with typed errors, leaving the store untouched', () => {
      it(`accepts keys of 1..${maxKeyBytes} bytes`, async () => {
        const longest = new Uint8Array(maxKeyBytes).fill(0xab);
        await store.put(longest, bytes(1));
        expect(store.get(longest)).toEqual(bytes(1));
        expect(entriesOf(store, { gte: longest }).length).toBe(1);
        const tooLong = new Uint8Array(maxKeyBytes + 1).fill(0xab);
        await expect(store.put(tooLong, bytes(1))).rejects.toMatchObject({ code: 'KV_KEY_TOO_LARGE' });
        expect(() => store.get(tooLong)).toThrow(expect.objectContaining({ code: 'KV_KEY_TOO_LARGE' }));
        expect(() => store.iterate({ gte: tooLong })).toThrow(
          expect.objectContaining({ code: 'KV_KEY_TOO_LARGE' }),
        );
        await expect(store.put(new Uint8Array(0), bytes(1))).rejects.toMatchObject({ code: 'KV_KEY_EMPTY' });
        expect(() => store.has(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'KV_KEY_EMPTY' }));
      });

      it('a batch with one bad op applies none of its ops', async () => {
        await expect(
          store.write([
            { type: 'put', key: bytes(1), value: bytes(1) },
            { type: 'put', key: new Uint8Array(maxKeyBytes + 1), value: bytes(1) },
          ]),
        ).rejects.toMatchObject({ code: 'KV_KEY_TOO_LARGE' });
        await expect(
          store.write([
            { type: 'put', key: bytes(1), value: bytes(1) },
            { type: 'move', key: bytes(2) } as unknown as KvOp,
          ]),
        ).rejects.toMatchObject({ code: 'KV_BAD_OP' });
        await expect(
          store.write([{ type: 'put', key: bytes(1), value: 'text' as unknown as Uint8Array }]),
        ).rejects.toMatchObject({ code: 'KV_BAD_VALUE' });
        expect(store.has(bytes(1))).toBe(false);
      });

      it('refuses keys that are not bytes and malformed ranges', () => {
        expect(() => store.get('abc' as unknown as Uint8Array)).toThrow(
          expect.objectContaining({ code: 'KV_BAD_KEY' }),
        );
        expect(() => store.iterate({ limit: -1 })).toThrow(expect.objectContaining({ code: 'KV_BAD_RANGE' }));
        expect(() => store.iterate({ limit: 1.5 })).toThrow(
          expect.objectContaining({ code: 'KV_BAD_RANGE' }),
        );
        expect(() => store.iterate({ gte: [1] as unknown as Uint8Array })).toThrow(
          expect.objectContaining({ code: 'KV_BAD_RANGE' }),
        );
      });
    });

    describe('close', () => {
      it('every method throws STORE_CLOSED afterwards; close is idempotent', async () => {
        await store.put(bytes(1), bytes(1));
        await store.close();
        const closed = expect.objectContaining({ code: 'STORE_CLOSED' });
        expect(() => store.get(bytes(1))).toThrow(closed);
        expect(() => store.has(bytes(1))).toThrow(closed);
        expect(() => store.iterate()).toThrow(closed);
        await expect(store.write([])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
        await expect(store.put(bytes(1), bytes(1))).rejects.toMatchObject({ code: 'STORE_CLOSED' });
        await expect(store.del(bytes(1))).rejects.toMatchObject({ code: 'STORE_CLOSED' });
        await store.close();
      });

      it('an iterator still open at close throws STORE_CLOSED on its next step', async () => {
        await store.write([1, 2, 3].map((i): KvOp => ({ type: 'put', key: bytes(i), value: bytes(i) })));
        const iterator = store.iterate();
        expect(iterator.next().done).toBe(false);
        await store.close();
        expect(() => iterator.next()).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
      });
    });

    it('behaves like a sorted Map under random batches and ranges (fast-check model)', async () => {
      const alphabet = [
        bytes(0x00),
        bytes(0x00, 0x00),
        bytes(0x01),
        bytes(0x61),
        bytes(0x61, 0x62),
        bytes(0xff),
        bytes(0xff, 0x00),
        bytes(0xff, 0xff),
      ];
      const keyArb = fc.oneof(fc.constantFrom(...alphabet), fc.uint8Array({ minLength: 1, maxLength: 3 }));
      const opArb: fc.Arbitrary<KvOp> = fc.oneof(
        fc.record({ type: fc.constant('put' as const), key: keyArb, value: fc.uint8Array({ maxLength: 6 }) }),
        fc.record({ type: fc.constant('del' as const), key: keyArb }),
      );
      const rangeArb: fc.Arbitrary<KvRange> = fc.record(
        {
          gte: fc.oneof(keyArb, fc.constant(new Uint8Array(0))),
          lt: keyArb,
          reverse: fc.boolean(),
          limit: fc.nat({ max: 6 }),
        },
        { requiredKeys: ['reverse'] },
      );
      const stepArb = fc.oneof(
        fc.record({ batch: fc.array(opArb, { maxLength: 8 }) }),
        fc.record({ range: rangeArb }),
      );

      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 12 }), async (steps) => {
          const existing = [...store.iterate()].map(([key]): KvOp => ({ type: 'del', key }));
          await store.write(existing);
          const model = new Map<string, string>();
          for (const step of steps) {
            if ('batch' in step) {
              await store.write(step.batch);
              for (const op of step.batch) {
                if (op.type === 'put') model.set(toHex(op.key), toHex(op.value));
                else model.delete(toHex(op.key));
              }
              for (const key of [...alphabet, ...step.batch.map((op) => op.key)]) {
                expect(toHex(store.get(key) ?? bytes())).toBe(model.get(toHex(key)) ?? '0x');
                expect(store.has(key)).toBe(model.has(toHex(key)));
              }
            } else {
              expect(entriesOf(store, step.range)).toEqual(modelRange(model, step.range));
            }
          }
          expect(entriesOf(store)).toEqual(modelRange(model, {}));
        }),
        { numRuns: options.modelRuns ?? 50 },
      );
    });
  });
}

/** The reference semantics of `iterate`, on a Map of hex keys. */
function modelRange(model: Map<string, string>, range: KvRange): [string, string][] {
  let entries = [...model.entries()].sort(([a], [b]) => compareBytes(fromHex(a), fromHex(b)));
  const { gte, lt } = range;
  if (gte !== undefined) entries = entries.filter(([key]) => compareBytes(fromHex(key), gte) >= 0);
  if (lt !== undefined) entries = entries.filter(([key]) => compareBytes(fromHex(key), lt) < 0);
  if (range.reverse) entries.reverse();
  return range.limit === undefined ? entries : entries.slice(0, range.limit);
}
