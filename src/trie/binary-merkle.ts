/**
 * The binary Merkle tree baseline seed 001 compares the MPT with.
 *
 * Hashing (chosen to be fair to the baseline and safe):
 * - keccak-256 throughout, the same hash as the MPT, so timings compare structures, not hash functions;
 * - a leaf commits to its key AND value: leaf = keccak256(0x00 || RLP([key, value])), so a proof shows
 *   "key has value", like an MPT proof, not merely "this value is somewhere";
 * - inner = keccak256(0x01 || left || right): the 0x00/0x01 prefixes separate leaves from inner nodes
 *   (RFC 6962 style), so an inner node can never be passed off as a leaf;
 * - a level with an odd count promotes its last node unchanged (no duplication: duplicating the last
 *   node lets two different leaf lists share a root, the CVE-2012-2459 pattern).
 * Leaves are the entries sorted by key (duplicates: last wins; empty values dropped, as in the trie).
 * The empty tree's root is keccak256 of the empty string.
 */
import { compareBytes, equalBytes } from '../codec/bytes.ts';
import { encodeRlpItem } from '../codec/rlp.ts';
import { KECCAK_EMPTY, keccak256 } from '../crypto/keccak.ts';
import { assert } from '../errors.ts';
import { sortedOrder, type TrieEntry } from './build.ts';
import { MAX_PROOF_NODES } from './limits.ts';

export interface BinaryMerkleProof {
  /** Position of the leaf among the sorted leaves. */
  readonly index: number;
  /** Number of leaves in the tree (needed to know where odd nodes were promoted). */
  readonly leafCount: number;
  /** Sibling hashes from the leaf level up. */
  readonly siblings: readonly Uint8Array[];
}

export function binaryLeafHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  const rlp = encodeRlpItem([key, value]);
  const input = new Uint8Array(rlp.length + 1);
  input.set(rlp, 1);
  return keccak256(input);
}

const innerInput = new Uint8Array(65);

export function binaryInnerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  innerInput[0] = 1;
  innerInput.set(left, 1);
  innerInput.set(right, 33);
  return keccak256(innerInput);
}

export class BinaryMerkleTree {
  /** `levels[0]` are the leaf hashes; the last level has the root alone. Empty for an empty tree. */
  readonly #levels: Uint8Array[][];
  readonly #keys: Uint8Array[];

  private constructor(keys: Uint8Array[], leaves: Uint8Array[]) {
    this.#keys = keys;
    this.#levels = [];
    if (leaves.length === 0) return;
    let level = leaves;
    this.#levels.push(level);
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(binaryInnerHash(level[i]!, level[i + 1]!));
      if (level.length % 2 === 1) next.push(level[level.length - 1]!);
      level = next;
      this.#levels.push(level);
    }
  }

  /** The tree over `entries` (sorted here; later duplicates win; empty values dropped). */
  static fromEntries(entries: readonly TrieEntry[]): BinaryMerkleTree {
    const order = sortedOrder(entries);
    const keys: Uint8Array[] = [];
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < order.length; i++) {
      const [key, value] = entries[order[i]!]!;
      const next = order[i + 1];
      if (next !== undefined && compareBytes(entries[next]![0], key) === 0) continue;
      if (value.length === 0) continue;
      keys.push(key);
      leaves.push(binaryLeafHash(key, value));
    }
    return new BinaryMerkleTree(keys, leaves);
  }

  root(): Uint8Array {
    const top = this.#levels[this.#levels.length - 1];
    return top === undefined ? KECCAK_EMPTY : top[0]!;
  }

  get leafCount(): number {
    return this.#keys.length;
  }

  /**
   * Number of distinct nodes: leaves plus inner nodes (a promoted node is the same
   * node one level up, counted once), i.e. 2n - 1 for n >= 1 leaves.
   */
  countNodes(): number {
    let total = 0;
    for (let l = 0; l < this.#levels.length; l++) {
      const level = this.#levels[l]!;
      total += l === 0 ? level.length : Math.floor(this.#levels[l - 1]!.length / 2);
    }
    return total;
  }

  /** Index of `key` among the sorted leaves, or -1. */
  indexOf(key: Uint8Array): number {
    let lo = 0;
    let hi = this.#keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareBytes(this.#keys[mid]!, key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The inclusion proof of `key`, or undefined when the tree does not hold it. */
  createProof(key: Uint8Array): BinaryMerkleProof | undefined {
    let index = this.indexOf(key);
    if (index < 0) return undefined;
    const leafIndex = index;
    const siblings: Uint8Array[] = [];
    for (let l = 0; l + 1 < this.#levels.length; l++) {
      const level = this.#levels[l]!;
      const sibling = index ^ 1;
      if (sibling < level.length) siblings.push(level[sibling]!);
      index >>= 1;
    }
    return { index: leafIndex, leafCount: this.#keys.length, siblings };
  }
}

/**
 * True when `proof` shows that the tree with root `root` holds `key` with `value`.
 * False for any mismatch, including a sibling count that does not fit `leafCount`.
 */
export function verifyBinaryProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array,
  proof: BinaryMerkleProof,
): boolean {
  const { index, leafCount, siblings } = proof;
  if (!Number.isSafeInteger(leafCount) || leafCount < 1 || index < 0 || index >= leafCount) return false;
  if (siblings.length > MAX_PROOF_NODES) return false;
  let hash = binaryLeafHash(key, value);
  let position = index;
  let size = leafCount;
  let used = 0;
  while (size > 1) {
    const sibling = position ^ 1;
    if (sibling < size) {
      const other = siblings[used++];
      if (other === undefined || other.length !== 32) return false;
      hash = position & 1 ? binaryInnerHash(other, hash) : binaryInnerHash(hash, other);
    }
    position >>= 1;
    size = (size + 1) >> 1;
  }
  assert(position === 0, 'the walk ends at the root');
  return used === siblings.length && equalBytes(hash, root);
}
