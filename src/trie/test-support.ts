/**
 * Test support for the trie's tests (not used by production code): a tiny
 * Map-backed `KvStore` that counts `write` batches, key/value generators shaped
 * like seed 001's provenance URIs, and a look at which nodes a trie holds in memory.
 */
import fc from 'fast-check';
import { compareBytes, toHex, utf8 } from '../codec/bytes.ts';
import { StoreError } from '../errors.ts';
import type { KvOp, KvRange, KvStore } from '../store/kv.ts';
import type { ChildRef } from './node.ts';
import { encodeNode, nodeHash } from './node-encoding.ts';
import type { MerklePatriciaTrie } from './trie.ts';

export class MapKvStore implements KvStore {
  readonly map = new Map<string, { key: Uint8Array; value: Uint8Array }>();
  writeCalls = 0;
  #closed = false;

  #check(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', 'store is closed');
  }
  get(key: Uint8Array): Uint8Array | undefined {
    this.#check();
    return this.map.get(toHex(key))?.value.slice();
  }
  has(key: Uint8Array): boolean {
    this.#check();
    return this.map.has(toHex(key));
  }
  *iterate(range: KvRange = {}): IterableIterator<[Uint8Array, Uint8Array]> {
    this.#check();
    const rows = [...this.map.values()]
      .filter(
        (r) =>
          (!range.gte || compareBytes(r.key, range.gte) >= 0) &&
          (!range.lt || compareBytes(r.key, range.lt) < 0),
      )
      .sort((a, b) => compareBytes(a.key, b.key));
    if (range.reverse) rows.reverse();
    for (const r of rows.slice(0, range.limit ?? rows.length)) yield [r.key.slice(), r.value.slice()];
  }
  async write(ops: readonly KvOp[]): Promise<void> {
    this.#check();
    this.writeCalls++;
    for (const op of ops) {
      if (op.type === 'put') this.map.set(toHex(op.key), { key: op.key.slice(), value: op.value.slice() });
      else this.map.delete(toHex(op.key));
    }
  }
  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.write([{ type: 'put', key, value }]);
  }
  async del(key: Uint8Array): Promise<void> {
    await this.write([{ type: 'del', key }]);
  }
  async close(): Promise<void> {
    this.#closed = true;
  }
}

const ATTRS = ['height', 'name', 'type', 'area', 'geometry', 'h', 'floors'];

/** URI keys of datasets, features and attributes, with small id ranges so keys often prefix each other. */
export const uriKey: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.integer({ min: 1, max: 12 }),
    fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
    fc.option(fc.constantFrom(...ATTRS), { nil: undefined }),
  )
  .map(([d, f, a]) => {
    let uri = `http://example.com/resource/dataset_${d}`;
    if (f !== undefined) {
      uri += `/feature_${f}`;
      if (a !== undefined) uri += `/attr_${a}`;
    }
    return utf8(uri);
  });

/** Short keys over a 4-symbol alphabet (including the empty key): deep branches, keys prefixing keys. */
export const shortKey: fc.Arbitrary<Uint8Array> = fc
  .array(fc.constantFrom(0x00, 0x01, 0x10, 0x11), { maxLength: 4 })
  .map((b) => Uint8Array.from(b));

/** Keys of both shapes. */
export const anyKey: fc.Arbitrary<Uint8Array> = fc.oneof(uriKey, shortKey, fc.uint8Array({ maxLength: 40 }));

/** Non-empty values, short (embedded nodes) to long (hashed nodes). */
export const trieValue: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 3 }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fc.uint8Array({ minLength: 1, maxLength: 80 }),
);

/** Hashes (hex) of the hash-referenced nodes held in memory, reached from the root without loading anything. */
export function inMemoryHashedNodes(trie: MerklePatriciaTrie): string[] {
  const found: string[] = [];
  const visit = (ref: ChildRef | undefined): void => {
    if (ref === undefined || ref.kind === 'hash') return;
    if (encodeNode(ref).length >= 32) found.push(toHex(nodeHash(ref)));
    if (ref.kind === 'extension') visit(ref.child);
    if (ref.kind === 'branch') for (const child of ref.children) visit(child);
  };
  visit(trie.rootRef());
  return found;
}
