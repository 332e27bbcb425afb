/**
 * What validators send each other over the transport, one envelope per frame:
 * consensus messages, gossiped transactions, and block-range requests and
 * replies for catch-up. Decoding is bounded by the transport's frame limit and
 * each list by its own limit.
 */

import { MAX_TX_BYTES } from '../chain/transaction.ts';
import { bytes, decode, encode, type Infer, list, struct, uint, union } from '../codec/schema.ts';
import {
  BlockCodec,
  CommitCertificateCodec,
  MAX_CONSENSUS_MESSAGE_BYTES,
} from '../consensus/pbft/messages.ts';

/** Most transactions in one gossip frame. */
export const MAX_GOSSIP_TXS = 4_096;
/** Most blocks asked for or returned in one sync exchange. */
export const MAX_SYNC_BLOCKS = 64;
/** A sync reply stops adding blocks once it passes this many bytes. */
export const MAX_SYNC_REPLY_BYTES = 8 * 1024 * 1024;

export const NodeMessageCodec = union({
  consensus: struct({ message: bytes({ maxLength: MAX_CONSENSUS_MESSAGE_BYTES }) }),
  txs: struct({ txs: list(bytes({ maxLength: MAX_TX_BYTES }), MAX_GOSSIP_TXS) }),
  syncRequest: struct({ requestId: uint, fromHeight: uint, toHeight: uint }),
  syncReply: struct({
    requestId: uint,
    blocks: list(struct({ block: BlockCodec, certificate: CommitCertificateCodec }), MAX_SYNC_BLOCKS),
  }),
});

export type NodeMessage = Infer<typeof NodeMessageCodec>;

export function encodeNodeMessage(message: NodeMessage): Uint8Array {
  return encode(NodeMessageCodec, message);
}

export function decodeNodeMessage(input: Uint8Array): NodeMessage {
  return decode(NodeMessageCodec, input, 'node message', MAX_CONSENSUS_MESSAGE_BYTES + 1024);
}
