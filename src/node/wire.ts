/**
 * What validators send each other over the transport, one envelope per frame:
 * consensus messages, gossiped transactions, block-range requests and replies
 * for catch-up (with the receipts when a state sync asks for them), and the
 * state sync's offer and trie-node exchanges. Decoding is bounded by the
 * transport's frame limit and each list by its own limit.
 */

import { MAX_TX_BYTES } from '../chain/transaction.ts';
import {
  bool,
  bytes,
  decode,
  encode,
  hash32,
  type Infer,
  list,
  optional,
  struct,
  uint,
  union,
} from '../codec/schema.ts';
import {
  BlockCodec,
  CommitCertificateCodec,
  MAX_BATCH_TXS,
  MAX_CONSENSUS_MESSAGE_BYTES,
} from '../consensus/pbft/messages.ts';

/** Most transactions in one gossip frame. */
export const MAX_GOSSIP_TXS = 4_096;
/** Most blocks asked for or returned in one sync exchange. */
export const MAX_SYNC_BLOCKS = 64;
/** A sync reply stops adding blocks once it passes this many bytes. */
export const MAX_SYNC_REPLY_BYTES = 8 * 1024 * 1024;
/** Most trie nodes asked for or returned in one state-sync exchange. */
export const MAX_TRIE_NODES_PER_REQUEST = 512;
/** A trie-node reply stops adding nodes once it passes this many bytes (the rest come back empty). */
export const MAX_TRIE_NODES_REPLY_BYTES = 4 * 1024 * 1024;

export const NodeMessageCodec = union({
  consensus: struct({ message: bytes({ maxLength: MAX_CONSENSUS_MESSAGE_BYTES }) }),
  txs: struct({ txs: list(bytes({ maxLength: MAX_TX_BYTES }), MAX_GOSSIP_TXS) }),
  /** `withReceipts`: a state sync, which stores blocks without executing them, needs their receipts. */
  syncRequest: struct({ requestId: uint, fromHeight: uint, toHeight: uint, withReceipts: bool }),
  syncReply: struct({
    requestId: uint,
    blocks: list(
      struct({
        block: BlockCodec,
        certificate: CommitCertificateCodec,
        receipts: optional(list(bytes(), MAX_BATCH_TXS)),
      }),
      MAX_SYNC_BLOCKS,
    ),
  }),
  /** What state a peer can serve: the latest height whose world state it has written. */
  stateOfferRequest: struct({ requestId: uint }),
  stateOffer: struct({ requestId: uint, height: uint }),
  /** Trie nodes by keccak-256 hash; the reply lists them in the asked order, empty where not held. */
  trieNodesRequest: struct({ requestId: uint, hashes: list(hash32, MAX_TRIE_NODES_PER_REQUEST) }),
  trieNodes: struct({ requestId: uint, nodes: list(bytes(), MAX_TRIE_NODES_PER_REQUEST) }),
});

export type NodeMessage = Infer<typeof NodeMessageCodec>;

export function encodeNodeMessage(message: NodeMessage): Uint8Array {
  return encode(NodeMessageCodec, message);
}

export function decodeNodeMessage(input: Uint8Array): NodeMessage {
  return decode(NodeMessageCodec, input, 'node message', MAX_CONSENSUS_MESSAGE_BYTES + 1024);
}
