import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, referenceCanonicalJson } from './canonical-json.ts';

/** The result of `fn`, or the code/message of what it threw. */
function outcome(fn: () => string): string {
  try {
    return `ok ${fn()}`;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return `error ${e.code ?? ''} ${e.message ?? String(error)}`;
  }
}

describe('canonicalJson (fast path) against the reference implementation', () => {
  it('equals the reference on any JSON value, including odd strings and numbers', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('equals the reference on objects of few and of many keys (sorted in place or by Array.sort)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { minLength: 0, maxLength: 40 }), (keys) => {
        const value = Object.fromEntries(keys.map((k, i) => [k, i]));
        expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('equals the reference (result or error) on anything at all', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withDate: true, withMap: true, withNullPrototype: true }),
        (v) => {
          expect(outcome(() => canonicalJson(v))).toBe(outcome(() => referenceCanonicalJson(v)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the reference result or error for every value that is not plain JSON data', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { [`k${i}`]: [deep] };
    const cases: unknown[] = [
      'lone \uD800 high',
      { 'key \uDC00': 1 },
      ['pair \uD83D\uDE00 ok', 'reversed \uDE00\uD83D'],
      Number.NaN,
      [Number.POSITIVE_INFINITY],
      -0,
      { a: undefined, b: 2 },
      [undefined, () => 1],
      // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
      [1, , 3],
      { when: new Date(0) },
      { toJSON: () => 'replaced' },
      new Map([[1, 2]]),
      Object.create(null, { b: { value: 1, enumerable: true }, a: { value: 2, enumerable: true } }),
      { big: 1n },
      cycle,
      deep,
      {
        get boom(): never {
          throw new Error('getter');
        },
      },
      undefined,
    ];
    for (const value of cases)
      expect(outcome(() => canonicalJson(value))).toBe(outcome(() => referenceCanonicalJson(value)));
  });
});
