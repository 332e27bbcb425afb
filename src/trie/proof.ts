/**
 * Single-key proofs in the EIP-1186 shape: the RLP encodings of the
 * hash-referenced nodes on the path from the root towards the key, root first.
 * Embedded nodes (< 32 bytes) are inside their parent's encoding and are not
 * listed separately. The same shape proves presence (the path ends at the key's
 * value) and absence (the path ends where the key would have to be and is not).
 *
 * `verifyProof` trusts nothing but the root hash it is given: it hashes every
 * node it uses and checks it against the reference held by the node above.
 */
import { equalBytes } from '../codec/bytes.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { MeridianError, VerificationError } from '../errors.ts';
import { MAX_PROOF_BYTES, MAX_PROOF_NODES, MAX_TRIE_KEY_BYTES } from './limits.ts';
import { bytesToNibbles, matchesAt } from './nibbles.ts';
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
import { checkTrieKey, EMPTY_TRIE_ROOT, type MerklePatriciaTrie } from './trie.ts';

/** A failed proof: `VerificationError` with code `PROOF_INVALID` and a message saying what is wrong. */
export function proofInvalid(message: string, cause?: unknown): VerificationError {
  return new VerificationError('PROOF_INVALID', message, {
    hint: 'the proof does not match this root: get a fresh proof for this root, or check the root is the one in the block header',
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The proof for `key` against `trie.root()`: hash-referenced node encodings from
 * the root down, root first (the root is listed even when shorter than 32 bytes,
 * since the root is always referenced by hash). Empty for the empty trie.
 */
export function createProof(trie: MerklePatriciaTrie, key: Uint8Array): Uint8Array[] {
  checkTrieKey(key);
  const nibbles = bytesToNibbles(key);
  const nodes: Uint8Array[] = [];
  let ref = trie.rootRef();
  let depth = 0;
  let isRoot = true;
  while (ref !== undefined) {
    const node = trie.resolve(ref);
    const encoded = encodeNode(node);
    if (isRoot || encoded.length >= 32) nodes.push(encoded);
    isRoot = false;
    if (node.kind === 'leaf') break;
    if (node.kind === 'extension') {
      if (!matchesAt(nibbles, depth, node.path)) break;
      depth += node.path.length;
      ref = node.child;
    } else {
      if (depth === nibbles.length) break;
      ref = node.children[nibbles[depth]!];
      depth++;
    }
  }
  return nodes;
}

/** Checks the shape and size of proof nodes given from outside (count, types, total bytes). */
export function checkProofNodes(nodes: readonly Uint8Array[], what: string): void {
  if (!Array.isArray(nodes)) throw proofInvalid(`${what} must be an array of byte strings`);
  if (nodes.length > MAX_PROOF_NODES) {
    throw proofInvalid(
      `${what} has ${nodes.length} nodes; the limit is ${MAX_PROOF_NODES} (MAX_PROOF_NODES)`,
    );
  }
  let total = 0;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!(node instanceof Uint8Array)) throw proofInvalid(`${what} node ${i} is not bytes`);
    total += node.length;
  }
  if (total > MAX_PROOF_BYTES) {
    throw proofInvalid(`${what} is ${total} bytes; the limit is ${MAX_PROOF_BYTES} (MAX_PROOF_BYTES)`);
  }
}

const header: PathHeader = { isLeaf: false, length: 0, firstNibble: 0 };

/**
 * Verifies a single-key proof against `root` (32 bytes). Returns the value stored
 * under `key` when the proof shows it present, `undefined` when the proof shows it
 * absent. Throws `VerificationError` (code `PROOF_INVALID`) when the first node does
 * not hash to `root`, a node does not hash to the reference above it, a node is
 * malformed, the proof stops before the key's path is decided, or nodes are left
 * over. For the empty root the only valid proof is the empty list.
 */
export function verifyProof(
  root: Uint8Array,
  key: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  if (!(root instanceof Uint8Array) || root.length !== 32) throw proofInvalid('the root must be 32 bytes');
  if (!(key instanceof Uint8Array) || key.length > MAX_TRIE_KEY_BYTES) {
    throw proofInvalid(`the key must be bytes, at most ${MAX_TRIE_KEY_BYTES} (MAX_TRIE_KEY_BYTES)`);
  }
  checkProofNodes(proof, 'the proof');
  if (proof.length === 0) {
    if (equalBytes(root, EMPTY_TRIE_ROOT)) return undefined;
    throw proofInvalid('the proof is empty but the root is not the empty-trie root');
  }
  try {
    return walk(root, key, proof);
  } catch (error) {
    if (error instanceof VerificationError) throw error;
    if (error instanceof MeridianError) throw proofInvalid(`malformed proof node: ${error.message}`, error);
    throw error;
  }
}

function walk(root: Uint8Array, key: Uint8Array, proof: readonly Uint8Array[]): Uint8Array | undefined {
  const keyNibbles = key.length * 2;
  let index = 0;
  let buffer = proof[0]!;
  if (!equalBytes(keccak256(buffer), root)) throw proofInvalid('proof node 0 does not hash to the root');
  let start = 0;
  let end = buffer.length;
  let depth = 0;
  const finish = (value: Uint8Array | undefined): Uint8Array | undefined => {
    if (index !== proof.length - 1) {
      throw proofInvalid(
        `the proof has ${proof.length - 1 - index} unreferenced node(s) after node ${index}`,
      );
    }
    return value;
  };
  for (;;) {
    readNodeView(buffer, start, end);
    let child: number;
    if (view.count === 17) {
      if (depth === keyNibbles) {
        if (view.isList[16]) throw proofInvalid('a branch value must be a byte string');
        const valueStart = view.payloadStarts[16]!;
        const valueEnd = view.ends[16]!;
        return finish(valueEnd > valueStart ? buffer.slice(valueStart, valueEnd) : undefined);
      }
      child = nibbleAt(key, depth);
      depth++;
    } else {
      readPathHeader(buffer, header);
      const matched = matchPath(buffer, header, key, depth);
      if (header.isLeaf) {
        if (view.isList[1]) throw proofInvalid('a leaf value must be a byte string');
        const valueStart = view.payloadStarts[1]!;
        const valueEnd = view.ends[1]!;
        if (valueEnd === valueStart) throw proofInvalid('a leaf value must not be empty');
        const found = matched === header.length && depth + header.length === keyNibbles;
        return finish(found ? buffer.slice(valueStart, valueEnd) : undefined);
      }
      if (header.length === 0) throw proofInvalid('an extension path must not be empty');
      if (matched !== header.length) return finish(undefined);
      depth += header.length;
      child = 1;
    }
    // Follow the reference in item `child`.
    const refStart = view.starts[child]!;
    const refEnd = view.ends[child]!;
    if (view.isList[child]) {
      if (refEnd - refStart >= 32) throw proofInvalid('an embedded node must be shorter than 32 bytes');
      start = refStart;
      end = refEnd;
      continue;
    }
    const hashStart = view.payloadStarts[child]!;
    const length = refEnd - hashStart;
    if (length === 0) {
      if (view.count === 2) throw proofInvalid('an extension must have a child');
      return finish(undefined);
    }
    if (length !== 32)
      throw proofInvalid(`a child reference must be 32 bytes or an embedded node, got ${length} bytes`);
    index++;
    if (index >= proof.length)
      throw proofInvalid(`the proof ends after node ${index - 1}, before the key's path is decided`);
    const next = proof[index]!;
    if (!equalHashAt(buffer, hashStart, keccak256(next))) {
      throw proofInvalid(`proof node ${index} does not hash to the reference in node ${index - 1}`);
    }
    buffer = next;
    start = 0;
    end = next.length;
  }
}
