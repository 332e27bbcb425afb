import { concatBytes, startsWithBytes } from '../codec/bytes.ts';
import { assert, StoreError } from '../errors.ts';
import type { KvOp, KvRange, KvStore } from './kv.ts';
import { checkKey, checkOps, checkRange, MAX_KEY_BYTES, storeClosedError } from './kv-checks.ts';

/**
 * A `KvStore` view of the keys of `inner` that start with `prefix`, with the
 * prefix stripped: the block store, the WAL and the trie's nodes share one lmdb
 * environment, each under its own prefix.
 *
 * Keys in the view are the inner keys minus the prefix, so the view accepts keys
 * of 1..`MAX_KEY_BYTES - prefix.length` bytes. Iteration never leaves the prefix.
 * Pick prefixes so that none is a prefix of another (e.g. all the same length):
 * views on `a` and `ab` would overlap.
 *
 * `close` closes the view only (later calls on it throw `STORE_CLOSED`); the
 * owner of `inner` closes `inner`, after which the view throws too.
 */
const ZERO_BYTE = new Uint8Array([0]);

export class PrefixedKvStore implements KvStore {
  readonly prefix: Uint8Array;
  /** Longest key this view accepts. */
  readonly maxKeyBytes: number;
  readonly #inner: KvStore;
  /** The smallest key greater than every key starting with `prefix`, if there is one. */
  readonly #end: Uint8Array | undefined;
  #closed = false;

  constructor(inner: KvStore, prefix: Uint8Array) {
    // A view of a view inherits the inner view's smaller limit.
    const innerMaxKeyBytes = (inner as { readonly maxKeyBytes?: number }).maxKeyBytes ?? MAX_KEY_BYTES;
    if (!(prefix instanceof Uint8Array) || prefix.length === 0 || prefix.length >= innerMaxKeyBytes) {
      throw new StoreError('KV_BAD_PREFIX', `a key prefix must be 1..${innerMaxKeyBytes - 1} bytes`, {
        hint: 'use a short fixed-length namespace tag, e.g. one byte per namespace',
      });
    }
    this.#inner = inner;
    this.prefix = new Uint8Array(prefix);
    this.maxKeyBytes = innerMaxKeyBytes - prefix.length;
    this.#end = prefixEnd(this.prefix);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    checkKey(key, this.maxKeyBytes);
    return this.#inner.get(concatBytes(this.prefix, key));
  }

  has(key: Uint8Array): boolean {
    this.#checkOpen();
    checkKey(key, this.maxKeyBytes);
    return this.#inner.has(concatBytes(this.prefix, key));
  }

  iterate(range?: KvRange): IterableIterator<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    const checked = checkRange(range, this.maxKeyBytes);
    if (checked.empty) return [][Symbol.iterator]();
    const inner = this.#inner.iterate({
      // prefix + 0x00 is the smallest non-empty key in the view: an inner key equal to the
      // prefix itself (written to `inner` directly) would be an empty key here, so it is left out.
      gte: concatBytes(this.prefix, checked.gte ?? ZERO_BYTE),
      ...(checked.lt === undefined
        ? this.#end === undefined
          ? {}
          : { lt: this.#end }
        : { lt: concatBytes(this.prefix, checked.lt) }),
      reverse: checked.reverse,
      ...(Number.isFinite(checked.limit) ? { limit: checked.limit } : {}),
    });
    const prefixLength = this.prefix.length;
    const prefix = this.prefix;
    const isClosed = () => this.#closed;
    return (function* stripped(): Generator<[Uint8Array, Uint8Array]> {
      // for..of forwards an early `return` to `inner`, which ends its snapshot.
      for (const [key, value] of inner) {
        if (isClosed()) throw storeClosedError('this prefixed KV view');
        assert(
          startsWithBytes(key, prefix) && key.length > prefixLength,
          'inner range stays inside the prefix',
        );
        yield [key.subarray(prefixLength), value];
      }
    })();
  }

  /**
   * Values are passed on as they are: `inner.write` copies what it keeps before it returns (the
   * `KvStore` contract), which is before this returns. Prefixing makes new keys anyway.
   */
  async write(ops: readonly KvOp[]): Promise<void> {
    this.#checkOpen();
    checkOps(ops, this.maxKeyBytes);
    const prefixed = ops.map(
      (op): KvOp =>
        op.type === 'put'
          ? { type: 'put', key: concatBytes(this.prefix, op.key), value: op.value }
          : { type: 'del', key: concatBytes(this.prefix, op.key) },
    );
    await this.#inner.write(prefixed);
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.write([{ type: 'put', key, value }]);
  }

  del(key: Uint8Array): Promise<void> {
    return this.write([{ type: 'del', key }]);
  }

  /** Closes this view only. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw storeClosedError('this prefixed KV view');
  }
}

/** A view of `inner` under `prefix`; see `PrefixedKvStore`. */
export function prefixedKv(inner: KvStore, prefix: Uint8Array): PrefixedKvStore {
  return new PrefixedKvStore(inner, prefix);
}

/**
 * The exclusive upper bound of all keys starting with `prefix`: the prefix with
 * trailing 0xff bytes dropped and its last byte incremented. `undefined` when
 * the prefix is all 0xff (every key >= it starts with it, so no bound is needed).
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const bound = prefix.slice(0, end);
  bound[end - 1]!++;
  return bound;
}
