import type { KvOp, KvRange, KvStore } from './kv.ts';
import { checkAndCopyOps, checkKey, checkRange, storeClosedError } from './kv-checks.ts';
import { SortedByteMap } from './sorted-byte-map.ts';

/**
 * The in-memory `KvStore`: the test double for lmdb, held to the same
 * compliance suite. Nothing survives `close` or the process.
 *
 * Writes apply synchronously inside `write` (so they are visible even before its
 * promise resolves, which the contract allows). Keys and values are copied on
 * the way in and on the way out. `iterate` snapshots the map when it is called
 * (O(1), copy-on-write), so an iteration never sees writes made after it began.
 */
export class MemoryKvStore implements KvStore {
  readonly #map = new SortedByteMap();
  #closed = false;

  /** Number of keys stored (for tests and diagnostics). */
  get size(): number {
    this.#checkOpen();
    return this.#map.size;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    checkKey(key);
    const value = this.#map.get(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  has(key: Uint8Array): boolean {
    this.#checkOpen();
    checkKey(key);
    return this.#map.get(key) !== undefined;
  }

  iterate(range?: KvRange): IterableIterator<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    const checked = checkRange(range);
    if (checked.empty) return [][Symbol.iterator]();
    const snapshot = this.#map.snapshot();
    const entries = SortedByteMap.entries(snapshot, checked);
    const isClosed = () => this.#closed;
    return (function* copies(): Generator<[Uint8Array, Uint8Array]> {
      let remaining = checked.limit;
      if (remaining <= 0) return;
      for (const [key, value] of entries) {
        if (isClosed()) throw storeClosedError('the in-memory KV store');
        yield [new Uint8Array(key), new Uint8Array(value)];
        if (--remaining <= 0) return;
      }
    })();
  }

  async write(ops: readonly KvOp[]): Promise<void> {
    this.#checkOpen();
    for (const op of checkAndCopyOps(ops)) {
      if (op.type === 'put') this.#map.set(op.key, op.value);
      else this.#map.delete(op.key);
    }
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.write([{ type: 'put', key, value }]);
  }

  del(key: Uint8Array): Promise<void> {
    return this.write([{ type: 'del', key }]);
  }

  /** Idempotent. Every later call (and every open iterator) throws `STORE_CLOSED`. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw storeClosedError('the in-memory KV store');
  }
}

export async function openMemoryKv(): Promise<MemoryKvStore> {
  return new MemoryKvStore();
}
