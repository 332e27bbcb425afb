/**
 * The API's route table: every HTTP route with its schemas, documentation and
 * handler. Handlers turn path/query strings into bytes and numbers (through
 * codec/bytes.ts), call the node facade, and return what it returns; the
 * server serialises it through the route's response schema.
 */
import { type Static, Type } from '@sinclair/typebox';
import { MAX_TX_BYTES } from '../chain/transaction.ts';
import { bytesFromCliString, fromHex, fromHexFixed } from '../codec/bytes.ts';
import { MeridianError, NotFoundError, ValidationError } from '../errors.ts';
import { DEFAULT_BLOCKS_PAGE, MAX_BLOCKS_PAGE, MAX_STATE_KEY_BYTES, MAX_URL_PARAM_CHARS } from './limits.ts';
import type { NodeApi } from './node-api.ts';
import type { RouteSpec } from './route-spec.ts';
import {
  Account,
  Block,
  BlockSummary,
  BlockTxHashes,
  ErrorBody,
  Hash,
  Health,
  NodeStatus,
  PeerInfo,
  PublicKey,
  StateProof,
  SubmitTxBatchRequest,
  SubmitTxBatchResponse,
  type SubmitTxBatchResponseJson,
  SubmitTxRequest,
  SubmitTxResponse,
  TxStatus,
  ValidatorInfo,
} from './schemas.ts';
import {
  EventNotification,
  SubscribeEvents,
  SubscribeHeads,
  SubscribeTx,
  SubscribeViewChanges,
  Unsubscribe,
  ViewChangeNotification,
} from './ws-messages.ts';

const TxHashParams = Type.Object({ hash: Hash });
const HeightOrHashParams = Type.Object({
  heightOrHash: Type.String({
    pattern: '^(0|[1-9][0-9]{0,15}|0x[0-9a-fA-F]{64})$',
    description: 'a decimal block height, or a 0x-hex block hash',
  }),
});
const HeightParams = Type.Object({
  height: Type.String({ pattern: '^(0|[1-9][0-9]{0,15})$', description: 'a decimal block height' }),
});
const BlocksQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_BLOCKS_PAGE,
      default: DEFAULT_BLOCKS_PAGE,
      description: 'at most 100',
    }),
  ),
  before: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'only blocks below this height (exclusive); default: from the head',
    }),
  ),
});
const StateKeyParams = Type.Object({
  key: Type.String({
    minLength: 1,
    maxLength: MAX_URL_PARAM_CHARS,
    description: 'the world-state key: 0x-hex bytes, or else URL-encoded UTF-8 text',
  }),
});
const StateQuery = Type.Object({
  prove: Type.Optional(
    Type.Boolean({ default: false, description: 'include the MPT proof, the header and its certificate' }),
  ),
  height: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'a committed height whose state this node holds: the head, recent heights, and the heights it wrote its state at (at least one in 32); otherwise 404 STATE_NOT_KEPT. Default: the head',
    }),
  ),
});
const AccountParams = Type.Object({ publicKey: PublicKey });
const ValidatorsQuery = Type.Object({
  height: Type.Optional(Type.Integer({ minimum: 1, description: 'a block height; default: the next block' })),
});
const QueryParams = Type.Object({
  module: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
  name: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9-]{0,63}$' }),
});
const QueryResult = Type.Object({ result: Type.Unknown() }, { $id: 'QueryResult' });

const BlocksList = Type.Array(BlockSummary);
const ValidatorList = Type.Array(ValidatorInfo);
const PeerList = Type.Array(PeerInfo);

/** A block height from a path segment already matched by HeightOrHashParams' pattern. */
function parseHeight(text: string): number {
  const height = Number(text);
  if (!Number.isSafeInteger(height)) {
    throw new ValidationError('BAD_HEIGHT', `height ${text} is too large`, {
      hint: 'heights are integers below 2^53; GET /v1/status shows the head height',
    });
  }
  return height;
}

function blockNotFound(what: string, node: NodeApi): NotFoundError {
  return new NotFoundError('BLOCK_NOT_FOUND', `no committed block ${what}`, {
    hint: `the head is at height ${node.status().height}; GET /v1/blocks/latest returns it`,
  });
}

/** A state key from a path segment: 0x-hex bytes, or else UTF-8 text (fastify has percent-decoded it). */
function parseStateKey(text: string): Uint8Array {
  const key = bytesFromCliString(text);
  if (key.length === 0) {
    throw new ValidationError('STATE_KEY_EMPTY', 'the state key is empty', {
      hint: 'give the key as 0x-hex bytes or as URL-encoded text',
    });
  }
  if (key.length > MAX_STATE_KEY_BYTES) {
    throw new ValidationError(
      'STATE_KEY_TOO_LARGE',
      `the state key is ${key.length} bytes; the limit is ${MAX_STATE_KEY_BYTES} (MAX_STATE_KEY_BYTES)`,
    );
  }
  return key;
}

export interface RouteContext {
  readonly node: NodeApi;
  /** The OpenAPI document (built from this same table, so it is passed in lazily). */
  readonly openApi: () => unknown;
  /** Handles an upgraded WebSocket connection. */
  readonly acceptWebSocket: NonNullable<RouteSpec['wsHandler']>;
}

export const WS_PATH = '/v1/ws';

export function apiRoutes({ node, openApi, acceptWebSocket }: RouteContext): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/v1/status',
      operationId: 'getStatus',
      summary: 'The node: chain, head, view, primary, mempool, peers',
      tags: ['node'],
      responses: { 200: { description: 'the node status', schema: NodeStatus } },
      handler: async () => node.status(),
    },
    {
      method: 'GET',
      url: '/v1/health',
      operationId: 'getHealth',
      summary: 'Health checks; 200 when all pass, 503 otherwise',
      description:
        'For load balancers and orchestrators: the status code alone says whether the node is healthy.',
      tags: ['node'],
      responses: {
        200: { description: 'every check passes', schema: Health },
        503: { description: 'some check fails (see checks)', schema: Health },
      },
      handler: async (_request, reply) => {
        const health = node.health();
        reply.code(health.ok ? 200 : 503);
        return health;
      },
    },
    {
      method: 'GET',
      url: '/v1/validators',
      operationId: 'getValidators',
      summary:
        'The current validator set (or the one that certified ?height), who is primary, and which are connected',
      description:
        'Light clients verify a commit certificate with the set that certified its height: after a governance ' +
        'change the set differs from one height to another.',
      tags: ['node'],
      querystring: ValidatorsQuery,
      responses: { 200: { description: 'validators in index order', schema: ValidatorList } },
      handler: async (request) => node.validators((request.query as Static<typeof ValidatorsQuery>).height),
    },
    {
      method: 'GET',
      url: '/v1/peers',
      operationId: 'getPeers',
      summary: 'Peer sessions of this node with their traffic counters',
      tags: ['node'],
      responses: { 200: { description: 'peers', schema: PeerList } },
      handler: async () => node.peers(),
    },
    {
      method: 'POST',
      url: '/v1/tx',
      operationId: 'submitTx',
      summary: 'Submit a signed transaction',
      description:
        'The body holds the RLP encoding of a signed transaction as 0x-hex. The node checks its size, ' +
        'chain, signature and nonce before admitting it to the mempool; 202 means admitted (or already ' +
        'known: status "duplicate"), not committed. Follow it with GET /v1/tx/{hash} or a WebSocket ' +
        '"tx" subscription. A full mempool answers 503 with Retry-After.',
      tags: ['transactions'],
      body: SubmitTxRequest,
      responses: { 202: { description: 'admitted to the mempool', schema: SubmitTxResponse } },
      handler: async (request, reply) => {
        const { tx } = request.body as Static<typeof SubmitTxRequest>;
        if (tx.length > 2 + 2 * MAX_TX_BYTES) {
          throw new ValidationError(
            'TX_TOO_LARGE',
            `the transaction is ${(tx.length - 2) / 2} bytes; the limit is ${MAX_TX_BYTES} (MAX_TX_BYTES)`,
          );
        }
        const result = await node.submitTx(fromHex(tx, 'tx'));
        reply.code(202);
        return result;
      },
    },
    {
      method: 'POST',
      url: '/v1/txs',
      operationId: 'submitTxBatch',
      summary: 'Submit up to 1,000 signed transactions in one request',
      description:
        'Each transaction is admitted exactly as by POST /v1/tx, in order; one refusal does not stop the ' +
        'others. The answer lists, per transaction, its hash and status, or the error that refused it. ' +
        'For clients that submit at high rates (the load generator), one request per transaction costs ' +
        'more than the transaction itself.',
      tags: ['transactions'],
      body: SubmitTxBatchRequest,
      responses: { 202: { description: 'one result per transaction', schema: SubmitTxBatchResponse } },
      handler: async (request, reply) => {
        const { txs } = request.body as Static<typeof SubmitTxBatchRequest>;
        // All offered at once, in order: admission takes them in that order, a slice per turn.
        const results: SubmitTxBatchResponseJson['results'] = await Promise.all(
          txs.map(async (tx) => {
            try {
              return await node.submitTx(fromHex(tx, 'tx'));
            } catch (error) {
              if (!(error instanceof MeridianError)) throw error;
              return { status: 'rejected' as const, error: error.toJSON() };
            }
          }),
        );
        reply.code(202);
        return { results };
      },
    },
    {
      method: 'GET',
      url: '/v1/tx/:hash',
      operationId: 'getTx',
      summary: 'Where a transaction is: pending, committed (with block and receipt) or unknown',
      description: 'An unknown hash is not an error: the answer is 200 with status "unknown".',
      tags: ['transactions'],
      params: TxHashParams,
      responses: { 200: { description: 'the transaction status', schema: TxStatus } },
      handler: async (request) => {
        const { hash } = request.params as Static<typeof TxHashParams>;
        return node.txStatus(fromHexFixed(hash, 32, 'tx hash'));
      },
    },
    {
      method: 'GET',
      url: '/v1/blocks',
      operationId: 'listBlocks',
      summary: 'Recent block summaries, newest first',
      tags: ['blocks'],
      querystring: BlocksQuery,
      responses: { 200: { description: 'block summaries', schema: BlocksList } },
      handler: async (request) => {
        const { limit, before } = request.query as Static<typeof BlocksQuery>;
        return node.recentBlocks(limit ?? DEFAULT_BLOCKS_PAGE, before);
      },
    },
    {
      method: 'GET',
      url: '/v1/blocks/latest',
      operationId: 'getLatestBlock',
      summary: 'The head block with its certificate, transactions and receipts',
      tags: ['blocks'],
      responses: { 200: { description: 'the head block', schema: Block } },
      handler: async () => {
        const height = node.status().height;
        const block = node.blockAt(height);
        if (block === undefined) throw blockNotFound(`at the head height ${height}`, node);
        return block;
      },
    },
    {
      method: 'GET',
      url: '/v1/blocks/:heightOrHash',
      operationId: 'getBlock',
      summary: 'A committed block by height or by hash',
      tags: ['blocks'],
      params: HeightOrHashParams,
      responses: {
        200: { description: 'the block', schema: Block },
        404: { description: 'no such block (BLOCK_NOT_FOUND)', schema: ErrorBody },
      },
      handler: async (request) => {
        const { heightOrHash } = request.params as Static<typeof HeightOrHashParams>;
        if (heightOrHash.startsWith('0x')) {
          const block = node.blockByHash(fromHexFixed(heightOrHash, 32, 'block hash'));
          if (block === undefined) throw blockNotFound(`with hash ${heightOrHash}`, node);
          return block;
        }
        const height = parseHeight(heightOrHash);
        const block = node.blockAt(height);
        if (block === undefined) throw blockNotFound(`at height ${height}`, node);
        return block;
      },
    },
    {
      method: 'GET',
      url: '/v1/blocks/:height/tx-hashes',
      operationId: 'getBlockTxHashes',
      summary: "A committed block's transaction hashes, in order",
      description:
        'A light alternative to the full block for clients that only track which transactions committed.',
      tags: ['blocks'],
      params: HeightParams,
      responses: {
        200: { description: 'the hashes', schema: BlockTxHashes },
        404: { description: 'no such block (BLOCK_NOT_FOUND)', schema: ErrorBody },
      },
      handler: async (request) => {
        const height = parseHeight((request.params as Static<typeof HeightParams>).height);
        const hashes = node.blockTxHashes(height);
        if (hashes === undefined) throw blockNotFound(`at height ${height}`, node);
        return hashes;
      },
    },
    {
      method: 'GET',
      url: '/v1/state/:key',
      operationId: 'getState',
      summary: 'A world-state value, optionally with its Merkle proof',
      description:
        'With prove=true the answer carries the MPT nodes from the state root to the key, the header ' +
        'whose stateRoot they hash to, and that header’s commit certificate: enough for a light client ' +
        'to check the value without trusting this node.',
      tags: ['state'],
      params: StateKeyParams,
      querystring: StateQuery,
      responses: { 200: { description: 'the value (null when absent) and its proof', schema: StateProof } },
      handler: async (request) => {
        const { key } = request.params as Static<typeof StateKeyParams>;
        const { prove, height } = request.query as Static<typeof StateQuery>;
        return node.stateAt(parseStateKey(key), {
          prove: prove ?? false,
          ...(height === undefined ? {} : { height }),
        });
      },
    },
    {
      method: 'POST',
      url: '/v1/query/:module/:name',
      operationId: 'query',
      summary: 'A read-only module query against the committed head',
      description:
        "The body is the query's JSON parameters (an object; {} when it takes none). Queries read one " +
        'committed state and never write; each module documents its own (e.g. membership/organizations, ' +
        'governance/proposals, contract/query). Unknown ones answer 404 QUERY_NOT_FOUND listing the known queries.',
      tags: ['state'],
      params: QueryParams,
      body: Type.Record(Type.String(), Type.Unknown()),
      responses: {
        200: { description: 'the query result', schema: QueryResult },
        404: { description: 'no such query (QUERY_NOT_FOUND)', schema: ErrorBody },
      },
      handler: async (request) => {
        const { module, name } = request.params as Static<typeof QueryParams>;
        return { result: await node.query(module, name, request.body ?? {}) };
      },
    },
    {
      method: 'GET',
      url: '/v1/accounts/:publicKey',
      operationId: 'getAccount',
      summary: 'An account: its next nonce',
      tags: ['state'],
      params: AccountParams,
      responses: { 200: { description: 'the account', schema: Account } },
      handler: async (request) => {
        const { publicKey } = request.params as Static<typeof AccountParams>;
        return node.account(fromHexFixed(publicKey, 32, 'public key'));
      },
    },
    {
      method: 'GET',
      url: WS_PATH,
      operationId: 'subscribe',
      summary: 'WebSocket subscriptions: heads, transactions, module events, view changes',
      description:
        'Upgrade to a WebSocket, then send JSON messages: {"op":"subscribe","id":"<your id>","topic":"heads"}, ' +
        '{"op":"subscribe","id","topic":"tx","hash"} (one push when the tx commits, at once if it already has, ' +
        'then "unsubscribed"; the push is the TxStatus without "transaction", which GET /v1/tx/{hash} returns), ' +
        '{"op":"subscribe","id","topic":"events","module"?,"name"?}, ' +
        '{"op":"subscribe","id","topic":"viewChanges"} and {"op":"unsubscribe","id"}. The server answers ' +
        '{"id","type":"subscribed"|"unsubscribed"}, pushes {"id","type":"data","data"} and reports ' +
        '{"id","type":"error","error":{code,message,hint}}. Close codes: 1009 message too big, 1013 too many ' +
        'connections, 4001 slow consumer (send buffer full), 1001 server shutting down. The schemas are in ' +
        'x-websocket. A plain GET (no upgrade) answers 426.',
      tags: ['subscriptions'],
      responses: {
        101: { description: 'switching to the WebSocket protocol' },
        426: { description: 'not a WebSocket upgrade request (UPGRADE_REQUIRED)', schema: ErrorBody },
      },
      handler: async (_request, reply) => {
        reply.code(426).header('upgrade', 'websocket');
        return {
          code: 'UPGRADE_REQUIRED',
          message: `${WS_PATH} speaks WebSocket only`,
          hint: 'open it with a WebSocket client (the SDK’s subscribe() does)',
        };
      },
      wsHandler: acceptWebSocket,
      extensions: {
        'x-websocket': {
          clientMessages: [SubscribeHeads, SubscribeTx, SubscribeEvents, SubscribeViewChanges, Unsubscribe],
          data: {
            heads: BlockSummary,
            tx: TxStatus,
            events: EventNotification,
            viewChanges: ViewChangeNotification,
          },
        },
      },
    },
    {
      method: 'GET',
      url: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics of the node and its API',
      tags: ['node'],
      responses: {
        200: {
          description: 'Prometheus text exposition format',
          contentType: 'text/plain',
          schema: Type.String(),
        },
      },
      handler: async (_request, reply) => {
        const text = await node.metrics.metrics();
        reply.type(node.metrics.contentType);
        return text;
      },
    },
    {
      method: 'GET',
      url: '/openapi.json',
      operationId: 'getOpenApi',
      summary: 'This API described as OpenAPI 3.1',
      tags: ['meta'],
      responses: {
        200: {
          description: 'the OpenAPI document',
          schema: Type.Object({ openapi: Type.Literal('3.1.0') }, { additionalProperties: true }),
          freeForm: true,
        },
      },
      handler: async () => openApi(),
    },
  ];
}
