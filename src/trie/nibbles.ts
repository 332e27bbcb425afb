/**
 * Nibbles and hex-prefix (compact) encoding, Ethereum Yellow Paper appendix C.
 *
 * A trie key of n bytes is walked as 2n nibbles (high nibble first), so a byte
 * prefix of a key is a nibble prefix of its path: this is why raw (unhashed)
 * URI keys keep a dataset's entries in one subtree.
 *
 * Nibble arrays are `Uint8Array`s holding one nibble (0..15) per element.
 */
import { DecodeError } from '../errors.ts';

/** The nibbles of `bytes`, high nibble first: 2 * bytes.length elements. */
export function bytesToNibbles(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out[2 * i] = b >> 4;
    out[2 * i + 1] = b & 15;
  }
  return out;
}

/**
 * `bytesToNibbles` of many keys at once, backed by one buffer (the bulk build
 * and the subtree verifier convert thousands of keys; one allocation instead of
 * one per key). The results are views into that buffer.
 */
export function keysToNibbles(keys: readonly Uint8Array[]): Uint8Array[] {
  let total = 0;
  for (let k = 0; k < keys.length; k++) total += keys[k]!.length;
  const buffer = new Uint8Array(total * 2);
  const out: Uint8Array[] = new Array(keys.length);
  let offset = 0;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const start = offset;
    for (let i = 0; i < key.length; i++) {
      const b = key[i]!;
      buffer[offset++] = b >> 4;
      buffer[offset++] = b & 15;
    }
    out[k] = buffer.subarray(start, offset);
  }
  return out;
}

/** Inverse of `bytesToNibbles`. The nibble count must be even (a whole number of bytes). */
export function nibblesToBytes(nibbles: Uint8Array): Uint8Array {
  if (nibbles.length % 2 !== 0) {
    throw new DecodeError('ODD_NIBBLES', `${nibbles.length} nibbles do not make whole bytes`);
  }
  const out = new Uint8Array(nibbles.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (nibbles[2 * i]! << 4) | nibbles[2 * i + 1]!;
  return out;
}

/**
 * Length of the common prefix of `a[aStart..]` and `b[bStart..]`.
 */
export function commonPrefixLength(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number): number {
  const n = Math.min(a.length - aStart, b.length - bStart);
  let i = 0;
  while (i < n && a[aStart + i] === b[bStart + i]) i++;
  return i;
}

/** True when `nibbles[start..start+path.length)` equals `path`. */
export function matchesAt(nibbles: Uint8Array, start: number, path: Uint8Array): boolean {
  if (start + path.length > nibbles.length) return false;
  for (let i = 0; i < path.length; i++) if (nibbles[start + i] !== path[i]) return false;
  return true;
}

/** Concatenation of nibble arrays (a fresh array). */
export function concatNibbles(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Hex-prefix encoding of a nibble path: the first nibble carries the flags
 * (bit 1 = leaf, bit 0 = odd length), an even-length path gets a zero pad nibble.
 * Output length is floor(n / 2) + 1 bytes.
 */
export function hexPrefixEncode(path: Uint8Array, isLeaf: boolean): Uint8Array {
  const out = new Uint8Array((path.length >> 1) + 1);
  writeHexPrefix(out, 0, path, isLeaf);
  return out;
}

/** Length in bytes of the hex-prefix encoding of an n-nibble path. */
export function hexPrefixLength(nibbleCount: number): number {
  return (nibbleCount >> 1) + 1;
}

/**
 * Writes the hex-prefix encoding of `path` into `out` at `offset` (hexPrefixLength bytes);
 * the node encoder uses it to avoid an intermediate array.
 */
export function writeHexPrefix(out: Uint8Array, offset: number, path: Uint8Array, isLeaf: boolean): void {
  const flag = isLeaf ? 2 : 0;
  const n = path.length;
  if (n & 1) {
    out[offset] = ((flag | 1) << 4) | path[0]!;
    for (let i = 1, o = offset + 1; i < n; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!;
  } else {
    out[offset] = flag << 4;
    for (let i = 0, o = offset + 1; i < n; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!;
  }
}

/**
 * Decodes a hex-prefix encoded path. Throws `DecodeError` (code `BAD_HEX_PREFIX`)
 * for an empty input, an unknown flag nibble, or a non-zero pad nibble: every
 * path has exactly one valid encoding.
 */
export function hexPrefixDecode(encoded: Uint8Array): { path: Uint8Array; isLeaf: boolean } {
  return hexPrefixDecodeRange(encoded, 0, encoded.length);
}

/** `hexPrefixDecode` of `buffer[start..end)`, without copying the input first. */
export function hexPrefixDecodeRange(
  buffer: Uint8Array,
  start: number,
  end: number,
): { path: Uint8Array; isLeaf: boolean } {
  if (end <= start) throw new DecodeError('BAD_HEX_PREFIX', 'hex-prefix path is empty (no flag byte)');
  const first = buffer[start]!;
  const flag = first >> 4;
  if (flag > 3) throw new DecodeError('BAD_HEX_PREFIX', `hex-prefix flag nibble ${flag} is not 0..3`);
  const odd = flag & 1;
  if (!odd && (first & 15) !== 0) {
    throw new DecodeError('BAD_HEX_PREFIX', 'hex-prefix pad nibble of an even-length path is not zero');
  }
  const byteCount = end - start - 1;
  const path = new Uint8Array(byteCount * 2 + odd);
  let o = 0;
  if (odd) path[o++] = first & 15;
  for (let i = start + 1; i < end; i++) {
    const b = buffer[i]!;
    path[o++] = b >> 4;
    path[o++] = b & 15;
  }
  return { path, isLeaf: flag >= 2 };
}
