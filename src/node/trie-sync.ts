/**
 * Downloads one Merkle Patricia trie, by its root hash, into a node store from
 * peers that hold it, node by node (a state sync's core). The caller asks
 * `wanted()` for hashes, fetches them from whichever peer it likes, hands every
 * answer to `deliver` and calls `flush` after each reply.
 *
 * Contract:
 * - Only what was asked for is accepted: a node is taken when its keccak-256
 *   is a wanted hash, so a lying peer can waste a request, never plant a node.
 * - Subtrees already in the store are not fetched again: a stored node comes
 *   with everything below it (as `MerklePatriciaTrie.commit` writes them).
 * - That invariant holds whenever the sync stops: a node is written only once
 *   every node it references by hash is stored, children before parents in
 *   one `write`. Nodes still waiting for children live in memory; the order of
 *   `wanted()` (newest first) keeps that frontier small, as a depth-first walk.
 * - `done` once the root is stored and flushed.
 */

import { equalBytes, toHex } from '../codec/bytes.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { DecodeError } from '../errors.ts';
import type { KvOp, KvStore } from '../store/kv.ts';
import type { ChildRef, TrieNode } from '../trie/node.ts';
import { decodeNode } from '../trie/node-decoding.ts';
import { EMPTY_TRIE_ROOT } from '../trie/trie.ts';

interface Waiting {
  readonly encoded: Uint8Array;
  readonly hash: Uint8Array;
  /** Child references (by occurrence) not stored yet. */
  missing: number;
  /** Hex hashes of the received nodes waiting for this one, one entry per reference. */
  readonly parents: string[];
}

interface Wanted {
  readonly hash: Uint8Array;
  readonly parents: string[];
}

export class TrieSync {
  readonly #wanted = new Map<string, Wanted>();
  /** Wanted hashes, newest last; delivered ones are dropped lazily. */
  #order: string[] = [];
  readonly #waiting = new Map<string, Waiting>();
  /** Completed nodes not flushed yet, children before parents. */
  #batch: KvOp[] = [];
  /** Hex hashes in `#batch` (stored, as far as the sync is concerned). */
  readonly #batched = new Set<string>();
  #received = 0;

  constructor(
    private readonly store: KvStore,
    readonly root: Uint8Array,
  ) {
    if (!equalBytes(root, EMPTY_TRIE_ROOT) && !store.has(root)) this.#want(root, undefined);
  }

  /** True once the whole trie is in the store. */
  get done(): boolean {
    return this.#wanted.size === 0 && this.#waiting.size === 0 && this.#batch.length === 0;
  }

  /** Nodes accepted so far. */
  get received(): number {
    return this.#received;
  }

  /** Up to `max` hashes still to fetch, newest first (re-asking is fine until they arrive). */
  wanted(max: number): Uint8Array[] {
    if (this.#order.length > 2 * this.#wanted.size + 64) {
      this.#order = this.#order.filter((hex) => this.#wanted.has(hex));
    }
    const out: Uint8Array[] = [];
    for (let i = this.#order.length - 1; i >= 0 && out.length < max; i--) {
      const wanted = this.#wanted.get(this.#order[i]!);
      if (wanted) out.push(wanted.hash);
    }
    return out;
  }

  /**
   * Takes one node's encoding. Returns false, changing nothing, when it does not hash to a
   * wanted node (or, impossible under a certified root, does not decode as a trie node).
   */
  deliver(encoded: Uint8Array): boolean {
    const hash = keccak256(encoded);
    const hex = toHex(hash);
    const wanted = this.#wanted.get(hex);
    if (!wanted) return false;
    let node: TrieNode;
    try {
      node = decodeNode(encoded);
    } catch (error) {
      if (error instanceof DecodeError) return false;
      throw error;
    }
    this.#wanted.delete(hex);
    this.#received++;
    const waiting: Waiting = { encoded, hash, missing: 0, parents: wanted.parents };
    for (const child of hashedChildren(node)) {
      const childHex = toHex(child);
      if (this.#batched.has(childHex) || this.store.has(child)) continue;
      waiting.missing++;
      const pending = this.#waiting.get(childHex) ?? this.#wanted.get(childHex);
      if (pending) pending.parents.push(hex);
      else this.#want(child, hex);
    }
    this.#waiting.set(hex, waiting);
    if (waiting.missing === 0) this.#complete(hex);
    return true;
  }

  /** Writes the completed nodes to the store. */
  async flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    await this.store.write(batch);
    this.#batched.clear();
  }

  #want(hash: Uint8Array, parent: string | undefined): void {
    const hex = toHex(hash);
    this.#wanted.set(hex, { hash, parents: parent === undefined ? [] : [parent] });
    this.#order.push(hex);
  }

  /** Moves a node whose children are all stored into the batch, then any parents that completes. */
  #complete(first: string): void {
    const stack = [first];
    while (stack.length > 0) {
      const hex = stack.pop()!;
      const node = this.#waiting.get(hex)!;
      this.#waiting.delete(hex);
      this.#batch.push({ type: 'put', key: node.hash, value: node.encoded });
      this.#batched.add(hex);
      for (const parentHex of node.parents) {
        const parent = this.#waiting.get(parentHex)!;
        parent.missing--;
        if (parent.missing === 0) stack.push(parentHex);
      }
    }
  }
}

/** The hashes a node references, looking inside embedded children (by occurrence). */
export function hashedChildren(node: TrieNode): Uint8Array[] {
  const out: Uint8Array[] = [];
  const visit = (ref: ChildRef | undefined): void => {
    if (ref === undefined) return;
    if (ref.kind === 'hash') out.push(ref.hash);
    else if (ref.kind === 'extension') visit(ref.child);
    else if (ref.kind === 'branch') for (const child of ref.children) visit(child);
  };
  if (node.kind === 'extension') visit(node.child);
  else if (node.kind === 'branch') for (const child of node.children) visit(child);
  return out;
}
