/**
 * Finding the subtree that holds every key with a given byte prefix: the
 * "covering" node, reached by walking from the root along the prefix's
 * nibbles. It may start in the middle of an extension's or a leaf's path, in
 * which case every key under it still carries the prefix. Used by subtree
 * proofs (which also collect the path nodes) and by prefix scans.
 */
import { bytesToNibbles, commonPrefixLength } from './nibbles.ts';
import type { ChildRef, TrieNode } from './node.ts';
import { checkTrieKey, type MerklePatriciaTrie } from './trie.ts';

export interface PrefixCover {
  /** The covering subtree. */
  readonly ref: ChildRef;
  /** Nibble depth at which `ref` starts. */
  readonly depth: number;
  /** The prefix as nibbles (`target.subarray(0, depth)` is the path to `ref`). */
  readonly target: Uint8Array;
}

/**
 * The covering subtree of `prefix`, or undefined when no key has that prefix.
 * `onPathNode` sees each node walked through above the cover, root first.
 */
export function findPrefixCover(
  trie: MerklePatriciaTrie,
  prefix: Uint8Array,
  onPathNode?: (node: TrieNode, isRoot: boolean) => void,
): PrefixCover | undefined {
  checkTrieKey(prefix);
  const target = bytesToNibbles(prefix);
  let ref = trie.rootRef();
  let depth = 0;
  let isRoot = true;
  while (ref !== undefined) {
    if (depth === target.length) return { ref, depth, target };
    const node = trie.resolve(ref);
    onPathNode?.(node, isRoot);
    isRoot = false;
    if (node.kind === 'branch') {
      ref = node.children[target[depth]!];
      depth++;
      continue;
    }
    const matched = commonPrefixLength(node.path, 0, target, depth);
    const wanted = Math.min(node.path.length, target.length - depth);
    if (matched < wanted) return undefined; // diverges: absent
    if (node.path.length >= target.length - depth) return { ref: node, depth, target };
    if (node.kind === 'leaf') return undefined; // the leaf's key is shorter than the prefix: absent
    ref = node.child;
    depth += node.path.length;
  }
  return undefined;
}

/** Entries whose key starts with `prefix`, in key order, lazily (stop early to bound the work). */
export function* entriesWithPrefix(
  trie: MerklePatriciaTrie,
  prefix: Uint8Array,
): IterableIterator<[Uint8Array, Uint8Array]> {
  const cover = findPrefixCover(trie, prefix);
  if (cover) yield* trie.entriesUnder(cover.ref, cover.target.subarray(0, cover.depth));
}

const NO_ENTRIES: object = Object.freeze({ noEntries: true });

/**
 * A token for the entries under `prefix`: the covering subtree's reference, which forks share
 * for as long as none of them changes a key under `prefix` (nodes are immutable), or one shared
 * token when no key has the prefix. The same object twice means the same entries under `prefix`;
 * different objects may still hold equal entries (e.g. after a node was reloaded from the store).
 */
export function prefixVersion(trie: MerklePatriciaTrie, prefix: Uint8Array): object {
  return findPrefixCover(trie, prefix)?.ref ?? NO_ENTRIES;
}
