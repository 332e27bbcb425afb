/**
 * Bulk build: the canonical trie of a set of entries, built bottom-up from keys
 * sorted in byte order, each node encoded and hashed exactly once (when the root
 * is asked for), with no intermediate tries. This is the per-block case (a
 * block's provenance, transaction and receipt tries) and the subtree verifier's
 * rebuild step.
 *
 * The structure of a Merkle Patricia Trie depends only on its key set, so the
 * result equals, node for node, the trie made by inserting the same entries one
 * by one in any order.
 */
import { compareBytes } from '../codec/bytes.ts';
import { assert } from '../errors.ts';
import { commonPrefixLength, keysToNibbles } from './nibbles.ts';
import { BranchNode, type ChildRef, ExtensionNode, emptyChildren, LeafNode, type TrieNode } from './node.ts';

/**
 * Builds the node for `keys[lo..hi)` (nibble keys, strictly ascending, pairwise
 * distinct, every one sharing `keys[lo][0..depth)`), seen from nibble `depth`.
 * Values must be non-empty. Callers guarantee the ordering; it is asserted
 * only where cheap.
 */
export function buildSubtree(
  keys: readonly Uint8Array[],
  values: readonly Uint8Array[],
  lo: number,
  hi: number,
  depth: number,
): TrieNode {
  assert(hi > lo, 'buildSubtree needs at least one entry');
  const first = keys[lo]!;
  if (hi - lo === 1) return new LeafNode(first.subarray(depth), values[lo]!);
  // Sorted keys: the common prefix of the first and last is the common prefix of all.
  const last = keys[hi - 1]!;
  const shared = commonPrefixLength(first, depth, last, depth);
  assert(depth + shared < last.length, 'keys given to buildSubtree must be distinct');
  if (shared > 0) {
    return new ExtensionNode(
      first.subarray(depth, depth + shared),
      buildBranch(keys, values, lo, hi, depth + shared),
    );
  }
  return buildBranch(keys, values, lo, hi, depth);
}

function buildBranch(
  keys: readonly Uint8Array[],
  values: readonly Uint8Array[],
  lo: number,
  hi: number,
  depth: number,
): BranchNode {
  let value: Uint8Array | undefined;
  // A key that ends here sorts first (it is a prefix of all the others).
  if (keys[lo]!.length === depth) {
    value = values[lo]!;
    lo++;
  }
  const children: (ChildRef | undefined)[] = emptyChildren();
  let start = lo;
  while (start < hi) {
    const nibble = keys[start]![depth]!;
    let end = start + 1;
    while (end < hi && keys[end]![depth] === nibble) end++;
    children[nibble] = buildSubtree(keys, values, start, end, depth + 1);
    start = end;
  }
  return new BranchNode(children, value);
}

/**
 * Indices of `entries` in ascending key order; equal keys keep their input order
 * (so the last one of a run is the last written).
 */
export function sortedOrder(entries: readonly TrieEntry[]): number[] {
  const order = entries.map((_, i) => i);
  order.sort((a, b) => compareBytes(entries[a]![0], entries[b]![0]) || a - b);
  return order;
}

/** A (key, value) pair; both raw bytes. */
export type TrieEntry = readonly [key: Uint8Array, value: Uint8Array];

/**
 * The root node of the trie holding `entries`, or undefined for an empty set.
 * Semantics are those of applying `put(key, value)` in order: a later entry for
 * the same key wins, and an empty value deletes the key. The input is not
 * modified. Size limits are the caller's job (`MerklePatriciaTrie.fromEntries`
 * checks them).
 */
export function buildFromEntries(entries: readonly TrieEntry[]): TrieNode | undefined {
  const order = sortedOrder(entries);
  const byteKeys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let i = 0; i < order.length; i++) {
    const [key, value] = entries[order[i]!]!;
    const next = order[i + 1];
    if (next !== undefined && compareBytes(entries[next]![0], key) === 0) continue;
    if (value.length === 0) continue;
    byteKeys.push(key);
    values.push(value);
  }
  if (byteKeys.length === 0) return undefined;
  const keys = keysToNibbles(byteKeys);
  return buildSubtree(keys, values, 0, keys.length, 0);
}
