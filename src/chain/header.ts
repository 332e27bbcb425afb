/**
 * Block headers. A header commits to everything a block did: its parent, the
 * transactions, the post-state, the receipts, the provenance entries it anchored,
 * and the validator set that certifies it. Its hash (keccak-256 of the RLP
 * encoding) is what validators sign in COMMIT messages, so a commit certificate
 * over the hash makes every field final.
 *
 * Wire format: the field order below is consensus-critical. Never reorder.
 */

import { bytes, decode, encode, hash32, type Infer, struct, text, uint } from '../codec/schema.ts';
import { keccak256 } from '../crypto/keccak.ts';

export const MAX_CHAIN_ID_BYTES = 64;
/** An RLP header is ~400 bytes; anything far larger is not a header. */
export const MAX_HEADER_BYTES = 2048;

export const BlockHeaderCodec = struct({
  chainId: text(MAX_CHAIN_ID_BYTES),
  height: uint,
  parentHash: hash32,
  /** Consensus time in milliseconds since the Unix epoch, chosen by the proposer; strictly increasing. */
  timestampMs: uint,
  /** Ed25519 public key of the primary that proposed the block. */
  proposer: bytes({ length: 32 }),
  view: uint,
  transactionsRoot: hash32,
  stateRoot: hash32,
  receiptsRoot: hash32,
  provenanceRoot: hash32,
  validatorSetHash: hash32,
});

export type BlockHeader = Infer<typeof BlockHeaderCodec>;

export function encodeHeader(header: BlockHeader): Uint8Array {
  return encode(BlockHeaderCodec, header);
}

export function decodeHeader(input: Uint8Array): BlockHeader {
  return decode(BlockHeaderCodec, input, 'header', MAX_HEADER_BYTES);
}

/** keccak-256 of the header's RLP encoding: the block's identity. */
export function hashHeader(header: BlockHeader): Uint8Array {
  return keccak256(encodeHeader(header));
}
