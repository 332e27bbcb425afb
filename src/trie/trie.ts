/**
 * An Ethereum-compatible Merkle Patricia Trie over RAW keys (no key hashing, so
 * keys sharing a byte prefix share a subtree): hex-prefix paths, RLP nodes,
 * keccak-256, nodes shorter than 32 bytes embedded in their parent. The root of
 * the empty trie is keccak256(RLP('')) = `EMPTY_TRIE_ROOT`.
 *
 * Values are non-empty byte strings: `put(key, empty)` deletes the key, as in
 * Ethereum, so "absent" and "empty" are the same thing.
 *
 * Persistence: with a `KvStore`, `commit()` writes every node created since the
 * last commit that is referenced by hash (encoding >= 32 bytes), plus the root
 * whatever its size, keyed by its keccak-256, in one `write` batch.
 * `MerklePatriciaTrie.open(store, root)` opens a committed trie lazily: nodes
 * are read on first use through a bounded LRU cache of decoded nodes.
 *
 * Nodes are immutable and shared (copy-on-write), so `root()` is cheap to call
 * after every change: only the changed path is re-encoded and re-hashed.
 */
import { bytesKey, equalBytes, fromHex, toHex } from '../codec/bytes.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { assert, MeridianError, NotFoundError, ValidationError } from '../errors.ts';
import type { KvOp, KvStore } from '../store/kv.ts';
import { buildFromEntries, type TrieEntry } from './build.ts';
import { DEFAULT_NODE_CACHE_SIZE, MAX_TRIE_KEY_BYTES, MAX_TRIE_VALUE_BYTES } from './limits.ts';
import { bytesToNibbles, commonPrefixLength, concatNibbles, matchesAt, nibblesToBytes } from './nibbles.ts';
import { BranchNode, type ChildRef, ExtensionNode, HashRef, LeafNode, type TrieNode } from './node.ts';
import { decodeNode } from './node-decoding.ts';
import { encodeNode, nodeHash } from './node-encoding.ts';

/** keccak256(RLP('')): the root hash of the empty trie. */
export const EMPTY_TRIE_ROOT: Uint8Array = fromHex(
  '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421',
);

export interface TrieOptions {
  /** Where committed nodes go and missing nodes come from. Without one, the trie lives in memory only. */
  readonly store?: KvStore;
  /** Most decoded nodes kept in the read cache (default `DEFAULT_NODE_CACHE_SIZE`). */
  readonly cacheSize?: number;
}

/** Throws `ValidationError` if `key` is not bytes or is over `MAX_TRIE_KEY_BYTES`. */
export function checkTrieKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new ValidationError('TRIE_KEY_INVALID', 'a trie key must be bytes');
  if (key.length > MAX_TRIE_KEY_BYTES) {
    throw new ValidationError(
      'TRIE_KEY_TOO_LONG',
      `trie key is ${key.length} bytes; the limit is ${MAX_TRIE_KEY_BYTES} (MAX_TRIE_KEY_BYTES)`,
      { hint: 'use a shorter key, e.g. a shorter URI or a hash of the long part' },
    );
  }
}

/** Throws `ValidationError` if `value` is not bytes or is over `MAX_TRIE_VALUE_BYTES`. */
export function checkTrieValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array))
    throw new ValidationError('TRIE_VALUE_INVALID', 'a trie value must be bytes');
  if (value.length > MAX_TRIE_VALUE_BYTES) {
    throw new ValidationError(
      'TRIE_VALUE_TOO_LARGE',
      `trie value is ${value.length} bytes; the limit is ${MAX_TRIE_VALUE_BYTES} (MAX_TRIE_VALUE_BYTES)`,
      { hint: 'store the content off-chain and put its hash in the trie' },
    );
  }
}

export class MerklePatriciaTrie {
  #root: ChildRef | undefined;
  readonly #store: KvStore | undefined;
  /** Decoded committed nodes by `bytesKey` of their hash, LRU. Shared with forks: nodes are immutable. */
  #cache = new Map<string, TrieNode>();
  readonly #cacheSize: number;

  constructor(options: TrieOptions = {}) {
    this.#store = options.store;
    this.#cacheSize = options.cacheSize ?? DEFAULT_NODE_CACHE_SIZE;
    assert(this.#cacheSize >= 0, 'cacheSize must be >= 0');
  }

  /**
   * Opens the committed trie whose root hash is `root`. The root node is read at
   * once (so a wrong root or store fails here, with `NotFoundError` code
   * `TRIE_NODE_MISSING`); other nodes are read when an operation first needs them,
   * and a missing one fails that operation the same way. Every node read is
   * checked against its hash (`TRIE_NODE_CORRUPT` if the store returns other bytes).
   */
  static open(
    store: KvStore,
    root: Uint8Array,
    options: Omit<TrieOptions, 'store'> = {},
  ): MerklePatriciaTrie {
    const trie = new MerklePatriciaTrie({ ...options, store });
    if (root.length !== 32) throw new ValidationError('TRIE_ROOT_INVALID', 'a trie root must be 32 bytes');
    if (!equalBytes(root, EMPTY_TRIE_ROOT)) trie.#root = trie.#load(root);
    return trie;
  }

  /**
   * The trie of `entries`, built in one pass (sort, then bottom-up; see build.ts).
   * Same result as `put` of each entry in order: the last value of a key wins and
   * an empty value deletes. Throws `ValidationError` on a key or value over the limits.
   */
  static fromEntries(entries: readonly TrieEntry[], options: TrieOptions = {}): MerklePatriciaTrie {
    for (const [key, value] of entries) {
      checkTrieKey(key);
      checkTrieValue(value);
    }
    const trie = new MerklePatriciaTrie(options);
    trie.#root = buildFromEntries(entries);
    return trie;
  }

  /**
   * An independent trie with the same contents, in O(1): nodes are immutable and
   * shared, so later changes to either trie never show in the other. Forks share
   * the node store and the read cache. Block execution forks the parent block's
   * state to build a speculative child state.
   */
  fork(): MerklePatriciaTrie {
    const copy = new MerklePatriciaTrie({
      ...(this.#store ? { store: this.#store } : {}),
      cacheSize: this.#cacheSize,
    });
    copy.#cache = this.#cache;
    copy.#root = this.#root;
    return copy;
  }

  /**
   * A new trie of `entries` (as `fromEntries`) that commits to this trie's node store and shares
   * its read cache: for a trie built beside the state, such as a block's provenance trie.
   */
  withEntries(entries: readonly TrieEntry[]): MerklePatriciaTrie {
    const trie = MerklePatriciaTrie.fromEntries(entries, {
      ...(this.#store ? { store: this.#store } : {}),
      cacheSize: this.#cacheSize,
    });
    trie.#cache = this.#cache;
    return trie;
  }

  /** The root hash (32 bytes). `EMPTY_TRIE_ROOT` when empty. The root is always hashed, even if short. */
  root(): Uint8Array {
    const root = this.#root;
    if (root === undefined) return EMPTY_TRIE_ROOT;
    if (root.kind === 'hash') return root.hash;
    return nodeHash(root);
  }

  /** True when the trie holds no key. */
  isEmpty(): boolean {
    return this.#root === undefined;
  }

  /** The value stored under `key`, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined {
    checkTrieKey(key);
    const nibbles = bytesToNibbles(key);
    let ref = this.#root;
    let depth = 0;
    while (ref !== undefined) {
      const node = this.resolve(ref);
      if (node.kind === 'leaf') {
        return node.path.length === nibbles.length - depth && matchesAt(nibbles, depth, node.path)
          ? node.value
          : undefined;
      }
      if (node.kind === 'extension') {
        if (!matchesAt(nibbles, depth, node.path)) return undefined;
        depth += node.path.length;
        ref = node.child;
      } else {
        if (depth === nibbles.length) return node.value;
        ref = node.children[nibbles[depth]!];
        depth++;
      }
    }
    return undefined;
  }

  /** Sets `key` to `value`. An empty `value` deletes the key (Ethereum semantics). */
  put(key: Uint8Array, value: Uint8Array): void {
    checkTrieKey(key);
    checkTrieValue(value);
    if (value.length === 0) {
      this.del(key);
      return;
    }
    this.#root = this.#insert(this.#root, bytesToNibbles(key), 0, value);
  }

  /** Removes `key`; a no-op when it is absent. */
  del(key: Uint8Array): void {
    checkTrieKey(key);
    if (this.#root === undefined) return;
    this.#root = this.#remove(this.#root, bytesToNibbles(key), 0);
  }

  /** All entries in ascending key order (a key before the keys it prefixes). */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    if (this.#root !== undefined) yield* this.entriesUnder(this.#root, new Uint8Array(0));
  }

  /**
   * Entries of the subtree at `ref`, whose position in the trie is the nibble path
   * `prefix` (keys are `prefix` + the path inside the subtree), in key order.
   */
  *entriesUnder(ref: ChildRef, prefix: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]> {
    const node = this.resolve(ref);
    if (node.kind === 'leaf') {
      yield [nibblesToBytes(concatNibbles(prefix, node.path)), node.value];
    } else if (node.kind === 'extension') {
      yield* this.entriesUnder(node.child, concatNibbles(prefix, node.path));
    } else {
      if (node.value !== undefined) yield [nibblesToBytes(prefix), node.value];
      for (let i = 0; i < 16; i++) {
        const child = node.children[i];
        if (child !== undefined) yield* this.entriesUnder(child, concatNibbles(prefix, Uint8Array.of(i)));
      }
    }
  }

  /**
   * Number of trie nodes: every leaf, extension and branch node in the structure,
   * whether referenced by hash or embedded in its parent (the paper's count of
   * tree nodes). 0 for the empty trie.
   */
  countNodes(): number {
    return this.#root === undefined ? 0 : this.#count(this.#root);
  }

  #count(ref: ChildRef): number {
    const node = this.resolve(ref);
    if (node.kind === 'leaf') return 1;
    if (node.kind === 'extension') return 1 + this.#count(node.child);
    let total = 1;
    for (const child of node.children) if (child !== undefined) total += this.#count(child);
    return total;
  }

  /**
   * Writes the nodes created since the last commit to the store in one `write`
   * batch and returns the root hash. Nodes with an encoding of 32 bytes or more
   * are keyed by their hash; embedded nodes are not stored separately (their
   * parent holds them); the root is always stored so `open` can find it.
   * If `release` is set, nodes that an earlier commit wrote leave memory: where a
   * node written now points at one, the pointer becomes a `HashRef` of the same
   * hash, read back through the bounded cache when next needed. Nodes written by
   * this commit stay in memory until the next release. A trie that is changed and
   * committed with `release` over and over (a chain's head state) thus holds only
   * what its last commit wrote, however long its history.
   * Throws `MeridianError` (code `TRIE_NO_STORE`) for an in-memory trie.
   */
  async commit(options: { release?: boolean } = {}): Promise<Uint8Array> {
    const store = this.#store;
    if (store === undefined) {
      throw new MeridianError('TRIE_NO_STORE', 'this trie has no node store to commit to', {
        hint: 'create it with { store } or MerklePatriciaTrie.open(store, root)',
      });
    }
    const root = this.root();
    const rootRef = this.#root;
    if (rootRef === undefined || rootRef.kind === 'hash') return root;
    const ops: KvOp[] = [];
    const written: TrieNode[] = [];
    collectUnpersisted(rootRef, true, ops, written);
    if (ops.length > 0) await store.write(ops);
    // Only now are the older nodes' pointers swapped: `written` is not yet marked persisted.
    if (options.release) for (const node of written) releasePersistedChildren(node);
    for (const node of written) node.persisted = true;
    return root;
  }

  /**
   * The node behind `ref`: itself, or for a `HashRef` the node loaded from the store
   * (through the cache). Throws `NotFoundError` (code `TRIE_NODE_MISSING`) if the store
   * lacks it, or `DecodeError` if the stored bytes are not a valid node.
   */
  resolve(ref: ChildRef): TrieNode {
    if (ref.kind !== 'hash') return ref;
    return this.#load(ref.hash);
  }

  /** The root reference (undefined when empty). For the proof builders in this folder. */
  rootRef(): ChildRef | undefined {
    return this.#root;
  }

  #load(hash: Uint8Array): TrieNode {
    const id = bytesKey(hash);
    const cached = this.#cache.get(id);
    if (cached !== undefined) {
      this.#cache.delete(id);
      this.#cache.set(id, cached);
      return cached;
    }
    const bytes = this.#store?.get(hash);
    if (bytes === undefined) {
      throw new NotFoundError('TRIE_NODE_MISSING', `trie node ${toHex(hash)} is not in the node store`, {
        hint: 'the store is missing committed nodes: was the trie committed, and is this the right store?',
      });
    }
    if (!equalBytes(keccak256(bytes), hash)) {
      throw new NotFoundError(
        'TRIE_NODE_CORRUPT',
        `stored trie node ${toHex(hash)} does not hash to its key`,
        {
          hint: 'the node store is corrupt; restore it from a peer or a backup',
        },
      );
    }
    const node = decodeNode(bytes);
    node.hash = hash;
    node.persisted = true;
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(id, node);
    }
    return node;
  }

  #insert(ref: ChildRef | undefined, key: Uint8Array, depth: number, value: Uint8Array): TrieNode {
    if (ref === undefined) return new LeafNode(key.subarray(depth), value);
    const node = this.resolve(ref);
    if (node.kind === 'branch') {
      const children = node.children.slice();
      if (depth === key.length) return new BranchNode(children, value);
      const nibble = key[depth]!;
      children[nibble] = this.#insert(children[nibble], key, depth + 1, value);
      return new BranchNode(children, node.value);
    }
    const path = node.path;
    const shared = commonPrefixLength(path, 0, key, depth);
    if (node.kind === 'leaf' && shared === path.length && depth + shared === key.length) {
      return new LeafNode(path, value);
    }
    if (node.kind === 'extension' && shared === path.length) {
      return new ExtensionNode(path, this.#insert(node.child, key, depth + shared, value));
    }
    // Split at `shared`: a branch holds the old node's remainder and the new key.
    const children = new Array<ChildRef | undefined>(16).fill(undefined);
    let branchValue: Uint8Array | undefined;
    if (node.kind === 'leaf') {
      if (shared === path.length) branchValue = node.value;
      else children[path[shared]!] = new LeafNode(path.subarray(shared + 1), node.value);
    } else {
      const rest = path.subarray(shared + 1);
      children[path[shared]!] = rest.length > 0 ? new ExtensionNode(rest, node.child) : node.child;
    }
    if (depth + shared === key.length) branchValue = value;
    else children[key[depth + shared]!] = new LeafNode(key.subarray(depth + shared + 1), value);
    const branch = new BranchNode(children, branchValue);
    return shared > 0 ? new ExtensionNode(path.subarray(0, shared), branch) : branch;
  }

  /** The subtree at `ref` without `key`; `ref` itself when the key is absent, undefined when emptied. */
  #remove(ref: ChildRef, key: Uint8Array, depth: number): ChildRef | undefined {
    const node = this.resolve(ref);
    if (node.kind === 'leaf') {
      const exact = node.path.length === key.length - depth && matchesAt(key, depth, node.path);
      return exact ? undefined : ref;
    }
    if (node.kind === 'extension') {
      if (!matchesAt(key, depth, node.path)) return ref;
      const child = this.#remove(node.child, key, depth + node.path.length);
      if (child === node.child) return ref;
      assert(child !== undefined, 'a branch cannot become empty after one deletion');
      return this.#prependPath(node.path, child);
    }
    let children = node.children;
    let value = node.value;
    if (depth === key.length) {
      if (value === undefined) return ref;
      value = undefined;
    } else {
      const nibble = key[depth]!;
      const child = children[nibble];
      if (child === undefined) return ref;
      const updated = this.#remove(child, key, depth + 1);
      if (updated === child) return ref;
      children = children.slice();
      children[nibble] = updated;
    }
    return this.#normaliseBranch(children, value);
  }

  /** A canonical node for a branch's contents after a deletion (it may have to collapse). */
  #normaliseBranch(children: (ChildRef | undefined)[], value: Uint8Array | undefined): TrieNode {
    let only = -1;
    let count = 0;
    for (let i = 0; i < 16; i++) {
      if (children[i] !== undefined) {
        count++;
        only = i;
      }
    }
    if (count >= 2 || (count === 1 && value !== undefined)) return new BranchNode(children, value);
    if (count === 0) {
      assert(value !== undefined, 'a branch cannot lose both of its last two slots in one deletion');
      return new LeafNode(new Uint8Array(0), value);
    }
    return this.#prependPath(Uint8Array.of(only), children[only]!);
  }

  /** The node equal to an extension of `path` over `child`, merging paths when `child` is not a branch. */
  #prependPath(path: Uint8Array, child: ChildRef): TrieNode {
    const node = this.resolve(child);
    if (node.kind === 'leaf') return new LeafNode(concatNibbles(path, node.path), node.value);
    if (node.kind === 'extension') return new ExtensionNode(concatNibbles(path, node.path), node.child);
    return new ExtensionNode(path, node);
  }
}

/**
 * Replaces each child of `node` that is already in the node store and referenced
 * by hash (encoding >= 32 bytes) with a `HashRef` of the same hash. The node's
 * content, encoding and hash do not change; an embedded child stays, as its parent
 * is the only place it is stored.
 */
function releasePersistedChildren(node: TrieNode): void {
  if (node.kind === 'extension') {
    if (isReleasable(node.child)) node.child = new HashRef(nodeHash(node.child));
  } else if (node.kind === 'branch') {
    const children = node.children;
    for (let i = 0; i < 16; i++) {
      const child = children[i];
      if (child !== undefined && isReleasable(child)) children[i] = new HashRef(nodeHash(child));
    }
  }
}

function isReleasable(ref: ChildRef): ref is TrieNode {
  return ref.kind !== 'hash' && ref.persisted && encodeNode(ref).length >= 32;
}

function collectUnpersisted(node: TrieNode, isRoot: boolean, ops: KvOp[], written: TrieNode[]): void {
  if (node.persisted) return;
  const encoded = encodeNode(node);
  // `encoded` may be a view into a shared slab (node-encoding.ts): hand the store its own copy.
  if (isRoot || encoded.length >= 32) ops.push({ type: 'put', key: nodeHash(node), value: encoded.slice() });
  written.push(node);
  if (node.kind === 'extension') {
    if (node.child.kind !== 'hash') collectUnpersisted(node.child, false, ops, written);
  } else if (node.kind === 'branch') {
    for (const child of node.children) {
      if (child !== undefined && child.kind !== 'hash') collectUnpersisted(child, false, ops, written);
    }
  }
}
