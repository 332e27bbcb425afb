/**
 * RLP encoding of trie nodes, written straight into one buffer per node (no
 * intermediate item arrays: this is the build hot path). The output is
 * byte-for-byte what `encodeRlpItem` gives for the same node as nested lists; a
 * test checks that.
 *
 * Child references (Yellow Paper appendix D, function c): a child whose encoding
 * is shorter than 32 bytes is embedded in its parent as-is; otherwise the parent
 * holds the 32-byte keccak-256 of the child's encoding.
 */
import { rlpHeaderLength, rlpStringLength, writeRlpHeader, writeRlpString } from '../codec/rlp.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { hexPrefixLength, writeHexPrefix } from './nibbles.ts';
import type { BranchNode, ChildRef, ExtensionNode, LeafNode, TrieNode } from './node.ts';

/**
 * Encodings are carved out of shared 16 KiB slabs instead of one allocation each.
 * Small typed arrays live on V8's heap, and the keccak binding reads `.buffer` of
 * every input, which makes V8 move each one to a fresh off-heap buffer: the
 * slab pays that once per 16 KiB. A slab stays alive while any node encoded in
 * it does (at most 16 KiB pinned per live node, in practice far less).
 */
const SLAB_BYTES = 16 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

function allocate(length: number): Uint8Array {
  if (length > SLAB_BYTES / 8) return new Uint8Array(length);
  if (slabUsed + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += length;
  return out;
}

/** Encoded size of a hex-prefixed path as an RLP string (its first byte is always < 0x80). */
function pathLength(path: Uint8Array): number {
  const n = hexPrefixLength(path.length);
  return n === 1 ? 1 : rlpHeaderLength(n) + n;
}

function writePath(out: Uint8Array, offset: number, path: Uint8Array, isLeaf: boolean): number {
  const n = hexPrefixLength(path.length);
  if (n !== 1) offset = writeRlpHeader(out, offset, n, 0x80);
  writeHexPrefix(out, offset, path, isLeaf);
  return offset + n;
}

/** Size of the reference to `child` inside its parent: 1 when empty, 33 when hashed, else the embedding. */
function childRefLength(child: ChildRef | undefined): number {
  if (child === undefined) return 1;
  if (child.kind === 'hash') return 33;
  const encoded = encodeNode(child);
  return encoded.length < 32 ? encoded.length : 33;
}

function writeChildRef(out: Uint8Array, offset: number, child: ChildRef | undefined): number {
  if (child === undefined) {
    out[offset] = 0x80;
    return offset + 1;
  }
  if (child.kind === 'hash') {
    out[offset] = 0xa0;
    out.set(child.hash, offset + 1);
    return offset + 33;
  }
  const encoded = child.encoded!;
  if (encoded.length < 32) {
    out.set(encoded, offset);
    return offset + encoded.length;
  }
  out[offset] = 0xa0;
  out.set(nodeHash(child), offset + 1);
  return offset + 33;
}

function encodeLeaf(node: LeafNode): Uint8Array {
  const payload = pathLength(node.path) + rlpStringLength(node.value);
  const out = allocate(rlpHeaderLength(payload) + payload);
  let offset = writeRlpHeader(out, 0, payload, 0xc0);
  offset = writePath(out, offset, node.path, true);
  writeRlpString(out, offset, node.value);
  return out;
}

function encodeExtension(node: ExtensionNode): Uint8Array {
  const payload = pathLength(node.path) + childRefLength(node.child);
  const out = allocate(rlpHeaderLength(payload) + payload);
  let offset = writeRlpHeader(out, 0, payload, 0xc0);
  offset = writePath(out, offset, node.path, false);
  writeChildRef(out, offset, node.child);
  return out;
}

function encodeBranch(node: BranchNode): Uint8Array {
  const children = node.children;
  let payload = node.value === undefined ? 1 : rlpStringLength(node.value);
  for (let i = 0; i < 16; i++) payload += childRefLength(children[i]);
  const out = allocate(rlpHeaderLength(payload) + payload);
  let offset = writeRlpHeader(out, 0, payload, 0xc0);
  for (let i = 0; i < 16; i++) offset = writeChildRef(out, offset, children[i]);
  if (node.value === undefined) out[offset] = 0x80;
  else writeRlpString(out, offset, node.value);
  return out;
}

/**
 * The RLP encoding of `node`, computed once and cached on the node (children are
 * encoded first, recursively). Never mutate the returned bytes.
 */
export function encodeNode(node: TrieNode): Uint8Array {
  let encoded = node.encoded;
  if (encoded !== undefined) return encoded;
  if (node.kind === 'leaf') encoded = encodeLeaf(node);
  else if (node.kind === 'extension') encoded = encodeExtension(node);
  else encoded = encodeBranch(node);
  node.encoded = encoded;
  return encoded;
}

/** keccak-256 of the node's encoding, computed once and cached. This is the root hash when `node` is the root. */
export function nodeHash(node: TrieNode): Uint8Array {
  let hash = node.hash;
  if (hash === undefined) {
    hash = keccak256(encodeNode(node));
    node.hash = hash;
  }
  return hash;
}

/** True when the node is embedded in its parent (encoding < 32 bytes) rather than referenced by hash. */
export function isEmbedded(node: TrieNode): boolean {
  return encodeNode(node).length < 32;
}
