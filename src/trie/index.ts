/**
 * The trie module's public surface (browser-safe: nothing here imports `node:*`).
 * See trie.ts for the trie's contract, proof.ts and subtree-proof.ts for proofs,
 * proof-codec.ts for their serialised forms, binary-merkle.ts for the baseline.
 */
export { type BinaryMerkleProof, BinaryMerkleTree, verifyBinaryProof } from './binary-merkle.ts';
export { buildFromEntries, type TrieEntry } from './build.ts';
export * from './limits.ts';
export { entriesWithPrefix, prefixVersion } from './prefix-cover.ts';
export { createProof, verifyProof } from './proof.ts';
export {
  decodeKeyProof,
  decodeSubtreeProof,
  encodeKeyProof,
  encodeSubtreeProof,
  type KeyProof,
  type KeyProofJson,
  keyProofToJson,
  parseKeyProofJson,
  parseSubtreeProofJson,
  proofJsonType,
  type SubtreeProofJson,
  subtreeProofToJson,
} from './proof-codec.ts';
export {
  createSubtreeProof,
  type Entry,
  type SubtreeProof,
  type VerifiedSubtree,
  verifySubtreeProof,
} from './subtree-proof.ts';
export { EMPTY_TRIE_ROOT, MerklePatriciaTrie, type TrieOptions } from './trie.ts';
