import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../codec/bytes.ts';
import {
  canonicalize,
  checkEventName,
  checkJsonValue,
  checkStateKey,
  compareKeys,
  isContractName,
  isMethodName,
  parseSandboxJson,
  truncateUtf8,
} from './boundary.ts';
import { MAX_JSON_DEPTH, MAX_STATE_KEY_BYTES } from './limits.ts';

describe('sandbox boundary checks', () => {
  it('accepts plain JSON up to MAX_JSON_DEPTH and nothing else', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
    expect(() => checkJsonValue(deep, 'v')).not.toThrow();
    expect(() => checkJsonValue([deep], 'v')).toThrow(expect.objectContaining({ code: 'JSON_TOO_DEEP' }));
    for (const bad of [
      undefined,
      () => 1,
      1n,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Map(),
      { a: new Date(0) },
    ]) {
      expect(() => checkJsonValue(bad, 'v')).toThrow(expect.objectContaining({ code: 'NOT_JSON' }));
    }
  });

  it('re-expresses sandbox JSON canonically and checks its size before parsing', () => {
    expect(parseSandboxJson('{"b":1,"a":[true,null]}', 100, 'v', 'VALUE_TOO_LARGE')).toEqual({
      value: { a: [true, null], b: 1 },
      text: '{"a":[true,null],"b":1}',
      bytes: 23,
    });
    expect(() => parseSandboxJson('"x"'.padEnd(101, ' '), 100, 'v', 'VALUE_TOO_LARGE')).toThrow(
      expect.objectContaining({ code: 'VALUE_TOO_LARGE' }),
    );
    expect(() => parseSandboxJson('{bad', 100, 'v', 'VALUE_TOO_LARGE')).toThrow(
      expect.objectContaining({ code: 'NOT_JSON' }),
    );
    // Size counts UTF-8 bytes of the canonical form.
    expect(() => canonicalize('é'.repeat(60), 100, 'v', 'EVENT_TOO_LARGE')).toThrow(
      expect.objectContaining({ code: 'EVENT_TOO_LARGE' }),
    );
  });

  it('accepts keys as opaque strings but refuses control characters, lone surrogates and oversize keys', () => {
    for (const good of [
      'a',
      '../other/x',
      'app/APP-000001',
      '键/值',
      '\u{1F600}',
      'x'.repeat(MAX_STATE_KEY_BYTES),
    ]) {
      expect(checkStateKey(good)).toBe(good);
    }
    for (const bad of [
      '',
      'a\u0000b',
      'a\nb',
      '\u007f',
      '\u0085',
      'a\ud800',
      '\udc00b',
      'é'.repeat(129),
      42,
      null,
    ]) {
      expect(() => checkStateKey(bad)).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
    }
    expect(checkStateKey('', 'prefix', true)).toBe('');
  });

  it('orders keys by UTF-8 bytes, which is code point order, not UTF-16 order', () => {
    expect(compareKeys('\u{1F600}', '\uFFFD')).toBeGreaterThan(0); // UTF-16 would say less
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const byCodePoint = (x: string) => [...x].map((c) => c.codePointAt(0)!);
        const pa = byCodePoint(a);
        const pb = byCodePoint(b);
        let expected = 0;
        for (let i = 0; i < Math.min(pa.length, pb.length) && expected === 0; i++) expected = pa[i]! - pb[i]!;
        if (expected === 0) expected = pa.length - pb.length;
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(expected));
      }),
    );
  });

  it('validates contract, method and event names', () => {
    expect(isContractName('agency-approval')).toBe(true);
    for (const bad of ['Agency', '1x', 'a/b', 'a:b', 'a'.repeat(33), ''])
      expect(isContractName(bad)).toBe(false);
    expect(isMethodName('approve')).toBe(true);
    for (const bad of ['', 'a-b', '1a', 'a b']) expect(isMethodName(bad)).toBe(false);
    expect(checkEventName('Step.Approved:v1')).toBe('Step.Approved:v1');
    expect(() => checkEventName('has space')).toThrow(expect.objectContaining({ code: 'BAD_EVENT' }));
  });

  it('truncates messages on character boundaries', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 0, max: 40 }), (text, max) => {
        const cut = truncateUtf8(text, max);
        expect(utf8(cut).length).toBeLessThanOrEqual(max);
        expect(text.startsWith(cut)).toBe(true);
      }),
    );
  });
});
