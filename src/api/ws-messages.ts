/**
 * The WebSocket subscription protocol at `GET /v1/ws`, as TypeBox schemas and
 * the types inferred from them. Shared by the server (which validates every
 * client message against them) and the SDK. Browser-safe.
 *
 * Client → server (one JSON text message each):
 *   { op: 'subscribe', id, topic: 'heads' }                   every committed block's summary
 *   { op: 'subscribe', id, topic: 'tx', hash }                one push of the tx's status once committed
 *                                                              (at once if it already is), then the
 *                                                              server ends the subscription; the push
 *                                                              has the block, index and receipt but not
 *                                                              the transaction (GET /v1/tx/{hash} has it)
 *   { op: 'subscribe', id, topic: 'events', module?, name? }  module events, optionally filtered
 *   { op: 'subscribe', id, topic: 'viewChanges' }             every consensus view change
 *   { op: 'unsubscribe', id }                                  idempotent
 * Server → client:
 *   { id, type: 'subscribed' } | { id, type: 'unsubscribed' } | { id, type: 'data', data }
 *   | { id, type: 'error', error: { code, message, hint? } }   (id is null when the message had none)
 * `id` is chosen by the client, unique among its live subscriptions on that connection.
 */
import { type Static, Type } from '@sinclair/typebox';
import { MAX_WS_FILTER_CHARS, MAX_WS_SUBSCRIPTION_ID_CHARS } from './limits.ts';
import type { BlockSummaryJson, ErrorJson, TxStatusJson } from './schemas.ts';
import { Hash, PublicKey } from './schemas.ts';

/** Close codes the server uses (besides 1009 "message too big", which `ws` sends itself). */
export const WS_CLOSE_GOING_AWAY = 1001;
/** Standard "try again later": the server is at its connection limit. */
export const WS_CLOSE_TRY_AGAIN_LATER = 1013;
/** The client did not read its messages fast enough and its send buffer filled. */
export const WS_CLOSE_SLOW_CONSUMER = 4001;

export const SubscriptionId = Type.String({ minLength: 1, maxLength: MAX_WS_SUBSCRIPTION_ID_CHARS });
const Filter = Type.String({ minLength: 1, maxLength: MAX_WS_FILTER_CHARS });
const strict = { additionalProperties: false } as const;

export const SubscribeHeads = Type.Object(
  { op: Type.Literal('subscribe'), id: SubscriptionId, topic: Type.Literal('heads') },
  strict,
);
export const SubscribeTx = Type.Object(
  { op: Type.Literal('subscribe'), id: SubscriptionId, topic: Type.Literal('tx'), hash: Hash },
  strict,
);
export const SubscribeEvents = Type.Object(
  {
    op: Type.Literal('subscribe'),
    id: SubscriptionId,
    topic: Type.Literal('events'),
    module: Type.Optional(Filter),
    name: Type.Optional(Filter),
  },
  strict,
);
export const SubscribeViewChanges = Type.Object(
  { op: Type.Literal('subscribe'), id: SubscriptionId, topic: Type.Literal('viewChanges') },
  strict,
);
export const Unsubscribe = Type.Object({ op: Type.Literal('unsubscribe'), id: SubscriptionId }, strict);

/** Each topic's subscribe schema, by topic name. */
export const SUBSCRIBE_SCHEMAS = {
  heads: SubscribeHeads,
  tx: SubscribeTx,
  events: SubscribeEvents,
  viewChanges: SubscribeViewChanges,
} as const;

export type Topic = keyof typeof SUBSCRIBE_SCHEMAS;
export const TOPICS = Object.keys(SUBSCRIBE_SCHEMAS) as Topic[];

export type SubscribeMessage = Static<(typeof SUBSCRIBE_SCHEMAS)[Topic]>;
export type UnsubscribeMessage = Static<typeof Unsubscribe>;
export type ClientMessage = SubscribeMessage | UnsubscribeMessage;

/** What an `events` subscription pushes. */
export const EventNotification = Type.Object(
  {
    module: Type.String(),
    name: Type.String(),
    data: Type.Unknown(),
    txHash: Hash,
    height: Type.Integer({ minimum: 0 }),
  },
  { $id: 'EventNotification' },
);

/** What a `viewChanges` subscription pushes. */
export const ViewChangeNotification = Type.Object(
  { view: Type.Integer({ minimum: 0 }), primary: PublicKey, atMs: Type.Integer({ minimum: 0 }) },
  { $id: 'ViewChangeNotification' },
);

export type EventNotificationJson = Static<typeof EventNotification>;
export type ViewChangeNotificationJson = Static<typeof ViewChangeNotification>;

/** The `data` each topic pushes. A `tx` push is always a committed status, without `transaction`. */
export interface TopicData {
  heads: BlockSummaryJson;
  tx: TxStatusJson;
  events: EventNotificationJson;
  viewChanges: ViewChangeNotificationJson;
}

/** The extra fields a subscription to each topic takes (besides op, id, topic). */
export interface TopicParams {
  heads: Record<string, never>;
  tx: { hash: string };
  events: { module?: string; name?: string };
  viewChanges: Record<string, never>;
}

export type ServerMessage =
  | { id: string; type: 'subscribed' }
  | { id: string; type: 'unsubscribed' }
  | { id: string; type: 'data'; data: unknown }
  | { id: string | null; type: 'error'; error: ErrorJson };
