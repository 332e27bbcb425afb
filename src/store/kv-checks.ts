import { compareBytes } from '../codec/bytes.ts';
import { StoreError } from '../errors.ts';
import type { KvOp, KvRange } from './kv.ts';

/**
 * Checks shared by every `KvStore` implementation, so that the in-memory store,
 * lmdb and prefixed views accept and refuse exactly the same inputs.
 */

/**
 * Longest key a `KvStore` accepts, in bytes. It is lmdb's limit with its default
 * 4 KiB pages (`env.getMaxKeySize()` = 1978); the in-memory store enforces it too,
 * so code tested against memory cannot write keys that lmdb would refuse.
 * A prefixed view accepts `MAX_KEY_BYTES - prefix.length`.
 */
export const MAX_KEY_BYTES = 1978;

/** The normalised form of a `KvRange`: `gte` absent means "from the first key", `lt` absent "to the last". */
export interface CheckedRange {
  readonly gte: Uint8Array | undefined;
  readonly lt: Uint8Array | undefined;
  readonly reverse: boolean;
  /** `Infinity` when no limit was given. */
  readonly limit: number;
  /** True when the range can hold no entry (`limit` 0, `lt` empty, or `gte >= lt`). */
  readonly empty: boolean;
}

export function storeClosedError(what: string): StoreError {
  return new StoreError('STORE_CLOSED', `${what} is closed`, {
    hint: 'the store was closed (node shutting down?); open it again before using it',
  });
}

/**
 * Throws `KV_BAD_KEY` (not bytes), `KV_KEY_EMPTY` or `KV_KEY_TOO_LARGE`. Keys must be
 * 1..`maxKeyBytes` bytes: lmdb cannot store an empty key, and every store behaves alike.
 */
export function checkKey(key: unknown, maxKeyBytes: number = MAX_KEY_BYTES): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) {
    throw new StoreError('KV_BAD_KEY', `a key must be a Uint8Array, got ${describe(key)}`, {
      hint: 'encode the key to bytes first (codec/bytes.ts: utf8, fromHex)',
    });
  }
  if (key.length === 0) {
    throw new StoreError('KV_KEY_EMPTY', 'a key must not be empty', {
      hint: 'use at least one byte (lmdb cannot store an empty key)',
    });
  }
  checkKeyLength(key, maxKeyBytes, 'key');
}

function checkKeyLength(key: Uint8Array, maxKeyBytes: number, what: string): void {
  if (key.length > maxKeyBytes) {
    throw new StoreError('KV_KEY_TOO_LARGE', `${what} is ${key.length} bytes, more than ${maxKeyBytes}`, {
      hint: `keys are limited to MAX_KEY_BYTES (${MAX_KEY_BYTES}) minus any namespace prefix; hash long keys`,
      details: { length: key.length, maxKeyBytes },
    });
  }
}

function checkValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new StoreError('KV_BAD_VALUE', `a value must be a Uint8Array, got ${describe(value)}`, {
      hint: 'encode the value to bytes first (RLP or UTF-8)',
    });
  }
}

/**
 * Checks every op of a batch before anything is applied, so that a bad op leaves the store
 * untouched. Throws `KV_BAD_OP`, `KV_BAD_VALUE` or a key error (`checkKey`).
 */
export function checkOps(ops: readonly KvOp[], maxKeyBytes: number = MAX_KEY_BYTES): void {
  if (!Array.isArray(ops)) {
    throw new StoreError('KV_BAD_OP', `write takes an array of ops, got ${describe(ops)}`);
  }
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as KvOp | undefined;
    if (op?.type === 'put') {
      checkKey(op.key, maxKeyBytes);
      checkValue(op.value);
    } else if (op?.type === 'del') {
      checkKey(op.key, maxKeyBytes);
    } else {
      throw new StoreError('KV_BAD_OP', `op ${i} must have type 'put' or 'del'`, {
        details: { index: i },
      });
    }
  }
}

/**
 * `checkOps`, then private copies of keys and values, for a store that keeps them: the caller
 * may reuse its buffers as soon as `write` returns, even before it resolves.
 * (`new Uint8Array(x)` rather than `x.slice()`: on a Node `Buffer`, `slice` is a view.)
 */
export function checkAndCopyOps(ops: readonly KvOp[], maxKeyBytes: number = MAX_KEY_BYTES): KvOp[] {
  checkOps(ops, maxKeyBytes);
  return ops.map(
    (op): KvOp =>
      op.type === 'put'
        ? { type: 'put', key: new Uint8Array(op.key), value: new Uint8Array(op.value) }
        : { type: 'del', key: new Uint8Array(op.key) },
  );
}

/**
 * Validates and normalises a range. Bounds may be empty (an empty `gte` is the
 * smallest key, an empty `lt` makes the range empty) but not longer than
 * `maxKeyBytes`; `limit` must be a non-negative integer. Throws `KV_BAD_RANGE`.
 */
export function checkRange(range: KvRange | undefined, maxKeyBytes: number = MAX_KEY_BYTES): CheckedRange {
  const { gte, lt, reverse = false, limit } = range ?? {};
  for (const [name, bound] of [
    ['gte', gte],
    ['lt', lt],
  ] as const) {
    if (bound === undefined) continue;
    if (!(bound instanceof Uint8Array)) {
      throw new StoreError('KV_BAD_RANGE', `range.${name} must be a Uint8Array, got ${describe(bound)}`);
    }
    checkKeyLength(bound, maxKeyBytes, `range.${name}`);
  }
  if (typeof reverse !== 'boolean') {
    throw new StoreError('KV_BAD_RANGE', `range.reverse must be a boolean, got ${describe(reverse)}`);
  }
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new StoreError('KV_BAD_RANGE', `range.limit must be a non-negative integer, got ${String(limit)}`);
  }
  const lower = gte !== undefined && gte.length > 0 ? gte : undefined;
  const empty =
    limit === 0 ||
    (lt !== undefined && (lt.length === 0 || (lower !== undefined && compareBytes(lower, lt) >= 0)));
  return { gte: lower, lt, reverse, limit: limit ?? Number.POSITIVE_INFINITY, empty };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
