/**
 * The typed TypeScript SDK of a Meridian node's API (browser-safe: no `node:`
 * imports anywhere below it). Start at `MeridianClient`.
 *
 *   const client = new MeridianClient('http://127.0.0.1:8545', { WebSocket }); // ws's, in Node
 *   const { hash } = await client.sendTx({ kind: 'kv.put', payload: { key, value }, signer });
 *   const committed = await client.waitForTx(hash);
 */

export type * from './schemas.ts';
export type * from './schemas-provenance.ts';
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_WAIT_FOR_TX_TIMEOUT_MS,
  MeridianClient,
  type MeridianClientOptions,
  type SendTxRequest,
  type SubscribeOptions,
  type TxPayload,
} from './sdk/client.ts';
export { MeridianApiError, MeridianClientError } from './sdk/errors.ts';
export { DEFAULT_REQUEST_TIMEOUT_MS, type FetchFunction } from './sdk/http.ts';
export { type AnchorResult, anchorBatches, ProvenanceClient, type PublishResult } from './sdk/provenance.ts';
export type {
  ReconnectOptions,
  SocketState,
  WebSocketConstructor,
  WebSocketLike,
} from './sdk/subscriptions.ts';
export type {
  EventNotificationJson,
  Topic,
  TopicData,
  TopicParams,
  ViewChangeNotificationJson,
} from './ws-messages.ts';
