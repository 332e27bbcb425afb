/**
 * Host-side checks on everything that crosses the sandbox boundary: JSON
 * values (size, depth, JSON-ness, canonical form) and names (contracts,
 * methods, state keys, events). Each check throws a contract failure with the
 * code the receipt will carry.
 */
import { compareBytes, utf8 } from '../codec/bytes.ts';
import { canonicalJson } from '../codec/canonical-json.ts';
import { type ContractErrorCode, contractFailure } from './failures.ts';
import {
  MAX_CONTRACT_NAME_BYTES,
  MAX_EVENT_NAME_BYTES,
  MAX_JSON_DEPTH,
  MAX_METHOD_NAME_BYTES,
  MAX_STATE_KEY_BYTES,
} from './limits.ts';
import type { JsonValue } from './types.ts';

/** A JSON value in canonical (RFC 8785) text and its UTF-8 size. */
export interface CanonicalJson {
  readonly value: JsonValue;
  readonly text: string;
  readonly bytes: number;
}

/**
 * Checks that `value` is plain JSON (null, boolean, finite number, string, array,
 * plain object) nested at most MAX_JSON_DEPTH deep, without recursion.
 */
export function checkJsonValue(value: unknown, what: string): asserts value is JsonValue {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (item === null || typeof item === 'boolean' || typeof item === 'string') continue;
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) throw contractFailure('NOT_JSON', `${what} holds a non-finite number`);
      continue;
    }
    if (typeof item !== 'object') throw contractFailure('NOT_JSON', `${what} holds a ${typeof item}`);
    if (depth > MAX_JSON_DEPTH) {
      throw contractFailure('JSON_TOO_DEEP', `${what} is nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    if (Array.isArray(item)) {
      for (const element of item) pending.push([element, depth + 1]);
      continue;
    }
    const proto = Object.getPrototypeOf(item);
    if (proto !== Object.prototype && proto !== null) {
      throw contractFailure('NOT_JSON', `${what} holds an object that is not a plain object`);
    }
    for (const key of Object.keys(item)) pending.push([(item as Record<string, unknown>)[key], depth + 1]);
  }
}

/** Canonical JSON of a host-side value, checked and size-limited (`tooLarge` names the failure). */
export function canonicalize(
  value: unknown,
  maxBytes: number,
  what: string,
  tooLarge: ContractErrorCode,
): CanonicalJson {
  checkJsonValue(value, what);
  const text = canonicalJson(value);
  const bytes = utf8(text).length;
  if (bytes > maxBytes)
    throw contractFailure(tooLarge, `${what} is ${bytes} bytes; the limit is ${maxBytes}`);
  return { value: JSON.parse(text) as JsonValue, text, bytes };
}

/**
 * Parses JSON text produced inside the sandbox. The text is size-checked before
 * it is parsed (a UTF-16 length over the limit is already too many UTF-8 bytes),
 * then re-expressed canonically, so what leaves the sandbox never depends on how
 * the contract formatted it.
 */
export function parseSandboxJson(
  text: string,
  maxBytes: number,
  what: string,
  tooLarge: ContractErrorCode,
): CanonicalJson {
  if (text.length > maxBytes) throw contractFailure(tooLarge, `${what} is larger than ${maxBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw contractFailure('NOT_JSON', `${what} is not JSON`);
  }
  return canonicalize(parsed, maxBytes, what, tooLarge);
}

const CONTRACT_NAME = /^[a-z][a-z0-9-]*$/;
const METHOD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const EVENT_NAME = /^[A-Za-z0-9_.:-]+$/;

export function isContractName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_CONTRACT_NAME_BYTES && CONTRACT_NAME.test(name);
}

export function isMethodName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_METHOD_NAME_BYTES && METHOD_NAME.test(name);
}

export function checkEventName(name: unknown): string {
  if (typeof name !== 'string' || name.length > MAX_EVENT_NAME_BYTES || !EVENT_NAME.test(name)) {
    throw contractFailure(
      'BAD_EVENT',
      `an event name is 1 to ${MAX_EVENT_NAME_BYTES} characters from [A-Za-z0-9_.:-]`,
    );
  }
  return name;
}

/**
 * Why `text` is not a clean key, or undefined: an unpaired UTF-16 surrogate would make its UTF-8
 * encoding lossy (two keys, one byte string), and control characters (C0, DEL, C1) have no place
 * in a name that shows up in logs and APIs.
 */
function keyDefect(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) return 'contains a control character';
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'has an unpaired surrogate';
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return 'has an unpaired surrogate';
    }
  }
  return undefined;
}

/**
 * A state key or scan prefix: a string of at most MAX_STATE_KEY_BYTES UTF-8 bytes, well-formed
 * Unicode, with no control characters. Keys are opaque inside the contract's namespace: `/`, `..`
 * and the like mean nothing to the host.
 */
export function checkStateKey(key: unknown, what = 'a state key', allowEmpty = false): string {
  if (typeof key !== 'string') throw contractFailure('BAD_KEY', `${what} must be a string`);
  if (key.length === 0 && !allowEmpty) throw contractFailure('BAD_KEY', `${what} must not be empty`);
  if (key.length > MAX_STATE_KEY_BYTES || utf8(key).length > MAX_STATE_KEY_BYTES) {
    throw contractFailure('BAD_KEY', `${what} is longer than ${MAX_STATE_KEY_BYTES} bytes`);
  }
  const defect = keyDefect(key);
  if (defect !== undefined) throw contractFailure('BAD_KEY', `${what} ${defect}`);
  return key;
}

/** Order of keys in scans: ascending UTF-8 bytes (= Unicode code point order). */
export function compareKeys(a: string, b: string): number {
  return compareBytes(utf8(a), utf8(b));
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8(char).length;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}
