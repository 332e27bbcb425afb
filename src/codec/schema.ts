/**
 * Typed RLP schemas. A `Codec<T>` maps a TypeScript value to an RLP item and
 * back; decoding validates every field (lengths, canonical integers, list sizes)
 * and reports the path of the first bad field, e.g. `header.stateRoot`.
 *
 * Structs encode as an RLP list of their fields in declaration order, so the
 * order of keys in a `struct({...})` call is part of the wire format: never
 * reorder fields of a shipped structure.
 */
import { DecodeError } from '../errors.ts';
import { fromUtf8, utf8 } from './bytes.ts';
import { DEFAULT_MAX_RLP_BYTES, decodeRlpItem, encodeRlpItem, type RlpItem } from './rlp.ts';

export interface Codec<T> {
  encode(value: T): RlpItem;
  decode(item: RlpItem, path: string): T;
}

export type Infer<C> = C extends Codec<infer T> ? T : never;

function fail(path: string, message: string): never {
  throw new DecodeError('RLP_SCHEMA', `${path}: ${message}`);
}

function expectBytes(item: RlpItem, path: string): Uint8Array {
  if (!(item instanceof Uint8Array)) fail(path, 'expected a byte string, got a list');
  return item;
}

function expectList(item: RlpItem, path: string): RlpItem[] {
  if (item instanceof Uint8Array) fail(path, 'expected a list, got a byte string');
  return item;
}

/** Byte string, optionally of an exact length or bounded length. */
export function bytes(options: { length?: number; maxLength?: number } = {}): Codec<Uint8Array> {
  return {
    encode: (value) => value,
    decode(item, path) {
      const value = expectBytes(item, path);
      if (options.length !== undefined && value.length !== options.length) {
        fail(path, `expected ${options.length} bytes, got ${value.length}`);
      }
      if (options.maxLength !== undefined && value.length > options.maxLength) {
        fail(path, `at most ${options.maxLength} bytes allowed, got ${value.length}`);
      }
      return value;
    },
  };
}

/** 32-byte hash. */
export const hash32: Codec<Uint8Array> = bytes({ length: 32 });

function bigintToMinimalBytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function minimalBytesToBigint(value: Uint8Array, path: string): bigint {
  if (value.length > 0 && value[0] === 0) fail(path, 'integer has a leading zero byte (non-canonical)');
  let out = 0n;
  for (const b of value) out = (out << 8n) | BigInt(b);
  return out;
}

/** Unsigned integer up to 2^256-1 as a minimal big-endian byte string (0 = empty). */
export const bigUint: Codec<bigint> = {
  encode(value) {
    if (value < 0n) throw new RangeError('bigUint cannot encode a negative value');
    return bigintToMinimalBytes(value);
  },
  decode(item, path) {
    const value = expectBytes(item, path);
    if (value.length > 32) fail(path, 'integer wider than 256 bits');
    return minimalBytesToBigint(value, path);
  },
};

/** Unsigned safe integer (≤ 2^53-1): heights, views, counts, millisecond timestamps. */
export const uint: Codec<number> = {
  encode(value) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`uint cannot encode ${value}`);
    let length = 0;
    for (let n = value; n > 0; n = Math.floor(n / 256)) length++;
    const out = new Uint8Array(length);
    for (let i = length - 1, n = value; i >= 0; i--, n = Math.floor(n / 256)) out[i] = n % 256;
    return out;
  },
  decode(item, path) {
    const value = expectBytes(item, path);
    if (value.length > 7) fail(path, 'integer larger than 2^53-1');
    if (value.length > 0 && value[0] === 0) fail(path, 'integer has a leading zero byte (non-canonical)');
    let n = 0;
    for (const b of value) n = n * 256 + b;
    if (n > Number.MAX_SAFE_INTEGER) fail(path, 'integer larger than 2^53-1');
    return n;
  },
};

export const bool: Codec<boolean> = {
  encode: (value) => (value ? Uint8Array.of(1) : new Uint8Array(0)),
  decode(item, path) {
    const value = expectBytes(item, path);
    if (value.length === 0) return false;
    if (value.length === 1 && value[0] === 1) return true;
    return fail(path, 'boolean must be empty (false) or 0x01 (true)');
  },
};

/** UTF-8 text with a byte-length limit. */
export function text(maxBytes: number): Codec<string> {
  return {
    encode: (value) => utf8(value),
    decode(item, path) {
      const value = expectBytes(item, path);
      if (value.length > maxBytes) fail(path, `text longer than ${maxBytes} bytes`);
      return fromUtf8(value, path);
    },
  };
}

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[]): Codec<T> {
  const allowed = new Set<string>(values);
  const maxBytes = Math.max(...values.map((v) => utf8(v).length));
  const inner = text(maxBytes);
  return {
    encode: (value) => inner.encode(value),
    decode(item, path) {
      const value = inner.decode(item, path);
      if (!allowed.has(value)) fail(path, `expected one of ${values.join(', ')}, got "${value}"`);
      return value as T;
    },
  };
}

/** Homogeneous list with an item-count limit. */
export function list<T>(codec: Codec<T>, maxItems: number): Codec<T[]> {
  return {
    encode: (values) => values.map((v) => codec.encode(v)),
    decode(item, path) {
      const items = expectList(item, path);
      if (items.length > maxItems) fail(path, `at most ${maxItems} items allowed, got ${items.length}`);
      return items.map((entry, i) => codec.decode(entry, `${path}[${i}]`));
    },
  };
}

/** Absent (empty list) or present (one-element list). */
export function optional<T>(codec: Codec<T>): Codec<T | undefined> {
  return {
    encode: (value) => (value === undefined ? [] : [codec.encode(value)]),
    decode(item, path) {
      const items = expectList(item, path);
      if (items.length > 1) fail(path, 'optional value must be a list of zero or one item');
      return items.length === 0 ? undefined : codec.decode(items[0]!, path);
    },
  };
}

/** A fixed sequence of named fields, encoded as a list in declaration order. */
export function struct<T extends Record<string, unknown>>(fields: { [K in keyof T]: Codec<T[K]> }): Codec<T> {
  const entries = Object.entries(fields) as [keyof T & string, Codec<unknown>][];
  return {
    encode: (value) => entries.map(([name, codec]) => codec.encode(value[name])),
    decode(item, path) {
      const items = expectList(item, path);
      if (items.length !== entries.length)
        fail(path, `expected ${entries.length} fields, got ${items.length}`);
      const out: Record<string, unknown> = {};
      entries.forEach(([name, codec], i) => {
        out[name] = codec.decode(items[i]!, `${path}.${name}`);
      });
      return out as T;
    },
  };
}

/**
 * A tagged union: encoded as `[tag, body]`. `variants` maps each tag to the
 * codec of its body; the decoded value is `{ type: tag, ...body }`.
 */
export function union<const V extends Record<string, Codec<Record<string, unknown>>>>(
  variants: V,
): Codec<{ [K in keyof V & string]: { type: K } & Infer<V[K]> }[keyof V & string]> {
  type Out = { [K in keyof V & string]: { type: K } & Infer<V[K]> }[keyof V & string];
  const tags = Object.keys(variants);
  const tagCodec = oneOf(tags);
  return {
    encode(value: Out) {
      const { type, ...body } = value as { type: string } & Record<string, unknown>;
      const codec = variants[type];
      if (!codec) throw new RangeError(`unknown variant ${type}`);
      return [tagCodec.encode(type), codec.encode(body)];
    },
    decode(item, path) {
      const items = expectList(item, path);
      if (items.length !== 2) fail(path, 'expected [type, body]');
      const type = tagCodec.decode(items[0]!, `${path}.type`);
      const body = variants[type]!.decode(items[1]!, `${path}.${type}`);
      return { type, ...body } as Out;
    },
  };
}

/** Encodes a value with its codec to RLP bytes. */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  return encodeRlpItem(codec.encode(value));
}

/**
 * Decodes RLP bytes with a codec. `maxBytes` bounds the input before any parsing;
 * `what` names the structure in error messages.
 */
export function decode<T>(
  codec: Codec<T>,
  input: Uint8Array,
  what: string,
  maxBytes = DEFAULT_MAX_RLP_BYTES,
): T {
  return codec.decode(decodeRlpItem(input, maxBytes, what), what);
}
