/**
 * A write buffer over a read-only state. Reads see this layer's writes first,
 * then the base. `commitTo` pushes the writes down into a parent overlay;
 * dropping an overlay discards them. Block execution stacks one overlay per
 * block and one per transaction, so a failed transaction's writes vanish while
 * its nonce increment (written to the block layer) stays.
 */
import { bytesKey, compareBytes, startsWithBytes } from '../codec/bytes.ts';
import { assert } from '../errors.ts';

export interface StateReader {
  get(key: Uint8Array): Uint8Array | undefined;
  /** Entries whose key starts with `prefix`, in ascending key-byte order (lazily). */
  entriesWithPrefix?(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
  /**
   * A token for everything stored under `prefix`, for memoising what is derived from it: two
   * calls return the same object only if nothing under `prefix` changed in between (equal
   * contents may still give different objects). `null` when this reader cannot tell; then
   * nothing derived from the prefix may be memoised.
   */
  prefixVersion?(prefix: Uint8Array): object | null;
}

/** `undefined` value = deleted in this layer. */
export type WriteSet = Map<string, { key: Uint8Array; value: Uint8Array | undefined }>;

export class StateOverlay implements StateReader {
  private readonly writes: WriteSet = new Map();
  /** Prefixes asked about by `prefixVersion`, and whether this layer has written under them. */
  private readonly watched = new Map<string, { prefix: Uint8Array; written: boolean }>();

  constructor(private readonly base: StateReader) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const local = this.writes.get(bytesKey(key));
    if (local) return local.value;
    return this.base.get(key);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.writes.set(bytesKey(key), { key, value: value.length === 0 ? undefined : value });
    this.noteWrite(key);
  }

  del(key: Uint8Array): void {
    this.writes.set(bytesKey(key), { key, value: undefined });
    this.noteWrite(key);
  }

  /** The base's version while this layer has written nothing under `prefix`; `null` after. */
  prefixVersion(prefix: Uint8Array): object | null {
    const id = bytesKey(prefix);
    let watch = this.watched.get(id);
    if (watch === undefined) {
      let written = false;
      for (const write of this.writes.values()) written ||= startsWithBytes(write.key, prefix);
      watch = { prefix, written };
      this.watched.set(id, watch);
    }
    return watch.written ? null : (this.base.prefixVersion?.(prefix) ?? null);
  }

  private noteWrite(key: Uint8Array): void {
    for (const watch of this.watched.values()) watch.written ||= startsWithBytes(key, watch.prefix);
  }

  /**
   * Entries under `prefix` as this layer sees them (its writes over the base's
   * entries), in ascending key-byte order, lazily. The base must support
   * `entriesWithPrefix`. Cost: this layer's writes are filtered and sorted once
   * per call, so callers should stop early rather than scan repeatedly.
   */
  *entriesWithPrefix(prefix: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]> {
    assert(this.base.entriesWithPrefix !== undefined, 'the base state of an overlay scan can scan');
    const local = [...this.writes.values()]
      .filter((w) => startsWithBytes(w.key, prefix))
      .sort((a, b) => compareBytes(a.key, b.key));
    let next = 0;
    for (const [key, value] of this.base.entriesWithPrefix(prefix)) {
      while (next < local.length && compareBytes(local[next]!.key, key) < 0) {
        const write = local[next++]!;
        if (write.value !== undefined) yield [write.key, write.value];
      }
      if (next < local.length && compareBytes(local[next]!.key, key) === 0) {
        const write = local[next++]!;
        if (write.value !== undefined) yield [write.key, write.value];
        continue;
      }
      yield [key, value];
    }
    for (; next < local.length; next++) {
      const write = local[next]!;
      if (write.value !== undefined) yield [write.key, write.value];
    }
  }

  /** This layer's writes, in insertion order. */
  writeSet(): WriteSet {
    return this.writes;
  }

  /** Applies this layer's writes to `parent` (which must be this overlay's base). */
  commitTo(parent: StateOverlay): void {
    for (const { key, value } of this.writes.values()) {
      if (value === undefined) parent.del(key);
      else parent.put(key, value);
    }
    this.writes.clear();
  }
}
