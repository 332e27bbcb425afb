/**
 * Subtree proofs: one proof for every entry whose key starts with a byte prefix
 * (seed 001's "comprehensive verification" of a dataset and everything under it).
 *
 * A subtree proof holds the prefix, the path nodes from the root down to the node
 * that covers the prefix, and the (key, value) entries under the prefix. The
 * verifier checks the path against the root, then REBUILDS the covering node from
 * the entries and compares its hash (or, for an embedded node, its bytes) with the
 * reference held by the verified path. Because a trie's shape is a function of its
 * key set, a match proves the entries are exactly all the entries under the prefix:
 * none altered, none dropped, none added. When no key has the prefix, the path
 * proves the absence and the entries are empty.
 *
 * The walk, shared by prover and verifier so both agree on which nodes the path
 * holds: start at the root with depth 0 (in nibbles; the prefix has P = 2 x its
 * byte length). At a reference with depth == P, stop: that node covers the
 * prefix, and it is NOT in the path (it is rebuilt). Otherwise the referenced node
 * is needed and, if hash-referenced (the root always is), it is the next path
 * node: a branch follows the child for the next prefix nibble (an empty slot
 * proves absence); a leaf or extension whose path diverges from the prefix proves
 * absence; one whose path reaches or passes the end of the prefix covers it (a
 * prefix may end in the middle of a path; this covering node IS in the path, as
 * it had to be read, and is also rebuilt); an extension ending before the end of
 * the prefix is followed to its child. Embedded nodes are read inside their parent.
 *
 * A byte prefix `.../dataset_7` also covers `.../dataset_70...`: callers filter.
 */
import { equalBytes, startsWithBytes, toHex } from '../codec/bytes.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { MeridianError, VerificationError } from '../errors.ts';
import { buildSubtree } from './build.ts';
import { MAX_SUBTREE_ENTRIES, MAX_TRIE_KEY_BYTES, MAX_TRIE_VALUE_BYTES } from './limits.ts';
import { keysToNibbles } from './nibbles.ts';
import { encodeNode } from './node-encoding.ts';
import {
  equalHashAt,
  matchPath,
  nibbleAt,
  type PathHeader,
  readNodeView,
  readPathHeader,
  view,
} from './node-view.ts';
import { findPrefixCover } from './prefix-cover.ts';
import { checkProofNodes, proofInvalid } from './proof.ts';
import { EMPTY_TRIE_ROOT, type MerklePatriciaTrie } from './trie.ts';

/** A (key, value) pair. */
export type Entry = [key: Uint8Array, value: Uint8Array];

export interface SubtreeProof {
  /** The byte prefix the proof is about. */
  readonly prefix: Uint8Array;
  /** RLP encodings of the hash-referenced nodes the walk needs, root first. */
  readonly nodes: readonly Uint8Array[];
  /** Every entry whose key starts with `prefix`, in strictly ascending key order. */
  readonly entries: readonly Entry[];
}

/** What a verified subtree proof establishes. */
export interface VerifiedSubtree {
  readonly prefix: Uint8Array;
  /**
   * Exactly the entries of the trie whose key starts with `prefix`, ascending.
   * Empty means no key has the prefix. These are the proof's own entry objects
   * (not copies): mutating them afterwards voids the result.
   */
  readonly entries: readonly Entry[];
}

/**
 * The subtree proof for `prefix` against `trie.root()`. Works for any prefix
 * length, including the empty prefix (the whole trie) and prefixes no key has.
 */
export function createSubtreeProof(trie: MerklePatriciaTrie, prefix: Uint8Array): SubtreeProof {
  const nodes: Uint8Array[] = [];
  const cover = findPrefixCover(trie, prefix, (node, isRoot) => {
    const encoded = encodeNode(node);
    if (isRoot || encoded.length >= 32) nodes.push(encoded);
  });
  const entries = cover ? [...trie.entriesUnder(cover.ref, cover.target.subarray(0, cover.depth))] : [];
  return { prefix: prefix.slice(), nodes, entries };
}

const header: PathHeader = { isLeaf: false, length: 0, firstNibble: 0 };

/** How the covering node is referenced: by the root hash, by a hash in a path node, or embedded. */
type Cover =
  | { kind: 'absent' }
  | { kind: 'root'; depth: number }
  | { kind: 'hash'; depth: number; buffer: Uint8Array; at: number }
  | { kind: 'embedded'; depth: number; buffer: Uint8Array; start: number; end: number };

/**
 * Verifies a subtree proof against `root` and returns the authenticated entries
 * under `proof.prefix`. Throws `VerificationError` (code `PROOF_INVALID`) with a
 * message saying what failed: a path node that does not hash to its reference,
 * a missing or extra path node, entries out of order or duplicated, an entry
 * outside the prefix, or entries that do not rebuild the covering node (some
 * entry was altered, dropped or added). Sizes are bounded by `MAX_PROOF_NODES`,
 * `MAX_PROOF_BYTES`, `MAX_SUBTREE_ENTRIES`, `MAX_TRIE_KEY_BYTES`, `MAX_TRIE_VALUE_BYTES`.
 */
export function verifySubtreeProof(root: Uint8Array, proof: SubtreeProof): VerifiedSubtree {
  if (!(root instanceof Uint8Array) || root.length !== 32) throw proofInvalid('the root must be 32 bytes');
  const { prefix, nodes, entries } = proof;
  if (!(prefix instanceof Uint8Array) || prefix.length > MAX_TRIE_KEY_BYTES) {
    throw proofInvalid(`the prefix must be bytes, at most ${MAX_TRIE_KEY_BYTES} (MAX_TRIE_KEY_BYTES)`);
  }
  checkProofNodes(nodes, 'the subtree path');
  checkEntries(prefix, entries);
  let cover: Cover;
  try {
    cover = walk(root, prefix, nodes);
  } catch (error) {
    if (error instanceof VerificationError) throw error;
    if (error instanceof MeridianError) throw proofInvalid(`malformed path node: ${error.message}`, error);
    throw error;
  }
  if (cover.kind === 'absent') {
    if (entries.length > 0) {
      throw proofInvalid(
        `the path proves no key starts with the prefix, but the proof lists ${entries.length} entries`,
      );
    }
    return { prefix: prefix.slice(), entries: [] };
  }
  if (entries.length === 0)
    throw proofInvalid('the path shows keys under the prefix, but the proof lists no entries');
  // Every key starts with the prefix, so the bytes before the covering node's depth are
  // shared: convert only what follows them and build at the matching relative depth.
  const skip = cover.depth >> 1;
  const keys = keysToNibbles(entries.map(([key]) => key.subarray(skip)));
  const values = entries.map(([, value]) => value);
  const encoded = encodeNode(buildSubtree(keys, values, 0, keys.length, cover.depth - 2 * skip));
  let matches: boolean;
  if (cover.kind === 'root') matches = equalBytes(keccak256(encoded), root);
  else if (cover.kind === 'hash')
    matches = encoded.length >= 32 && equalHashAt(cover.buffer, cover.at, keccak256(encoded));
  else matches = equalBytes(encoded, cover.buffer.subarray(cover.start, cover.end));
  if (!matches) {
    throw proofInvalid(
      `the ${entries.length} entries do not rebuild the subtree under prefix ${toHex(prefix)}: an entry was altered, dropped or added`,
    );
  }
  return { prefix: prefix.slice(), entries: entries.slice() };
}

function checkEntries(prefix: Uint8Array, entries: readonly Entry[]): void {
  if (!Array.isArray(entries)) throw proofInvalid('the entries must be an array');
  if (entries.length > MAX_SUBTREE_ENTRIES) {
    throw proofInvalid(
      `the proof has ${entries.length} entries; the limit is ${MAX_SUBTREE_ENTRIES} (MAX_SUBTREE_ENTRIES)`,
    );
  }
  let previous: Uint8Array | undefined;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (!Array.isArray(entry) || entry.length !== 2)
      throw proofInvalid(`entry ${i} must be a [key, value] pair`);
    const [key, value] = entry;
    if (!(key instanceof Uint8Array) || key.length > MAX_TRIE_KEY_BYTES) {
      throw proofInvalid(
        `entry ${i}: the key must be bytes, at most ${MAX_TRIE_KEY_BYTES} (MAX_TRIE_KEY_BYTES)`,
      );
    }
    if (!(value instanceof Uint8Array) || value.length === 0 || value.length > MAX_TRIE_VALUE_BYTES) {
      throw proofInvalid(
        `entry ${i}: the value must be 1..${MAX_TRIE_VALUE_BYTES} bytes (MAX_TRIE_VALUE_BYTES)`,
      );
    }
    if (!startsWithBytes(key, prefix))
      throw proofInvalid(`entry ${i} (key ${toHex(key)}) does not start with the prefix`);
    // Both keys start with the prefix: compare what follows it.
    if (previous !== undefined && compareAfter(previous, key, prefix.length) >= 0) {
      throw proofInvalid(`entry ${i} (key ${toHex(key)}) is not in strictly ascending key order`);
    }
    previous = key;
  }
}

/** `compareBytes(a, b)` for two arrays known to agree on their first `from` bytes. */
function compareAfter(a: Uint8Array, b: Uint8Array, from: number): number {
  const n = Math.min(a.length, b.length);
  for (let i = from; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function walk(root: Uint8Array, prefix: Uint8Array, nodes: readonly Uint8Array[]): Cover {
  const prefixNibbles = prefix.length * 2;
  if (equalBytes(root, EMPTY_TRIE_ROOT)) {
    if (nodes.length > 0) throw proofInvalid('the trie is empty, but the proof has path nodes');
    return { kind: 'absent' };
  }
  // The reference to the current node: where its hash sits (`hashAt` in `refBuffer`), or its embedded bytes.
  let index = -1;
  let refBuffer = root;
  let hashAt = 0; // -1 when embedded
  let refIsRoot = true;
  let start = 0;
  let end = 0;
  let depth = 0;
  const extra = (): void => {
    if (index !== nodes.length - 1) {
      throw proofInvalid(`the path has ${nodes.length - 1 - index} unreferenced node(s) after node ${index}`);
    }
  };
  const here = (): Cover => {
    extra();
    if (refIsRoot) return { kind: 'root', depth };
    if (hashAt >= 0) return { kind: 'hash', depth, buffer: refBuffer, at: hashAt };
    return { kind: 'embedded', depth, buffer: refBuffer, start, end };
  };
  const absent = (): Cover => {
    extra();
    return { kind: 'absent' };
  };
  let buffer = root;
  for (;;) {
    if (depth === prefixNibbles) return here();
    if (hashAt >= 0) {
      index++;
      if (index >= nodes.length) {
        throw proofInvalid(`the path ends after ${index} node(s), before it reaches the prefix`);
      }
      buffer = nodes[index]!;
      const hash = keccak256(buffer);
      const ok = index === 0 ? equalBytes(hash, root) : equalHashAt(refBuffer, hashAt, hash);
      if (!ok) {
        throw proofInvalid(
          index === 0
            ? 'path node 0 does not hash to the root'
            : `path node ${index} does not hash to the reference above it`,
        );
      }
      start = 0;
      end = buffer.length;
    }
    readNodeView(buffer, start, end);
    let child: number;
    if (view.count === 17) {
      child = nibbleAt(prefix, depth);
      depth++;
    } else {
      readPathHeader(buffer, header);
      if (!header.isLeaf && header.length === 0) throw proofInvalid('an extension path must not be empty');
      const matched = matchPath(buffer, header, prefix, depth);
      if (matched < Math.min(header.length, prefixNibbles - depth)) return absent();
      if (header.length >= prefixNibbles - depth) return here();
      if (header.isLeaf) return absent();
      depth += header.length;
      child = 1;
    }
    const refStart = view.starts[child]!;
    const refEnd = view.ends[child]!;
    if (view.isList[child]) {
      if (refEnd - refStart >= 32) throw proofInvalid('an embedded node must be shorter than 32 bytes');
      refBuffer = buffer;
      refIsRoot = false;
      hashAt = -1;
      start = refStart;
      end = refEnd;
      continue;
    }
    const length = refEnd - view.payloadStarts[child]!;
    if (length === 0) {
      if (view.count === 2) throw proofInvalid('an extension must have a child');
      return absent();
    }
    if (length !== 32)
      throw proofInvalid(`a child reference must be 32 bytes or an embedded node, got ${length} bytes`);
    refBuffer = buffer;
    refIsRoot = false;
    hashAt = view.payloadStarts[child]!;
  }
}
