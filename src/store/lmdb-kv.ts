import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Database, open, type RangeOptions, type Transaction } from 'lmdb';
import { assert, StoreError } from '../errors.ts';
import { type DirectoryLock, lockDirectory } from './dir-lock.ts';
import type { KvOp, KvRange, KvStore } from './kv.ts';
import {
  type CheckedRange,
  checkKey,
  checkOps,
  checkRange,
  MAX_KEY_BYTES,
  storeClosedError,
} from './kv-checks.ts';

/**
 * Private copies of a batch's put values, for lmdb: `put` copies the KEY into lmdb's write
 * instructions at once, but records only the ADDRESS of the value, which lmdb's write thread reads
 * later; the caller may reuse its buffers as soon as `write` returns. The copies share one buffer
 * (one allocation, and one address lmdb looks up, instead of one per value). An empty value gets a
 * fresh empty array of its own: lmdb passes those with a null address, which a zero-length view
 * into the shared buffer would not get. `undefined` at each `del`.
 */
function copyValues(ops: readonly KvOp[]): (Uint8Array | undefined)[] {
  let total = 0;
  for (const op of ops) if (op.type === 'put') total += op.value.length;
  const slab = new Uint8Array(total);
  const values: (Uint8Array | undefined)[] = new Array(ops.length);
  let offset = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.type !== 'put') continue;
    const length = op.value.length;
    if (length === 0) {
      values[i] = new Uint8Array(0);
      continue;
    }
    slab.set(op.value, offset);
    values[i] = slab.subarray(offset, offset + length);
    offset += length;
  }
  return values;
}

/**
 * The production `KvStore`: one lmdb environment in a directory (`data.mdb`,
 * `lock.mdb`, plus Meridian's `meridian.lock`).
 *
 * Durability: opened with `overlappingSync: false` (and never `noSync`), so lmdb
 * syncs each transaction to disk inside its commit, and the promise of `write`
 * resolves only after that commit. With lmdb's default `overlappingSync` the
 * promise would resolve at commit, before the flush.
 *
 * Atomicity: each `write` is one `db.batch` block (an unconditional conditional-
 * write block): its operations are encoded on the calling thread and applied
 * all-or-nothing by lmdb's write thread, in the order `write` was called; lmdb may
 * group the blocks of one event turn into a single LMDB transaction. Applying
 * them off the event loop matters: a block's state write (thousands of trie
 * nodes) used to hold the node's consensus for hundreds of milliseconds.
 *
 * Snapshots: `iterate` opens a read transaction when called and iterates in it;
 * the transaction ends when the iterator finishes, is `return`ed (a `for..of`
 * that breaks does this) or is garbage-collected. Abandoned, unfinished
 * iterators hold old pages until then: iterate to the end or break.
 */
export class LmdbKvStore implements KvStore {
  readonly path: string;
  readonly #db: Database<Buffer, Buffer>;
  readonly #lock: DirectoryLock;
  readonly #readTransactions = new Set<Transaction>();
  readonly #pendingWrites = new Set<Promise<unknown>>();
  #closed = false;

  private constructor(path: string, db: Database<Buffer, Buffer>, lock: DirectoryLock) {
    this.path = path;
    this.#db = db;
    this.#lock = lock;
  }

  /**
   * Opens (creating if missing) the store in directory `path`. Throws `StoreError`
   * `STORE_OPEN_FAILED` (not a directory, not writable, lmdb refused) or
   * `STORE_LOCKED` (another store, in this or another process, has it open).
   */
  static async open(path: string): Promise<LmdbKvStore> {
    const dir = resolve(path);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw openFailed(dir, error);
    }
    const lock = lockDirectory(dir, `the lmdb store at ${dir}`);
    let db: Database<Buffer, Buffer>;
    try {
      db = open<Buffer, Buffer>({
        path: dir,
        keyEncoding: 'binary',
        encoding: 'binary',
        overlappingSync: false,
        noSync: false,
        cache: false,
      });
    } catch (error) {
      lock.release();
      throw openFailed(dir, error);
    }
    const maxKeySize = (db as unknown as { env?: { getMaxKeySize?: () => number } }).env?.getMaxKeySize?.();
    assert(maxKeySize === undefined || maxKeySize >= MAX_KEY_BYTES, 'lmdb accepts keys of MAX_KEY_BYTES');
    return new LmdbKvStore(dir, db, lock);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    checkKey(key);
    const value = this.#db.get(key as Buffer);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  has(key: Uint8Array): boolean {
    this.#checkOpen();
    checkKey(key);
    return this.#db.doesExist(key as Buffer);
  }

  iterate(range?: KvRange): IterableIterator<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    const checked = checkRange(range);
    if (checked.empty) return [][Symbol.iterator]();
    // biome-ignore lint/correctness/useHookAtTopLevel: lmdb's useReadTransaction is not a React hook
    const transaction = this.#db.useReadTransaction();
    this.#readTransactions.add(transaction);
    const entries = this.#db.getRange(rangeOptions(checked, transaction))[Symbol.iterator]();
    return new LmdbRangeIterator(entries, transaction, {
      isClosed: () => this.#closed,
      finished: (txn) => this.#readTransactions.delete(txn),
    });
  }

  async write(ops: readonly KvOp[]): Promise<void> {
    this.#checkOpen();
    checkOps(ops);
    if (ops.length === 0) return;
    const values = copyValues(ops);
    const db = this.#db;
    const committed = db.batch(() => {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        if (op.type === 'put') db.put(op.key as Buffer, values[i] as Buffer);
        else db.remove(op.key as Buffer);
      }
    });
    this.#pendingWrites.add(committed);
    try {
      await committed;
    } catch (error) {
      throw new StoreError('STORE_WRITE_FAILED', `lmdb write at ${this.path} failed: ${messageOf(error)}`, {
        hint: 'check free disk space and that the data directory is still writable',
        cause: error,
      });
    } finally {
      this.#pendingWrites.delete(committed);
    }
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.write([{ type: 'put', key, value }]);
  }

  del(key: Uint8Array): Promise<void> {
    return this.write([{ type: 'del', key }]);
  }

  /**
   * Waits for writes already issued, ends open iterators (they then throw
   * `STORE_CLOSED`), closes lmdb and releases the directory. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#pendingWrites]);
    for (const transaction of this.#readTransactions) transaction.done();
    this.#readTransactions.clear();
    try {
      await this.#db.close();
    } finally {
      this.#lock.release();
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw storeClosedError(`the lmdb store at ${this.path}`);
  }
}

/** Opens an lmdb `KvStore` in directory `path`; see `LmdbKvStore.open`. */
export function openLmdbKv(path: string): Promise<LmdbKvStore> {
  return LmdbKvStore.open(path);
}

function rangeOptions(range: CheckedRange, transaction: Transaction): RangeOptions {
  const limit = Number.isFinite(range.limit) ? { limit: range.limit } : {};
  if (!range.reverse) {
    return {
      start: range.gte as Buffer | undefined,
      end: range.lt as Buffer | undefined,
      transaction,
      ...limit,
    };
  }
  // lmdb walks from `start` down to `end`: start is the exclusive `lt`, end the inclusive `gte`.
  return {
    start: range.lt as Buffer | undefined,
    end: range.gte as Buffer | undefined,
    reverse: true,
    exclusiveStart: true,
    inclusiveEnd: true,
    transaction,
    ...limit,
  };
}

interface IteratorOwner {
  isClosed(): boolean;
  finished(transaction: Transaction): void;
}

/** Ends read transactions of iterators that were dropped without finishing. */
const abandonedIterators = new FinalizationRegistry<{ transaction: Transaction; owner: IteratorOwner }>(
  ({ transaction, owner }) => {
    if (owner.isClosed()) return; // close() already ended it
    owner.finished(transaction);
    transaction.done();
  },
);

/** Copies each entry out of lmdb's buffers and ends the read transaction exactly once. */
class LmdbRangeIterator implements IterableIterator<[Uint8Array, Uint8Array]> {
  #entries: Iterator<{ key: Buffer; value: Buffer }> | undefined;
  readonly #transaction: Transaction;
  readonly #owner: IteratorOwner;

  constructor(
    entries: Iterator<{ key: Buffer; value: Buffer }>,
    transaction: Transaction,
    owner: IteratorOwner,
  ) {
    this.#entries = entries;
    this.#transaction = transaction;
    this.#owner = owner;
    abandonedIterators.register(this, { transaction, owner }, this);
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<[Uint8Array, Uint8Array]> {
    if (this.#entries === undefined) return { done: true, value: undefined };
    if (this.#owner.isClosed()) {
      this.#entries = undefined;
      abandonedIterators.unregister(this);
      throw storeClosedError('the lmdb store');
    }
    const step = this.#entries.next();
    if (step.done) {
      this.#finish();
      return { done: true, value: undefined };
    }
    return { done: false, value: [new Uint8Array(step.value.key), new Uint8Array(step.value.value)] };
  }

  return(): IteratorResult<[Uint8Array, Uint8Array]> {
    if (this.#entries !== undefined) {
      if (this.#owner.isClosed()) {
        this.#entries = undefined;
        abandonedIterators.unregister(this);
      } else {
        this.#entries.return?.();
        this.#finish();
      }
    }
    return { done: true, value: undefined };
  }

  #finish(): void {
    this.#entries = undefined;
    abandonedIterators.unregister(this);
    this.#owner.finished(this.#transaction);
    this.#transaction.done();
  }
}

function openFailed(dir: string, error: unknown): StoreError {
  const code = (error as NodeJS.ErrnoException).code;
  return new StoreError('STORE_OPEN_FAILED', `cannot open the lmdb store at ${dir}: ${messageOf(error)}`, {
    hint:
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'the data directory path runs through a file; choose a directory path'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'the data directory is not writable by this user; fix its permissions or choose another'
          : 'check that the data directory is a writable directory on a local disk with free space',
    details: { path: dir, ...(code === undefined ? {} : { errno: code }) },
    cause: error,
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
