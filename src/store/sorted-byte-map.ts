import { compareBytes } from '../codec/bytes.ts';
import { assert } from '../errors.ts';

/**
 * An ordered map from byte keys to byte values, for the in-memory `KvStore`.
 *
 * Layout: a list of sorted chunks of at most `chunkMax` (512) entries each (a
 * two-level "sorted list"). Lookups are two binary searches; an insert or delete
 * shifts at most one chunk plus the short chunk list, so n inserts cost
 * O(n · (chunkMax + n / chunkMax)) instead of the O(n²) of one flat sorted array.
 *
 * Snapshots are copy-on-write: `snapshot()` is O(1) and freezes the current
 * chunks; the next write copies the chunk list and each chunk it touches once,
 * then mutates its own copies in place. A snapshot therefore never changes,
 * whatever is written afterwards.
 *
 * The map stores the arrays it is given: callers copy keys and values on the
 * way in and out (MemoryKvStore does).
 */

/** Entries per chunk before it splits in two (tests pass a small one to exercise splits). */
export const DEFAULT_CHUNK_MAX = 512;

interface Chunk {
  readonly keys: Uint8Array[];
  readonly values: Uint8Array[];
  /** The epoch that created this chunk: it may be mutated only while that epoch is current. */
  readonly epoch: number;
}

/** A frozen view of the map at one point in time. */
export interface SortedByteMapSnapshot {
  readonly chunks: readonly Chunk[];
}

export interface EntryRange {
  readonly gte?: Uint8Array | undefined;
  readonly lt?: Uint8Array | undefined;
  readonly reverse?: boolean;
}

export class SortedByteMap {
  readonly #chunkMax: number;
  #chunks: Chunk[] = [];
  /** The epoch that created `#chunks`. */
  #chunksEpoch = 0;
  /** Bumped by every snapshot: whatever was created before is shared from then on. */
  #epoch = 0;
  #size = 0;

  constructor(chunkMax: number = DEFAULT_CHUNK_MAX) {
    assert(Number.isSafeInteger(chunkMax) && chunkMax >= 2, 'a chunk holds at least two entries');
    this.#chunkMax = chunkMax;
  }

  get size(): number {
    return this.#size;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const found = locate(this.#chunks, key);
    return found.exact ? this.#chunks[found.chunk]!.values[found.offset] : undefined;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    const chunks = this.#ownChunks();
    if (chunks.length === 0) {
      chunks.push({ keys: [key], values: [value], epoch: this.#epoch });
      this.#size = 1;
      return;
    }
    const found = locate(chunks, key);
    const chunk = this.#ownChunk(found.chunk);
    if (found.exact) {
      chunk.values[found.offset] = value;
      return;
    }
    chunk.keys.splice(found.offset, 0, key);
    chunk.values.splice(found.offset, 0, value);
    this.#size++;
    if (chunk.keys.length > this.#chunkMax) {
      const half = chunk.keys.length >>> 1;
      const low: Chunk = {
        keys: chunk.keys.slice(0, half),
        values: chunk.values.slice(0, half),
        epoch: this.#epoch,
      };
      const high: Chunk = {
        keys: chunk.keys.slice(half),
        values: chunk.values.slice(half),
        epoch: this.#epoch,
      };
      chunks.splice(found.chunk, 1, low, high);
    }
  }

  /** Returns whether the key was present. */
  delete(key: Uint8Array): boolean {
    const found = locate(this.#chunks, key);
    if (!found.exact) return false;
    const chunks = this.#ownChunks();
    const chunk = this.#ownChunk(found.chunk);
    chunk.keys.splice(found.offset, 1);
    chunk.values.splice(found.offset, 1);
    if (chunk.keys.length === 0) chunks.splice(found.chunk, 1);
    this.#size--;
    return true;
  }

  /** O(1): the current contents, unaffected by later writes. */
  snapshot(): SortedByteMapSnapshot {
    this.#epoch++;
    return { chunks: this.#chunks };
  }

  /**
   * Entries of a snapshot in `[gte, lt)`, ascending (descending with `reverse`).
   * Yields the stored arrays themselves.
   */
  static *entries(
    snapshot: SortedByteMapSnapshot,
    range: EntryRange = {},
  ): Generator<[Uint8Array, Uint8Array]> {
    const { chunks } = snapshot;
    const { gte, lt } = range;
    if (chunks.length === 0) return;
    if (range.reverse) {
      // Start just below `lt` (or at the very end) and walk down while key >= gte.
      let chunkIndex: number;
      let offset: number;
      if (lt === undefined) {
        chunkIndex = chunks.length - 1;
        offset = chunks[chunkIndex]!.keys.length - 1;
      } else {
        const at = locate(chunks, lt);
        chunkIndex = at.chunk;
        offset = at.offset - 1;
      }
      for (; chunkIndex >= 0; chunkIndex--) {
        const chunk = chunks[chunkIndex]!;
        if (offset >= chunk.keys.length) offset = chunk.keys.length - 1;
        for (; offset >= 0; offset--) {
          const key = chunk.keys[offset]!;
          if (gte !== undefined && compareBytes(key, gte) < 0) return;
          yield [key, chunk.values[offset]!];
        }
        offset = Number.POSITIVE_INFINITY; // the previous chunk is read from its end
      }
      return;
    }
    let chunkIndex = 0;
    let offset = 0;
    if (gte !== undefined) {
      const at = locate(chunks, gte);
      chunkIndex = at.chunk;
      offset = at.offset;
    }
    for (; chunkIndex < chunks.length; chunkIndex++) {
      const chunk = chunks[chunkIndex]!;
      for (; offset < chunk.keys.length; offset++) {
        const key = chunk.keys[offset]!;
        if (lt !== undefined && compareBytes(key, lt) >= 0) return;
        yield [key, chunk.values[offset]!];
      }
      offset = 0;
    }
  }

  /** For tests: checks the layout invariants; throws `InvariantViolation` when one is broken. */
  checkInvariants(): void {
    let count = 0;
    let previous: Uint8Array | undefined;
    for (const chunk of this.#chunks) {
      assert(chunk.keys.length > 0, 'no empty chunk');
      assert(chunk.keys.length <= this.#chunkMax, 'chunk within chunkMax');
      assert(chunk.keys.length === chunk.values.length, 'one value per key');
      for (const key of chunk.keys) {
        assert(previous === undefined || compareBytes(previous, key) < 0, 'keys strictly ascending');
        previous = key;
      }
      count += chunk.keys.length;
    }
    assert(count === this.#size, 'size matches the entries');
  }

  #ownChunks(): Chunk[] {
    if (this.#chunksEpoch !== this.#epoch) {
      this.#chunks = this.#chunks.slice();
      this.#chunksEpoch = this.#epoch;
    }
    return this.#chunks;
  }

  /** Call after `#ownChunks`: replaces a shared chunk with a private copy. */
  #ownChunk(index: number): { keys: Uint8Array[]; values: Uint8Array[] } {
    const chunk = this.#chunks[index]!;
    if (chunk.epoch === this.#epoch) return chunk;
    const copy: Chunk = { keys: chunk.keys.slice(), values: chunk.values.slice(), epoch: this.#epoch };
    this.#chunks[index] = copy;
    return copy;
  }
}

/**
 * Where `key` is or would be inserted: the chunk whose first key is the greatest
 * one <= `key` (the first chunk if none), and the first offset in it whose key is
 * >= `key` (possibly the chunk's length: "after its last entry").
 */
function locate(
  chunks: readonly Chunk[],
  key: Uint8Array,
): { chunk: number; offset: number; exact: boolean } {
  if (chunks.length === 0) return { chunk: 0, offset: 0, exact: false };
  let low = 0;
  let high = chunks.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (compareBytes(chunks[middle]!.keys[0]!, key) <= 0) low = middle;
    else high = middle - 1;
  }
  const keys = chunks[low]!.keys;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const middle = (lo + hi) >>> 1;
    if (compareBytes(keys[middle]!, key) < 0) lo = middle + 1;
    else hi = middle;
  }
  return { chunk: low, offset: lo, exact: lo < keys.length && compareBytes(keys[lo]!, key) === 0 };
}
