/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) and the content hash of records:
 * SHA-256 over the canonical UTF-8 bytes. Two parties that hold the same record
 * compute the same hash regardless of key order or whitespace.
 *
 * Two paths, one result. Plain JSON data (strings without lone surrogates,
 * finite numbers, booleans, null, arrays, plain objects without `undefined`
 * members, nested at most `MAX_FAST_DEPTH` deep) is written directly: strings
 * and numbers by `JSON.stringify` (ECMAScript's escaping and Number-to-String,
 * which RFC 8785 adopts), object keys sorted by UTF-16 code units (the default
 * `sort` order). Anything else (lone surrogates, NaN, `toJSON`, class
 * instances, cycles, `undefined`, throwing getters, ...) goes to the reference,
 * the `canonicalize` package, which defines the result or the error. A
 * differential test holds the fast path to the reference on arbitrary values.
 * Records are hashed several times on the anchoring path, so this is hot.
 */
import canonicalize from 'canonicalize';
import { sha256 } from '../crypto/sha256.ts';
import { ValidationError } from '../errors.ts';
import { utf8 } from './bytes.ts';

/** Deeper values take the reference path (which also detects cycles). Records nest 5 levels. */
const MAX_FAST_DEPTH = 32;

/** Any UTF-16 surrogate: only strings with one need the (slower) lone-surrogate check. */
const SURROGATE = /[\uD800-\uDFFF]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Thrown inside the writer when a value is not plain JSON data; never escapes this module. */
const NOT_PLAIN = new Error('not plain JSON data');

function writeString(text: string): string {
  if (SURROGATE.test(text) && LONE_SURROGATE.test(text)) throw NOT_PLAIN;
  return JSON.stringify(text);
}

function writeValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_FAST_DEPTH) throw NOT_PLAIN;
      return Array.isArray(value) ? writeArray(value, depth + 1) : writeObject(value, depth + 1);
    default:
      throw NOT_PLAIN;
  }
}

function writeArray(values: readonly unknown[], depth: number): string {
  if (Object.getPrototypeOf(values) !== Array.prototype) throw NOT_PLAIN;
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += writeValue(values[i], depth);
  }
  return `${out}]`;
}

/** Objects with at most this many keys are sorted in place by insertion (see `sortKeys`). */
const INSERTION_SORT_KEYS = 16;

/**
 * `keys.sort()` (UTF-16 code unit order; the keys of one object are distinct). Small objects,
 * the common case, are insertion-sorted in place: `Array.prototype.sort` copies every array
 * it sorts into a scratch array, and transactions' small objects made that a visible share
 * of a validator's garbage.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_KEYS) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

function writeObject(value: object, depth: number): string {
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw NOT_PLAIN;
  const record = value as Record<string, unknown>;
  if (typeof record.toJSON === 'function') throw NOT_PLAIN;
  const keys = sortKeys(Object.keys(record));
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out += ',';
    out += writeString(key);
    out += ':';
    out += writeValue(record[key], depth);
  }
  return `${out}}`;
}

/** Canonical JSON text. Rejects values JSON cannot represent (undefined, functions, NaN, cycles, bigint). */
export function canonicalJson(value: unknown): string {
  try {
    return writeValue(value, 0);
  } catch {
    // NOT_PLAIN, or a throwing getter or proxy: the reference gives the result or the error.
    return referenceCanonicalJson(value);
  }
}

/** `canonicalJson` by the reference implementation only (the `canonicalize` package), errors typed. */
export function referenceCanonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new ValidationError('NOT_CANONICALIZABLE', 'the record cannot be expressed as canonical JSON', {
      cause,
    });
  }
  if (text === undefined) throw new ValidationError('NOT_CANONICALIZABLE', 'the record is undefined');
  return text;
}

/** SHA-256 of the record's RFC 8785 canonical form. */
export function hashRecord(value: unknown): Uint8Array {
  return sha256(utf8(canonicalJson(value)));
}
