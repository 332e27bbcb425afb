/**
 * RLP (Ethereum's Recursive Length Prefix) for everything hashed, signed or sent
 * between nodes. Every decoding failure is a typed `DecodeError`: trailing bytes,
 * non-canonical lengths or single bytes, truncated input, nesting deeper than
 * `MAX_RLP_DEPTH` and input over the caller's size limit are all rejected.
 * Encoding and decoding agree byte for byte with `@ethereumjs/rlp` (property
 * tests compare them), which this module replaced on the hot path.
 */
import { DecodeError } from '../errors.ts';
import { newCursor, type RlpCursor, readItem } from './rlp-reader.ts';

/** A decoded RLP value: a byte string or a list of values. */
export type RlpItem = Uint8Array | RlpItem[];

/** Default cap on RLP input handed to `decodeRlpItem` (callers pass tighter limits where they know them). */
export const DEFAULT_MAX_RLP_BYTES = 16 * 1024 * 1024;
/** Deepest list nesting `decodeRlpItem` accepts; Meridian's formats nest a few levels. */
export const MAX_RLP_DEPTH = 64;

/** Length of the RLP header in front of a payload of `length` bytes. */
export function rlpHeaderLength(length: number): number {
  if (length <= 55) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  return 5;
}

/** Writes an RLP header (`shortBase` 0x80 for byte strings, 0xc0 for lists); returns the new offset. */
export function writeRlpHeader(
  out: Uint8Array,
  offset: number,
  length: number,
  shortBase: 0x80 | 0xc0,
): number {
  if (length <= 55) {
    out[offset] = shortBase + length;
    return offset + 1;
  }
  const lengthOfLength = rlpHeaderLength(length) - 1;
  out[offset] = shortBase + 55 + lengthOfLength;
  for (let i = lengthOfLength; i >= 1; i--) {
    out[offset + i] = length & 0xff;
    length = Math.floor(length / 256);
  }
  return offset + 1 + lengthOfLength;
}

/** Encoded size of a byte string (a single byte below 0x80 is its own encoding). */
export function rlpStringLength(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n === 1 && bytes[0]! < 0x80) return 1;
  return rlpHeaderLength(n) + n;
}

/** Writes a byte string's encoding; returns the new offset. */
export function writeRlpString(out: Uint8Array, offset: number, bytes: Uint8Array): number {
  if (bytes.length === 1 && bytes[0]! < 0x80) {
    out[offset] = bytes[0]!;
    return offset + 1;
  }
  offset = writeRlpHeader(out, offset, bytes.length, 0x80);
  out.set(bytes, offset);
  return offset + bytes.length;
}

/** Encoded size of `item`; pushes each list's payload length in pre-order for `write`. */
function measure(item: RlpItem, listLengths: number[]): number {
  if (item instanceof Uint8Array) return rlpStringLength(item);
  const slot = listLengths.length;
  listLengths.push(0);
  let payload = 0;
  for (const child of item) payload += measure(child, listLengths);
  listLengths[slot] = payload;
  return rlpHeaderLength(payload) + payload;
}

function write(
  item: RlpItem,
  out: Uint8Array,
  offset: number,
  listLengths: number[],
  cursor: { next: number },
): number {
  if (item instanceof Uint8Array) return writeRlpString(out, offset, item);
  offset = writeRlpHeader(out, offset, listLengths[cursor.next++]!, 0xc0);
  for (const child of item) offset = write(child, out, offset, listLengths, cursor);
  return offset;
}

/**
 * Canonical RLP encoding of an item, written in two passes into one buffer
 * (measure, then write). Byte-identical to `@ethereumjs/rlp`'s `encode` (a
 * property test checks it) and several times faster on the hot path, which
 * allocates one buffer per call instead of one per node of the item.
 */
export function encodeRlpItem(item: RlpItem): Uint8Array {
  const listLengths: number[] = [];
  const out = new Uint8Array(measure(item, listLengths));
  write(item, out, 0, listLengths, { next: 0 });
  return out;
}

/**
 * Decodes exactly one RLP item; the whole input must be consumed. The byte
 * strings of the result are views into ONE private copy of `bytes` (the caller
 * may reuse or change its buffer afterwards): one allocation per call instead
 * of one copy per item.
 */
export function decodeRlpItem(
  bytes: Uint8Array,
  maxBytes = DEFAULT_MAX_RLP_BYTES,
  what = 'RLP input',
): RlpItem {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('RLP_INVALID', `${what} must be bytes`);
  if (bytes.length > maxBytes) {
    throw new DecodeError('RLP_TOO_LARGE', `${what} is ${bytes.length} bytes; the limit is ${maxBytes}`);
  }
  if (bytes.length === 0) throw new DecodeError('RLP_INVALID', `${what} is empty`);
  const copy = bytes.slice();
  const cursor = newCursor();
  try {
    const item = decodeAt(copy, 0, copy.length, cursor, 0);
    if (cursor.end !== copy.length) throw new DecodeError('RLP_INVALID', 'trailing bytes after the item');
    return item;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DecodeError('RLP_INVALID', `${what} is not canonical RLP: ${reason}`, { cause });
  }
}

/** The item at `pos` (ending by `limit`); on return `cursor.end` is where it ends. */
function decodeAt(buffer: Uint8Array, pos: number, limit: number, cursor: RlpCursor, depth: number): RlpItem {
  readItem(buffer, pos, limit, cursor);
  if (!cursor.isList) return buffer.subarray(cursor.payloadStart, cursor.end);
  if (depth >= MAX_RLP_DEPTH)
    throw new DecodeError('RLP_INVALID', `lists nested deeper than ${MAX_RLP_DEPTH}`);
  const end = cursor.end;
  const items: RlpItem[] = [];
  for (let offset = cursor.payloadStart; offset < end; offset = cursor.end) {
    items.push(decodeAt(buffer, offset, end, cursor, depth + 1));
  }
  cursor.end = end;
  return items;
}

/**
 * Item `index` of the RLP list `bytes`, decoded, without decoding the items before
 * or after it (their headers are read to step over them): for one transaction or
 * receipt out of a large stored block. Throws `DecodeError` (`RLP_INVALID`) if
 * `bytes` is not one RLP list or a header runs past its end, and `RLP_INDEX` if
 * the list has no item `index`.
 */
export function rlpListItemAt(bytes: Uint8Array, index: number, what = 'RLP list'): RlpItem {
  let i = 0;
  for (const [start, end] of listItemBounds(bytes, what)) {
    if (i === index) return decodeRlpItem(bytes.subarray(start, end), bytes.length, `${what} item ${i}`);
    i++;
  }
  throw new DecodeError('RLP_INDEX', `${what} has no item ${index}`);
}

/** The number of items in the RLP list `bytes`, read from their headers alone; throws as `rlpListItemAt`. */
export function rlpListLength(bytes: Uint8Array, what = 'RLP list'): number {
  let count = 0;
  for (const _ of listItemBounds(bytes, what)) count++;
  return count;
}

/** `[start, end)` of each item of the list `bytes`, in order (headers read strictly, by `readItem`). */
function* listItemBounds(bytes: Uint8Array, what: string): Generator<[number, number]> {
  const cursor = newCursor();
  const read = (offset: number, limit: number, where: string) => {
    try {
      readItem(bytes, offset, limit, cursor);
    } catch (error) {
      throw new DecodeError('RLP_INVALID', `${where}: ${(error as Error).message}`);
    }
  };
  read(0, bytes.length, what);
  if (!cursor.isList || cursor.end !== bytes.length) {
    throw new DecodeError('RLP_INVALID', `${what} is not a single RLP list`);
  }
  const end = cursor.end;
  for (let offset = cursor.payloadStart, i = 0; offset < end; i++) {
    read(offset, end, `${what} item ${i}`);
    yield [offset, cursor.end];
    offset = cursor.end;
  }
}
