import { DecodeError } from '../errors.ts';

/**
 * Byte helpers shared by every layer. Everything that enters from outside as
 * hex goes through `fromHex`, which rejects anything but `0x`-prefixed (or bare),
 * even-length, lowercase-or-uppercase hexadecimal.
 */

/** Char codes of the lowercase hex digits. */
const HEX_DIGIT_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** Most bytes rendered by one `String.fromCharCode` call. */
const CHUNK_BYTES = 8192;

/**
 * A string with one char per byte (code points 0-255): a cheap, exact map key
 * for byte strings (a third the length of hex, no table lookups). Not for display.
 */
export function bytesKey(bytes: Uint8Array): string {
  return renderInChunks(bytes, byteChars);
}

/** Lowercase hex with a `0x` prefix. */
export function toHex(bytes: Uint8Array): string {
  return `0x${renderInChunks(bytes, hexDigits)}`;
}

/**
 * `render(bytes)`, in pieces of at most `CHUNK_BYTES` joined when long. The renderers
 * build char codes and make one flat string with one `String.fromCharCode` call (whose
 * argument count is bounded): twice as fast as appending char by char, which builds a
 * rope that V8 flattens again when the string becomes a map key, as most of these do.
 */
function renderInChunks(bytes: Uint8Array, render: (chunk: Uint8Array) => string): string {
  if (bytes.length <= CHUNK_BYTES) return render(bytes);
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) parts.push(render(bytes.subarray(i, i + CHUNK_BYTES)));
  return parts.join('');
}

/** Char-code arrays of the short lengths, reused by every render of that length (hashes, keys). */
const MAX_REUSED_CODES = 128;
const reusedCodes: number[][] = [];

/**
 * An array of `length` char codes to fill and pass to `String.fromCharCode`, which does not
 * keep it: short ones are reused, so rendering a hash allocates only its string.
 */
function codesOf(length: number): number[] {
  if (length > MAX_REUSED_CODES) return new Array<number>(length);
  let codes = reusedCodes[length];
  if (codes === undefined) {
    codes = new Array<number>(length).fill(0);
    reusedCodes[length] = codes;
  }
  return codes;
}

function byteChars(bytes: Uint8Array): string {
  const codes = codesOf(bytes.length);
  for (let i = 0; i < bytes.length; i++) codes[i] = bytes[i]!;
  return String.fromCharCode.apply(null, codes);
}

function hexDigits(bytes: Uint8Array): string {
  const codes = codesOf(2 * bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    codes[2 * i] = HEX_DIGIT_CODES[byte >> 4]!;
    codes[2 * i + 1] = HEX_DIGIT_CODES[byte & 15]!;
  }
  return String.fromCharCode.apply(null, codes);
}

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** The byte of every pair of hex digits, indexed by (first char code << 8 | second char code); -1 = not hex. */
const HEX_PAIRS = (() => {
  const table = new Int16Array(1 << 16).fill(-1);
  const digits = '0123456789abcdefABCDEF';
  for (const a of digits) {
    for (const b of digits) {
      table[(a.charCodeAt(0) << 8) | b.charCodeAt(0)] =
        (hexNibble(a.charCodeAt(0)) << 4) | hexNibble(b.charCodeAt(0));
    }
  }
  return table;
})();

/** Bytes of a hex string, with or without `0x`. Throws `DecodeError` (`BAD_HEX`) on anything else. */
export function fromHex(hex: string, what = 'hex string'): Uint8Array {
  if (typeof hex !== 'string') throw new DecodeError('BAD_HEX', `${what} must be a string`);
  const start = hex.startsWith('0x') || hex.startsWith('0X') ? 2 : 0;
  const digits = hex.length - start;
  if (digits % 2 !== 0) {
    throw new DecodeError('BAD_HEX', `${what} has an odd number of hex digits (${digits})`, {
      hint: 'hex strings encode whole bytes: two digits per byte',
    });
  }
  const out = new Uint8Array(digits / 2);
  for (let i = 0, at = start; i < out.length; i++, at += 2) {
    const high = hex.charCodeAt(at);
    const low = hex.charCodeAt(at + 1);
    // Char codes above 0xff are never hex (and would not fit the table's index).
    const byte = (high | low) > 0xff ? -1 : HEX_PAIRS[(high << 8) | low]!;
    if (byte < 0) {
      throw new DecodeError('BAD_HEX', `${what} has a non-hex character near position ${at - start}`);
    }
    out[i] = byte;
  }
  return out;
}

/** `fromHex` that also requires an exact byte length. */
export function fromHexFixed(hex: string, length: number, what = 'hex string'): Uint8Array {
  const bytes = fromHex(hex, what);
  if (bytes.length !== length) {
    throw new DecodeError('BAD_LENGTH', `${what} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of `text`. Short ASCII strings (field names, codes, keys) skip TextEncoder's per-call cost. */
export function utf8(text: string): Uint8Array {
  if (text.length <= 64) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return encoder.encode(text);
      out[i] = code;
    }
    return out;
  }
  return encoder.encode(text);
}

/**
 * Length in bytes of `text`'s UTF-8 encoding (= `utf8(text).length`, a lone surrogate counting as
 * the 3 bytes of U+FFFD, as TextEncoder writes it), without encoding it: size limits are checked
 * on every payload field.
 */
export function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      length += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 2; // a surrogate pair: 2 code units, 4 bytes
      i++;
    } else {
      length += 2;
    }
  }
  return length;
}

/** Decodes UTF-8, rejecting invalid sequences with `DecodeError` (code `BAD_UTF8`). */
export function fromUtf8(bytes: Uint8Array, what = 'text'): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new DecodeError('BAD_UTF8', `${what} is not valid UTF-8`);
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
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

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order: negative, zero or positive like `Array.prototype.sort` wants. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function startsWithBytes(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Accepts bytes, or a string that is `0x`-hex or else UTF-8 (the CLI's convention for keys and values). */
export function bytesFromCliString(value: string): Uint8Array {
  return value.startsWith('0x') ? fromHex(value) : utf8(value);
}
