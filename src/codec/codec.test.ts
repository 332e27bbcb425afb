import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import { bytesKey, compareBytes, fromHex, fromUtf8, toHex, utf8, utf8Length } from './bytes.ts';
import { canonicalJson, hashRecord } from './canonical-json.ts';
import {
  decodeRlpItem,
  encodeRlpItem,
  MAX_RLP_DEPTH,
  type RlpItem,
  rlpListItemAt,
  rlpListLength,
} from './rlp.ts';
import {
  bigUint,
  bool,
  bytes,
  decode,
  encode,
  hash32,
  list,
  oneOf,
  optional,
  struct,
  text,
  uint,
  union,
} from './schema.ts';

describe('hex', () => {
  it('round-trips random bytes and rejects odd length and non-hex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
    expect(() => fromHex('0xabc')).toThrow(DecodeError);
    expect(() => fromHex('0xzz')).toThrow(/non-hex/);
    expect(fromHex('ABcd')).toEqual(Uint8Array.of(0xab, 0xcd));
  });

  it('writes lowercase 0x-prefixed hex as Buffer does, at every length (long inputs in chunks)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 8190, maxLength: 20_000 })),
        (b) => {
          expect(toHex(b)).toBe(`0x${Buffer.from(b).toString('hex')}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('accepts exactly pairs of hex digits and decodes them as parseInt does (any characters)', () => {
    // Characters that look like or alias hex digits: fullwidth and dotted forms, codes above 0xff.
    const char = fc.constantFrom(...'0123456789abcdefABCDEFgGxX \u0130\u0131\uff10\u3130\u0100\u00e0');
    fc.assert(
      fc.property(fc.boolean(), fc.array(char, { maxLength: 12 }), (prefixed, chars) => {
        const text = (prefixed ? '0x' : '') + chars.join('');
        const body = /^0[xX]/.test(text) ? text.slice(2) : text; // one leading 0x or 0X is a prefix
        const valid = /^(?:[0-9a-fA-F]{2})*$/.test(body);
        const decode = () => fromHex(text);
        if (!valid) {
          expect(decode).toThrow(DecodeError);
          return;
        }
        const expected = Uint8Array.from(body.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
        expect(decode()).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('compareBytes orders like lexicographic byte order', () => {
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 9))).toBeGreaterThan(0);
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(0);
  });
});

describe('RLP', () => {
  const rlpItem: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>((tie) => ({
    item: fc.oneof(
      { depthSize: 'small' },
      fc.uint8Array({ maxLength: 70 }),
      fc.uint8Array({ minLength: 200, maxLength: 70_000 }),
      fc.array(tie('item'), { maxLength: 4 }),
    ),
  })).item;

  it('rlpListItemAt and rlpListLength read a list as a full decode would, and name a missing item', () => {
    fc.assert(
      fc.property(fc.array(rlpItem, { maxLength: 12 }), (items) => {
        const encoded = encodeRlpItem(items);
        items.forEach((item, i) => {
          expect(rlpListItemAt(encoded, i)).toEqual(item);
        });
        expect(rlpListLength(encoded)).toBe(items.length);
        expect(() => rlpListItemAt(encoded, items.length)).toThrow(
          expect.objectContaining({ code: 'RLP_INDEX' }),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('rlpListItemAt refuses what is not one whole list', () => {
    const encoded = encodeRlpItem([utf8('a'), new Uint8Array(100)]);
    for (const bad of [
      encoded.subarray(0, encoded.length - 1),
      encodeRlpItem(utf8('dog')),
      new Uint8Array(0),
    ]) {
      expect(() => rlpListItemAt(bad, 1)).toThrow(expect.objectContaining({ code: 'RLP_INVALID' }));
      expect(() => rlpListLength(bad)).toThrow(expect.objectContaining({ code: 'RLP_INVALID' }));
    }
  });

  /** What @ethereumjs/rlp makes of `bytes`: the item, or 'invalid'. */
  function reference(bytes: Uint8Array): RlpItem | 'invalid' {
    try {
      return RLP.decode(bytes) as RlpItem;
    } catch {
      return 'invalid';
    }
  }

  function ours(bytes: Uint8Array): RlpItem | 'invalid' {
    try {
      return decodeRlpItem(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(DecodeError);
      return 'invalid';
    }
  }

  it('decodes what it encodes, and accepts and rejects exactly what @ethereumjs/rlp does', () => {
    const mutated = fc
      .tuple(rlpItem, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 3 }))
      .map(([item, at, byte, cut]) => {
        const encoded = encodeRlpItem(item).slice();
        encoded[at % encoded.length] = byte;
        return encoded.subarray(0, Math.max(1, encoded.length - cut));
      });
    fc.assert(
      fc.property(rlpItem, (item) => {
        expect(decodeRlpItem(encodeRlpItem(item))).toEqual(item);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ minLength: 1, maxLength: 80 })), (bytes) => {
        expect(ours(bytes)).toEqual(reference(bytes));
      }),
      { numRuns: 2_000 },
    );
  });

  it("returns byte strings that do not share the caller's buffer", () => {
    const encoded = encodeRlpItem([utf8('cat'), [utf8('dog')]]);
    const decoded = decodeRlpItem(encoded) as [Uint8Array, [Uint8Array]];
    encoded.fill(0);
    expect(fromUtf8(decoded[0])).toBe('cat');
    expect(fromUtf8(decoded[1][0])).toBe('dog');
  });

  it('refuses lists nested deeper than MAX_RLP_DEPTH instead of exhausting the stack', () => {
    let item: RlpItem = [];
    for (let i = 0; i < MAX_RLP_DEPTH; i++) item = [item];
    expect(() => decodeRlpItem(encodeRlpItem(item))).toThrow(/nested deeper than 64/);
    let deep: RlpItem = [];
    for (let i = 0; i < 1_000; i++) deep = [deep];
    expect(() => decodeRlpItem(encodeRlpItem(deep))).toThrow(/nested deeper than 64/);
    expect(decodeRlpItem(encodeRlpItem((item as RlpItem[])[0]!))).toEqual((item as RlpItem[])[0]);
  });

  it('encodes the Ethereum wiki examples', () => {
    expect(toHex(encodeRlpItem(utf8('dog')))).toBe('0x83646f67');
    expect(toHex(encodeRlpItem([utf8('cat'), utf8('dog')]))).toBe('0xc88363617483646f67');
    expect(toHex(encodeRlpItem(new Uint8Array(0)))).toBe('0x80');
    expect(toHex(encodeRlpItem([]))).toBe('0xc0');
  });

  it('rejects trailing bytes, non-canonical single bytes, non-canonical lengths, truncation and oversize input', () => {
    expect(() => decodeRlpItem(fromHex('0x83646f6700'))).toThrow(DecodeError); // trailing byte
    expect(() => decodeRlpItem(fromHex('0x8105'))).toThrow(/canonical/); // 0x05 must not be prefixed
    expect(() => decodeRlpItem(fromHex('0xb800'))).toThrow(DecodeError); // long form for a short string
    expect(() => decodeRlpItem(fromHex('0x83646f'))).toThrow(DecodeError); // truncated
    expect(() => decodeRlpItem(new Uint8Array(100), 10)).toThrow(
      expect.objectContaining({ code: 'RLP_TOO_LARGE' }),
    );
    expect(() => decodeRlpItem(new Uint8Array(0))).toThrow(/empty/);
  });
});

describe('typed schemas', () => {
  const Header = struct({
    height: uint,
    parentHash: hash32,
    proposer: bytes({ length: 32 }),
    note: text(16),
    total: bigUint,
    final: bool,
    kind: oneOf(['a', 'b']),
    tags: list(text(8), 3),
    extra: optional(uint),
  });
  const sample = {
    height: 7,
    parentHash: new Uint8Array(32).fill(1),
    proposer: new Uint8Array(32).fill(2),
    note: 'hello',
    total: 2n ** 200n,
    final: true,
    kind: 'b' as const,
    tags: ['x', 'y'],
    extra: undefined,
  };

  it('round-trips a struct and any random values of each field type', () => {
    expect(decode(Header, encode(Header, sample), 'header')).toEqual(sample);
    fc.assert(
      fc.property(fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.boolean(), (n, big, flag) => {
        const value = { ...sample, height: n, total: big, final: flag, extra: n };
        expect(decode(Header, encode(Header, value), 'header')).toEqual(value);
      }),
    );
  });

  it('names the bad field in the error', () => {
    const bad = encodeRlpItem([
      ...(Header.encode(sample) as Uint8Array[]).slice(0, 1),
      new Uint8Array(31),
      ...(Header.encode(sample) as Uint8Array[]).slice(2),
    ]);
    expect(() => decode(Header, bad, 'header')).toThrow('header.parentHash: expected 32 bytes, got 31');
  });

  it('rejects non-canonical integers, too many list items, and wrong field counts', () => {
    expect(() => uint.decode(Uint8Array.of(0, 1), 'n')).toThrow(/leading zero/);
    expect(() =>
      list(uint, 2).decode([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)], 'l'),
    ).toThrow(/at most 2/);
    expect(() => Header.decode([], 'header')).toThrow(/expected 9 fields/);
    expect(() => uint.decode(new Uint8Array(8).fill(1), 'n')).toThrow(/2\^53/);
    expect(() => bool.decode(Uint8Array.of(2), 'b')).toThrow(/boolean/);
    expect(() => text(4).decode(utf8('too long'), 't')).toThrow(/longer than 4/);
  });

  it('tagged unions round-trip and reject unknown tags', () => {
    const Msg = union({ ping: struct({ n: uint }), note: struct({ text: text(10) }) });
    const ping = { type: 'ping' as const, n: 3 };
    expect(decode(Msg, encode(Msg, ping), 'msg')).toEqual(ping);
    expect(() => Msg.decode([utf8('pong'), []], 'msg')).toThrow(/expected one of/);
  });
});

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys and normalises numbers, so equal records hash equally', () => {
    expect(canonicalJson({ b: 1, a: [1e21, 'x', null], c: { z: true, y: 0.5 } })).toBe(
      '{"a":[1e+21,"x",null],"b":1,"c":{"y":0.5,"z":true}}',
    );
    expect(toHex(hashRecord({ b: 1, a: 2 }))).toBe(toHex(hashRecord({ a: 2, b: 1 })));
    expect(toHex(hashRecord({ a: 2 }))).not.toBe(toHex(hashRecord({ a: 3 })));
  });

  it('rejects values JSON cannot represent', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(expect.objectContaining({ code: 'NOT_CANONICALIZABLE' }));
    expect(() => canonicalJson({ n: 1n })).toThrow(expect.objectContaining({ code: 'NOT_CANONICALIZABLE' }));
  });
});

describe('the RLP encoder', () => {
  const item: fc.Arbitrary<RlpItem> = fc.letrec((tie) => ({
    item: fc.oneof(
      { depthSize: 'small' },
      fc.uint8Array({ maxLength: 70 }),
      fc.array(tie('item'), { maxLength: 6 }),
    ),
  })).item as fc.Arbitrary<RlpItem>;

  it('is byte-identical to @ethereumjs/rlp for any nested item, including long strings and lists', () => {
    fc.assert(
      fc.property(item, (value) => {
        expect(toHex(encodeRlpItem(value))).toBe(toHex(RLP.encode(value)));
      }),
      { numRuns: 500 },
    );
    const long = [new Uint8Array(70_000).fill(7), [new Uint8Array(300), new Uint8Array(1).fill(0x80)]];
    expect(toHex(encodeRlpItem(long))).toBe(toHex(RLP.encode(long)));
  });
});

describe('utf8 and bytesKey', () => {
  it('utf8 equals TextEncoder for any string, short or long, ASCII or not', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100, unit: 'binary' }), (text) => {
        expect(utf8(text)).toEqual(new TextEncoder().encode(text));
      }),
      { numRuns: 500 },
    );
  });

  it('bytesKey is injective: equal keys exactly for equal bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        expect(bytesKey(a) === bytesKey(b)).toBe(toHex(a) === toHex(b));
      }),
      { numRuns: 500 },
    );
  });

  it('bytesKey has one char per byte, its code the byte, at every length (long inputs in chunks)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 8190, maxLength: 20_000 })),
        (b) => {
          expect(bytesKey(b)).toBe(Buffer.from(b).toString('latin1'));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('utf8Length', () => {
  it('is the length of the UTF-8 encoding, for any string, lone surrogates included (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
      }),
      { numRuns: 2_000 },
    );
    expect(utf8Length('a\u00e9\u20ac\u{1f600}\ud800x')).toBe(1 + 2 + 3 + 4 + 3 + 1);
  });
});
