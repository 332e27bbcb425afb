/**
 * PBFT wire messages: typed RLP codecs, signing bytes, size-limited decoding.
 *
 * Every message is `{body, signer, signature}`: `signer` indexes the validator
 * set, `signature` is Ed25519 over the body's signing bytes. Signing bytes are
 * RLP `[domain, chainId, ...]` with one domain tag per message kind, so a
 * signature for one kind or one chain can never be replayed as another.
 *
 * Votes are signed over small, self-contained tuples so that certificates can
 * carry bare signatures:
 * - prepare vote  `[meridian/pbft/prepare/v1, chainId, view, height, headerHash]`
 *   (a PRE-PREPARE's signature IS the primary's prepare vote: prepared = 2f+1
 *   distinct prepare votes for one (view, height, headerHash));
 * - commit vote   `[meridian/pbft/commit/v1, chainId, view, height, headerHash]`
 *   (what a commit certificate holds);
 * - checkpoint    `[meridian/pbft/checkpoint/v1, chainId, height, headerHash, stateRoot]`.
 * Other kinds sign `[domain, chainId, rlp(body)]`.
 *
 * Wire format: the order of fields and of union tags is consensus-critical.
 */

import { type BlockHeader, BlockHeaderCodec, hashHeader, MAX_CHAIN_ID_BYTES } from '../../chain/header.ts';
import { MAX_TX_BYTES } from '../../chain/transaction.ts';
import { MAX_VALIDATORS } from '../../chain/validator-set.ts';
import { utf8 } from '../../codec/bytes.ts';
import { encodeRlpItem, type RlpItem } from '../../codec/rlp.ts';
import {
  bool,
  bytes,
  type Codec,
  decode,
  encode,
  hash32,
  type Infer,
  list,
  struct,
  text,
  uint,
  union,
} from '../../codec/schema.ts';
import { SIGNATURE_BYTES } from '../../crypto/ed25519.ts';

/** Largest encoded consensus message accepted from a peer (a PRE-PREPARE carries a whole batch). */
export const MAX_CONSENSUS_MESSAGE_BYTES = 72 * 1024 * 1024;
/** Most transactions in one block (the genesis bound on `maxBatchCount`). */
export const MAX_BATCH_TXS = 100_000;
/** Most bytes of transactions in one block (the genesis bound on `maxBatchBytes`). */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** Largest watermark window (heights in flight); bounds prepared certificates per VIEW-CHANGE. */
export const MAX_WATERMARK_WINDOW = 1024;

const signature = bytes({ length: SIGNATURE_BYTES });

export const VoteCodec = struct({ validator: uint, signature });
const votes = list(VoteCodec, MAX_VALIDATORS);

export const BlockCodec: Codec<{ header: BlockHeader; txs: Uint8Array[] }> = struct({
  header: BlockHeaderCodec,
  txs: list(bytes({ maxLength: MAX_TX_BYTES }), MAX_BATCH_TXS),
});

export const CommitCertificateCodec = struct({ view: uint, height: uint, headerHash: hash32, votes });
export const PreparedCertificateCodec = struct({ view: uint, header: BlockHeaderCodec, votes });
export const CheckpointProofCodec = struct({ height: uint, headerHash: hash32, stateRoot: hash32, votes });

const PrePrepareBody = struct({ view: uint, height: uint, block: BlockCodec });
const VoteBody = struct({ view: uint, height: uint, headerHash: hash32 });
const CheckpointBody = struct({ height: uint, headerHash: hash32, stateRoot: hash32 });
const ViewChangeBody = struct({
  newView: uint,
  checkpoint: CheckpointProofCodec,
  prepared: list(PreparedCertificateCodec, MAX_WATERMARK_WINDOW),
});
export const SignedViewChangeCodec = struct({ body: ViewChangeBody, signer: uint, signature });
const NewViewBody = struct({
  view: uint,
  viewChanges: list(SignedViewChangeCodec, MAX_VALIDATORS),
  /** The new primary's prepare vote for each re-proposed height, in height order. */
  votes: list(struct({ height: uint, signature }), MAX_WATERMARK_WINDOW),
});
const HeartbeatBody = struct({ view: uint, height: uint });
const StatusBody = struct({ view: uint, changingView: bool, committedHeight: uint, stableHeight: uint });
const FetchBlockBody = struct({ height: uint, headerHash: hash32 });
const BlockReplyBody = struct({ block: BlockCodec });

const bodyCodecs = {
  prePrepare: PrePrepareBody,
  prepare: VoteBody,
  commit: VoteBody,
  checkpoint: CheckpointBody,
  viewChange: ViewChangeBody,
  newView: NewViewBody,
  heartbeat: HeartbeatBody,
  status: StatusBody,
  fetchBlock: FetchBlockBody,
  block: BlockReplyBody,
} as const;

const BodyCodec = union(bodyCodecs);
export const ConsensusMessageCodec = struct({ body: BodyCodec, signer: uint, signature });

export type MessageBody = Infer<typeof BodyCodec>;
export type MessageType = MessageBody['type'];
export type ConsensusMessage = Infer<typeof ConsensusMessageCodec>;
export type BodyOf<T extends MessageType> = Extract<MessageBody, { type: T }>;
export type SignedViewChange = Infer<typeof SignedViewChangeCodec>;
export type ViewChangeBodyT = Infer<typeof ViewChangeBody>;

export const DOMAINS: Record<MessageType, string> = {
  prePrepare: 'meridian/pbft/prepare/v1',
  prepare: 'meridian/pbft/prepare/v1',
  commit: 'meridian/pbft/commit/v1',
  checkpoint: 'meridian/pbft/checkpoint/v1',
  viewChange: 'meridian/pbft/view-change/v1',
  newView: 'meridian/pbft/new-view/v1',
  heartbeat: 'meridian/pbft/heartbeat/v1',
  status: 'meridian/pbft/status/v1',
  fetchBlock: 'meridian/pbft/fetch-block/v1',
  block: 'meridian/pbft/block/v1',
};

const domainBytes = new Map<string, Uint8Array>();
function domain(tag: string): Uint8Array {
  let out = domainBytes.get(tag);
  if (!out) {
    out = utf8(tag);
    domainBytes.set(tag, out);
  }
  return out;
}

function uintItem(value: number): RlpItem {
  return uint.encode(value);
}

/** Bytes a prepare vote (and a PRE-PREPARE) signs. */
export function prepareVoteBytes(chainId: string, view: number, height: number, headerHash: Uint8Array) {
  return encodeRlpItem([
    domain(DOMAINS.prepare),
    utf8(chainId),
    uintItem(view),
    uintItem(height),
    headerHash,
  ]);
}

/** Bytes a COMMIT signs; a commit certificate is 2f+1 signatures over these. */
export function commitVoteBytes(chainId: string, view: number, height: number, headerHash: Uint8Array) {
  return encodeRlpItem([domain(DOMAINS.commit), utf8(chainId), uintItem(view), uintItem(height), headerHash]);
}

/** Bytes a CHECKPOINT signs. */
export function checkpointVoteBytes(
  chainId: string,
  height: number,
  headerHash: Uint8Array,
  stateRoot: Uint8Array,
) {
  return encodeRlpItem([domain(DOMAINS.checkpoint), utf8(chainId), uintItem(height), headerHash, stateRoot]);
}

const headerHashes = new WeakMap<BlockHeader, Uint8Array>();
/** `hashHeader`, memoised per header object (headers are immutable once built or decoded). */
export function headerHashOf(header: BlockHeader): Uint8Array {
  let h = headerHashes.get(header);
  if (!h) {
    h = hashHeader(header);
    headerHashes.set(header, h);
  }
  return h;
}

/** The bytes `message.signature` must verify over, under the key of `message.signer`. */
export function signingBytes(chainId: string, body: MessageBody): Uint8Array {
  switch (body.type) {
    case 'prePrepare':
      return prepareVoteBytes(chainId, body.view, body.height, headerHashOf(body.block.header));
    case 'prepare':
      return prepareVoteBytes(chainId, body.view, body.height, body.headerHash);
    case 'commit':
      return commitVoteBytes(chainId, body.view, body.height, body.headerHash);
    case 'checkpoint':
      return checkpointVoteBytes(chainId, body.height, body.headerHash, body.stateRoot);
    default: {
      const { type, ...rest } = body;
      const codec = bodyCodecs[type] as Codec<Record<string, unknown>>;
      return encodeRlpItem([domain(DOMAINS[type]), utf8(chainId), codec.encode(rest)]);
    }
  }
}

/** Signing bytes of a VIEW-CHANGE body (also used when one is embedded in a NEW-VIEW). */
export function viewChangeSigningBytes(chainId: string, body: ViewChangeBodyT): Uint8Array {
  return signingBytes(chainId, { type: 'viewChange', ...body });
}

export function encodeMessage(message: ConsensusMessage): Uint8Array {
  return encode(ConsensusMessageCodec, message);
}

/**
 * Decodes a peer's message under `MAX_CONSENSUS_MESSAGE_BYTES`; throws
 * `DecodeError` on anything malformed. Does not check the signature.
 */
export function decodeMessage(input: Uint8Array): ConsensusMessage {
  return decode(ConsensusMessageCodec, input, 'consensusMessage', MAX_CONSENSUS_MESSAGE_BYTES);
}

/** The chain id text codec, re-exported so callers validate ids like headers do. */
export const ChainIdCodec = text(MAX_CHAIN_ID_BYTES);

/** Total encoded transaction bytes of a batch. */
export function batchBytes(txs: readonly Uint8Array[]): number {
  let total = 0;
  for (const tx of txs) total += tx.length;
  return total;
}
