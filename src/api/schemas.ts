/**
 * The public HTTP/JSON API's data shapes, as TypeBox schemas. One source of
 * truth: the server validates requests and serialises responses with them, the
 * OpenAPI document at `/openapi.json` is generated from them, and the SDK's
 * TypeScript types are inferred from them. Bytes are 0x-prefixed lowercase hex.
 * Browser-safe: no `node:` imports.
 */
import { type Static, Type } from '@sinclair/typebox';

export const Hex = Type.String({
  pattern: '^0x([0-9a-fA-F]{2})*$',
  description: '0x-prefixed hex bytes',
  maxLength: 2 * 1024 * 1024,
});
export const Hash = Type.String({ pattern: '^0x[0-9a-fA-F]{64}$', description: '32-byte hash, 0x-hex' });
export const PublicKey = Type.String({
  pattern: '^0x[0-9a-fA-F]{64}$',
  description: 'Ed25519 public key, 0x-hex',
});

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'stable error code, e.g. TX_BAD_SIGNATURE' }),
    message: Type.String(),
    hint: Type.Optional(Type.String({ description: 'what to do about it' })),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'Error' },
);

export const Header = Type.Object(
  {
    hash: Hash,
    chainId: Type.String(),
    height: Type.Integer({ minimum: 0 }),
    parentHash: Hash,
    timestampMs: Type.Integer({ minimum: 0 }),
    proposer: PublicKey,
    view: Type.Integer({ minimum: 0 }),
    transactionsRoot: Hash,
    stateRoot: Hash,
    receiptsRoot: Hash,
    provenanceRoot: Hash,
    validatorSetHash: Hash,
  },
  { $id: 'Header' },
);

export const CommitSignature = Type.Object({ validator: PublicKey, signature: Hex });

export const Certificate = Type.Object(
  {
    view: Type.Integer({ minimum: 0 }),
    height: Type.Integer({ minimum: 0 }),
    headerHash: Hash,
    signatures: Type.Array(CommitSignature),
  },
  {
    $id: 'Certificate',
    description: '2f+1 validator COMMIT signatures over (chain id, view, height, header hash)',
  },
);

export const Transaction = Type.Object(
  {
    hash: Hash,
    chainId: Type.String(),
    sender: PublicKey,
    nonce: Type.Integer({ minimum: 0 }),
    kind: Type.String(),
    payload: Hex,
    payloadJson: Type.Optional(Type.Unknown({ description: 'the payload parsed as JSON, when it is JSON' })),
    signature: Hex,
  },
  { $id: 'Transaction' },
);

export const ChainEvent = Type.Object({ module: Type.String(), name: Type.String(), data: Type.Unknown() });

export const Receipt = Type.Object(
  {
    txHash: Hash,
    status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
    errorCode: Type.Optional(Type.String()),
    errorMessage: Type.Optional(Type.String()),
    result: Type.Optional(Type.Unknown()),
    events: Type.Array(ChainEvent),
    gasUsed: Type.Integer({ minimum: 0 }),
  },
  { $id: 'Receipt' },
);

export const Block = Type.Object(
  {
    header: Header,
    certificate: Type.Union([Certificate, Type.Null()], { description: 'null only for the genesis block' }),
    transactions: Type.Array(Transaction),
    receipts: Type.Array(Receipt),
  },
  { $id: 'Block' },
);

export const BlockSummary = Type.Object(
  {
    height: Type.Integer(),
    hash: Hash,
    timestampMs: Type.Integer(),
    proposer: PublicKey,
    view: Type.Integer(),
    txCount: Type.Integer(),
  },
  { $id: 'BlockSummary' },
);

export const BlockTxHashes = Type.Object(
  {
    height: Type.Integer({ minimum: 0 }),
    hash: Hash,
    timestampMs: Type.Integer(),
    txHashes: Type.Array(Hash),
  },
  {
    $id: 'BlockTxHashes',
    description: "a committed block's transaction hashes in order (for indexers and load generators)",
  },
);

export const TxStatus = Type.Object(
  {
    hash: Hash,
    status: Type.Union([Type.Literal('pending'), Type.Literal('committed'), Type.Literal('unknown')]),
    height: Type.Optional(Type.Integer()),
    index: Type.Optional(Type.Integer()),
    blockHash: Type.Optional(Hash),
    transaction: Type.Optional(Transaction),
    receipt: Type.Optional(Receipt),
  },
  { $id: 'TxStatus' },
);

export const SubmitTxRequest = Type.Object(
  {
    tx: Hex,
  },
  { $id: 'SubmitTxRequest', description: 'an RLP-encoded signed transaction (the SDK builds and signs it)' },
);

export const SubmitTxResponse = Type.Object(
  {
    hash: Hash,
    status: Type.Union([Type.Literal('pending'), Type.Literal('duplicate')]),
  },
  { $id: 'SubmitTxResponse' },
);

/** Most transactions in one batch submission. */
export const MAX_TX_BATCH = 1_000;

export const SubmitTxBatchRequest = Type.Object(
  { txs: Type.Array(Hex, { minItems: 1, maxItems: MAX_TX_BATCH }) },
  {
    $id: 'SubmitTxBatchRequest',
    description: 'up to 1,000 RLP-encoded signed transactions, admitted one by one in order',
  },
);

export const SubmitTxBatchResponse = Type.Object(
  {
    results: Type.Array(
      Type.Union([SubmitTxResponse, Type.Object({ status: Type.Literal('rejected'), error: ErrorBody })]),
    ),
  },
  { $id: 'SubmitTxBatchResponse', description: 'one result per submitted transaction, in order' },
);

export const StateProof = Type.Object(
  {
    key: Hex,
    value: Type.Union([Hex, Type.Null()]),
    valueJson: Type.Optional(Type.Unknown()),
    height: Type.Integer(),
    proof: Type.Optional(
      Type.Array(Hex, { description: 'MPT nodes from the state root to the key (EIP-1186 style)' }),
    ),
    header: Type.Optional(Header),
    certificate: Type.Optional(Type.Union([Certificate, Type.Null()])),
  },
  { $id: 'StateProof' },
);

export const ValidatorInfo = Type.Object(
  {
    index: Type.Integer(),
    name: Type.String(),
    publicKey: PublicKey,
    isPrimary: Type.Boolean(),
    connected: Type.Boolean({
      description: 'whether this node has a live session with it (always true for itself)',
    }),
    lastCommitHeight: Type.Optional(Type.Integer()),
  },
  { $id: 'ValidatorInfo' },
);

export const PeerInfo = Type.Object(
  {
    publicKey: PublicKey,
    name: Type.Optional(Type.String()),
    address: Type.String(),
    connected: Type.Boolean(),
    queueDepth: Type.Integer(),
    bytesIn: Type.Integer(),
    bytesOut: Type.Integer(),
    lastSeenMs: Type.Optional(Type.Integer()),
  },
  { $id: 'PeerInfo' },
);

export const NodeStatus = Type.Object(
  {
    chainId: Type.String(),
    genesisHash: Hash,
    nodeName: Type.String(),
    nodeKey: PublicKey,
    height: Type.Integer(),
    headHash: Hash,
    headTimestampMs: Type.Integer(),
    view: Type.Integer(),
    primary: PublicKey,
    validators: Type.Integer(),
    peersConnected: Type.Integer(),
    mempool: Type.Object({ count: Type.Integer(), bytes: Type.Integer() }),
    syncing: Type.Boolean(),
    version: Type.String(),
  },
  { $id: 'NodeStatus' },
);

export const Health = Type.Object(
  {
    ok: Type.Boolean(),
    checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.String() })),
  },
  { $id: 'Health' },
);

export const Account = Type.Object(
  { publicKey: PublicKey, nonce: Type.Integer({ minimum: 0 }) },
  { $id: 'Account' },
);

export type HeaderJson = Static<typeof Header>;
export type CertificateJson = Static<typeof Certificate>;
export type TransactionJson = Static<typeof Transaction>;
export type ReceiptJson = Static<typeof Receipt>;
export type BlockJson = Static<typeof Block>;
export type BlockSummaryJson = Static<typeof BlockSummary>;
export type TxStatusJson = Static<typeof TxStatus>;
export type BlockTxHashesJson = Static<typeof BlockTxHashes>;
export type SubmitTxResponseJson = Static<typeof SubmitTxResponse>;
export type SubmitTxBatchResponseJson = Static<typeof SubmitTxBatchResponse>;
export type StateProofJson = Static<typeof StateProof>;
export type ValidatorInfoJson = Static<typeof ValidatorInfo>;
export type PeerInfoJson = Static<typeof PeerInfo>;
export type NodeStatusJson = Static<typeof NodeStatus>;
export type HealthJson = Static<typeof Health>;
export type AccountJson = Static<typeof Account>;
export type ErrorJson = Static<typeof ErrorBody>;
