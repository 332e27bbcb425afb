/**
 * The key-value store interface under the block store, the WAL and the trie's
 * node store. Keys and values are bytes; keys sort in lexicographic byte order.
 *
 * Contract (checked by `kv-compliance.ts` against every implementation):
 * - `get`/`has`/`iterate` are synchronous and see every write whose promise has resolved.
 * - `write` applies all its operations atomically: after a crash either all or none are visible.
 *   Within a batch, ops apply in order (put then del of one key leaves it absent). Batches apply
 *   in the order `write` was called, even when the caller does not await in between.
 * - When `write` resolves, the operations are durable (on disk for persistent stores).
 * - `write` copies its keys and values when called: the caller may reuse its buffers at once.
 * - Keys are 1..`MAX_KEY_BYTES` (kv-checks.ts) bytes, fewer under a prefixed view; values may be
 *   empty. Bad input throws (or, from `write`/`put`/`del`, rejects with) a `StoreError`:
 *   `KV_BAD_KEY`, `KV_KEY_EMPTY`, `KV_KEY_TOO_LARGE`, `KV_BAD_VALUE`, `KV_BAD_OP`, `KV_BAD_RANGE`;
 *   a batch with one bad op applies none.
 * - `iterate` yields entries in ascending key order (descending with `reverse`), within
 *   `[gte, lt)`, at most `limit` of them (counted from the start of the direction), from a
 *   snapshot taken when `iterate` is called. Finish the iteration or break out of it (which calls
 *   `return`): an abandoned lmdb iterator pins old pages until it is garbage-collected.
 * - Keys and values returned are copies the caller may keep; mutating them never changes the store.
 * - After `close` (idempotent), every method throws a `StoreError` with code `STORE_CLOSED`
 *   (async methods reject with it), and so does the next step of an iterator opened before.
 */
export type KvOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

export interface KvRange {
  /** Inclusive lower bound. */
  readonly gte?: Uint8Array;
  /** Exclusive upper bound. */
  readonly lt?: Uint8Array;
  readonly reverse?: boolean;
  readonly limit?: number;
}

export interface KvStore {
  get(key: Uint8Array): Uint8Array | undefined;
  has(key: Uint8Array): boolean;
  iterate(range?: KvRange): IterableIterator<[Uint8Array, Uint8Array]>;
  write(ops: readonly KvOp[]): Promise<void>;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  del(key: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
