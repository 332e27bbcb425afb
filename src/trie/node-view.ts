/**
 * Allocation-free inspection of encoded trie nodes, for the proof verifiers: a
 * verifier walks one path through hash-checked node bytes and never needs a
 * decoded node object. Shape errors are `DecodeError`s; the verifiers turn them
 * into `VerificationError`s.
 */

import { newCursor } from '../codec/rlp-reader.ts';
import { DecodeError } from '../errors.ts';
import { newNodeItems, readNodeItems } from './node-decoding.ts';

/** The items of the node most recently read by `readNodeView` (reused between calls). */
export const view = newNodeItems();
const cursor = newCursor();

/** Splits the node at `buffer[start..end)` into `view` (2 or 17 items). */
export function readNodeView(buffer: Uint8Array, start: number, end: number): void {
  readNodeItems(buffer, start, end, view, cursor);
}

/** A decoded hex-prefix header: whether the node is a leaf and how many nibbles its path has. */
export interface PathHeader {
  isLeaf: boolean;
  length: number;
  /** Index of the first path nibble among the nibbles of the encoded bytes (1 if odd, 2 if even). */
  firstNibble: number;
}

/**
 * Reads the hex-prefix header of item 0 of `view` (the path of a leaf or extension)
 * in `buffer`, validating the flag and pad nibbles. Result object is reused.
 */
export function readPathHeader(buffer: Uint8Array, header: PathHeader): void {
  if (view.isList[0])
    throw new DecodeError('TRIE_NODE_INVALID', 'the path of a leaf or extension must be a byte string');
  const start = view.payloadStarts[0]!;
  const end = view.ends[0]!;
  if (end <= start) throw new DecodeError('BAD_HEX_PREFIX', 'hex-prefix path is empty (no flag byte)');
  const first = buffer[start]!;
  const flag = first >> 4;
  if (flag > 3) throw new DecodeError('BAD_HEX_PREFIX', `hex-prefix flag nibble ${flag} is not 0..3`);
  const odd = flag & 1;
  if (!odd && (first & 15) !== 0) {
    throw new DecodeError('BAD_HEX_PREFIX', 'hex-prefix pad nibble of an even-length path is not zero');
  }
  header.isLeaf = flag >= 2;
  header.length = (end - start - 1) * 2 + odd;
  header.firstNibble = odd ? 1 : 2;
}

/**
 * How many leading nibbles of the path (item 0 of `view`, header `header`) equal
 * the nibbles of `key` (bytes, high nibble first) from nibble `depth` on, up to the
 * shorter of the two. Reads nibbles in place: no nibble array is built.
 */
export function matchPath(buffer: Uint8Array, header: PathHeader, key: Uint8Array, depth: number): number {
  const start = view.payloadStarts[0]!;
  const n = Math.min(header.length, key.length * 2 - depth);
  for (let j = 0; j < n; j++) {
    const k = j + header.firstNibble;
    const byte = buffer[start + (k >> 1)]!;
    const nibble = k & 1 ? byte & 15 : byte >> 4;
    const at = depth + j;
    const keyByte = key[at >> 1]!;
    if (nibble !== (at & 1 ? keyByte & 15 : keyByte >> 4)) return j;
  }
  return n;
}

/** Nibble `index` of `key` (high nibble of each byte first). */
export function nibbleAt(key: Uint8Array, index: number): number {
  const byte = key[index >> 1]!;
  return index & 1 ? byte & 15 : byte >> 4;
}

/** True when `a[aStart..aStart+32)` equals the 32-byte `b`. */
export function equalHashAt(a: Uint8Array, aStart: number, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[aStart + i] !== b[i]) return false;
  return true;
}
