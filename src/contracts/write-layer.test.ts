import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from './boundary.ts';
import type { JsonValue, StateEntry } from './types.ts';
import { type Buffered, mergeScan, WriteLayer } from './write-layer.ts';

const buffered = (value: JsonValue): Buffered => ({ text: JSON.stringify(value), bytes: 0, value });

describe('WriteLayer', () => {
  it('reads the newest layer first and counts distinct keys across layers', () => {
    const top = new WriteLayer();
    top.set('c', 'a', buffered(1));
    const child = new WriteLayer(top);
    expect(child.lookup('c', 'a')).toEqual(buffered(1));
    child.set('c', 'a', null);
    child.set('c', 'b', buffered(2));
    child.set('d', 'a', buffered(3));
    expect(child.lookup('c', 'a')).toBeNull();
    expect(child.distinctKeys()).toBe(3);
    child.mergeIntoParent();
    expect(top.distinctKeys()).toBe(3);
    expect(top.writes()).toEqual([
      { contract: 'c', key: 'a', value: null },
      { contract: 'c', key: 'b', value: 2 },
      { contract: 'd', key: 'a', value: 3 },
    ]);
  });

  it('drops a failed layer without touching its parent', () => {
    const top = new WriteLayer();
    top.set('c', 'a', buffered(1));
    const child = new WriteLayer(top);
    child.set('c', 'a', buffered(2));
    expect(top.lookup('c', 'a')).toEqual(buffered(1));
    expect(top.distinctKeys()).toBe(1);
  });
});

describe('mergeScan', () => {
  // Keys over a small alphabet (with a character outside the BMP, whose UTF-16 order differs from UTF-8's).
  const key = fc.string({
    unit: fc.constantFrom('a', 'b', '/', '\u{1F600}', '\uFFFD'),
    minLength: 1,
    maxLength: 4,
  });

  it('equals a scan of the state with the writes applied (model-based)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.integer()),
        fc.array(fc.tuple(key, fc.option(fc.integer(), { nil: null })), { maxLength: 12 }),
        fc.constantFrom('', 'a', 'b/', '\u{1F600}'),
        fc.option(key, { nil: undefined }),
        fc.integer({ min: 1, max: 6 }),
        (committed, writes, prefix, after, limit) => {
          const layer = new WriteLayer();
          const model = new Map<string, JsonValue>(Object.entries(committed));
          for (const [k, v] of writes) {
            layer.set('c', k, v === null ? null : buffered(v));
            if (v === null) model.delete(k);
            else model.set(k, v);
          }
          const inPage = (k: string) =>
            k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0);
          const committedPage = Object.keys(committed).filter(inPage).sort(compareKeys);
          const fetch = (count: number): StateEntry[] =>
            committedPage.slice(0, count).map((k) => ({ key: k, value: committed[k]! }));
          const expected = [...model.keys()]
            .filter(inPage)
            .sort(compareKeys)
            .slice(0, limit)
            .map((k) => ({ key: k, value: model.get(k)! }));
          expect(mergeScan(layer.bufferedWithPrefix('c', prefix), after, limit, fetch)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
