/**
 * A minimal, allocation-free reader of canonical RLP headers for hot paths (trie
 * proof verification and node loading, a transaction's id from its bytes, one item
 * of a stored list). `rlp.ts` is the general decoder; this one only reports offsets
 * into the input so a caller can walk an encoding without building arrays. It
 * rejects everything the general decoder rejects: truncated items, long forms for
 * short lengths, lengths with leading zeros, and a single byte below 0x80 wrapped
 * in a string header.
 */
import { DecodeError } from '../errors.ts';

/** Where an item read by `readItem` sits in the buffer. Reused between calls: copy what you keep. */
export interface RlpCursor {
  /** True for a list, false for a byte string. */
  isList: boolean;
  /** Start of the payload (after the header). */
  payloadStart: number;
  /** End of the payload = end of the item. */
  end: number;
}

function fail(message: string): never {
  throw new DecodeError('RLP_INVALID', message);
}

/**
 * Reads the header of the item starting at `pos` that must end at or before `limit`,
 * filling `cursor`. Throws `DecodeError` (code `RLP_INVALID`) on malformed input.
 */
export function readItem(buffer: Uint8Array, pos: number, limit: number, cursor: RlpCursor): void {
  if (pos >= limit) fail('RLP item expected, input ended');
  const b = buffer[pos]!;
  if (b < 0x80) {
    cursor.isList = false;
    cursor.payloadStart = pos;
    cursor.end = pos + 1;
    return;
  }
  if (b <= 0xb7) {
    const length = b - 0x80;
    const end = pos + 1 + length;
    if (end > limit) fail('RLP string runs past the end of its container');
    if (length === 1 && buffer[pos + 1]! < 0x80) fail('RLP single byte below 0x80 must not have a header');
    cursor.isList = false;
    cursor.payloadStart = pos + 1;
    cursor.end = end;
    return;
  }
  if (b < 0xc0) {
    readLong(buffer, pos, limit, b - 0xb7, cursor);
    cursor.isList = false;
    return;
  }
  if (b <= 0xf7) {
    const end = pos + 1 + (b - 0xc0);
    if (end > limit) fail('RLP list runs past the end of its container');
    cursor.isList = true;
    cursor.payloadStart = pos + 1;
    cursor.end = end;
    return;
  }
  readLong(buffer, pos, limit, b - 0xf7, cursor);
  cursor.isList = true;
}

function readLong(buffer: Uint8Array, pos: number, limit: number, lengthOfLength: number, cursor: RlpCursor) {
  if (lengthOfLength > 4) fail('RLP length over 4 GiB');
  if (pos + 1 + lengthOfLength > limit) fail('RLP length runs past the end of its container');
  if (buffer[pos + 1] === 0) fail('RLP length has a leading zero byte');
  let length = 0;
  for (let i = 0; i < lengthOfLength; i++) length = length * 256 + buffer[pos + 1 + i]!;
  if (length <= 55) fail('RLP long form used for a length of 55 or less');
  const payloadStart = pos + 1 + lengthOfLength;
  const end = payloadStart + length;
  if (end > limit) fail('RLP item runs past the end of its container');
  cursor.payloadStart = payloadStart;
  cursor.end = end;
}

/** A fresh cursor. */
export function newCursor(): RlpCursor {
  return { isList: false, payloadStart: 0, end: 0 };
}
