/**
 * In-memory trie nodes (Yellow Paper appendix D): leaf [hp(path, leaf), value],
 * extension [hp(path), child], branch [child0..child15, value].
 *
 * Nodes are immutable once built: `put`/`del` copy the nodes on the changed path
 * and share the rest, so an old root stays valid and a node's cached encoding and
 * hash never go stale. The cache fields (`encoded`, `hash`, `persisted`) are filled
 * at most once. The one other change allowed is a release: a child slot holding a
 * node that is in the node store may become the `HashRef` of that node's hash,
 * which leaves the content, encoding and hash as they were.
 *
 * A child is either a node object or a `HashRef` (a hash-referenced node that has
 * not been loaded from the node store yet).
 */

export class LeafNode {
  readonly kind = 'leaf';
  /** RLP encoding, filled by `encodeNode`. */
  encoded: Uint8Array | undefined = undefined;
  /** keccak-256 of `encoded`, filled when first needed. */
  hash: Uint8Array | undefined = undefined;
  /** True once this node (and everything under it) is in the node store. */
  persisted = false;
  /** `path`: remaining key nibbles (may be empty). `value`: non-empty. */
  constructor(
    readonly path: Uint8Array,
    readonly value: Uint8Array,
  ) {}
}

export class ExtensionNode {
  readonly kind = 'extension';
  encoded: Uint8Array | undefined = undefined;
  hash: Uint8Array | undefined = undefined;
  persisted = false;
  /** `path`: non-empty shared nibbles. `child`: always a branch (or a HashRef to one); see "release" above. */
  constructor(
    readonly path: Uint8Array,
    public child: ChildRef,
  ) {}
}

export class BranchNode {
  readonly kind = 'branch';
  encoded: Uint8Array | undefined = undefined;
  hash: Uint8Array | undefined = undefined;
  persisted = false;
  /**
   * `children`: exactly 16 slots. `value`: the value of the key that ends at this
   * node, if any (raw keys can be prefixes of other keys). A canonical branch has
   * at least two occupied slots counting the value.
   */
  constructor(
    readonly children: (ChildRef | undefined)[],
    readonly value: Uint8Array | undefined,
  ) {}
}

/** A child known only by its 32-byte hash; the trie loads it from its node store on demand. */
export class HashRef {
  readonly kind = 'hash';
  constructor(readonly hash: Uint8Array) {}
}

export type TrieNode = LeafNode | ExtensionNode | BranchNode;
export type ChildRef = TrieNode | HashRef;

/** A fresh array of 16 empty child slots. */
export function emptyChildren(): (ChildRef | undefined)[] {
  return [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
}
