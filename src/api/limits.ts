/**
 * Every bound the HTTP/WebSocket API puts on what comes from outside, as named
 * constants (indexed in docs/limits.md). Browser-safe: the SDK reads some of
 * them too.
 */
import { MAX_TX_BYTES } from '../chain/transaction.ts';
import { MAX_TRIE_KEY_BYTES } from '../trie/limits.ts';

/** Largest request body: one hex-encoded transaction (two characters a byte) plus JSON framing. */
export const MAX_API_BODY_BYTES = 2 * MAX_TX_BYTES + 4 * 1024;

/** Most block summaries one `GET /v1/blocks` returns, and how many when `limit` is omitted. */
export const MAX_BLOCKS_PAGE = 100;
export const DEFAULT_BLOCKS_PAGE = 20;

/** Largest world-state key `GET /v1/state/:key` accepts (the trie's own key limit). */
export const MAX_STATE_KEY_BYTES = MAX_TRIE_KEY_BYTES;

/**
 * Longest URL path parameter, in characters before percent-decoding: a state key
 * of MAX_STATE_KEY_BYTES bytes written as percent-encoded UTF-8 (3 characters a byte).
 */
export const MAX_URL_PARAM_CHARS = 3 * MAX_STATE_KEY_BYTES + 2;

/** Largest WebSocket message a client may send (subscribe / unsubscribe requests are tiny); ws closes with 1009 past it. */
export const MAX_WS_MESSAGE_BYTES = 4 * 1024;

/** Longest client-chosen subscription id, and longest `module` / `name` filter of an `events` subscription. */
export const MAX_WS_SUBSCRIPTION_ID_CHARS = 64;
export const MAX_WS_FILTER_CHARS = 64;

/** Default bounds of the subscription server (each can be lowered or raised in `ApiServerOptions.ws`). */
export const DEFAULT_WS_MAX_CONNECTIONS = 1024;
export const DEFAULT_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION = 64;
/** Bytes queued for one connection before it is dropped as a slow consumer (an empty queue takes any one message). */
export const DEFAULT_WS_MAX_SEND_BUFFER_BYTES = 4 * 1024 * 1024;
/** A connection is pinged this often and terminated when the previous ping went unanswered. */
export const WS_PING_INTERVAL_MS = 30_000;
/** After the server sends a close frame, how long it waits for the peer's before it cuts the socket. */
export const WS_CLOSE_GRACE_MS = 5_000;

/** Default per-client-address request rate: a token bucket of `burst` refilled at `perSecond`. */
export const DEFAULT_RATE_LIMIT_PER_SECOND = 100;
export const DEFAULT_RATE_LIMIT_BURST = 200;
/** Client addresses the rate limiter remembers; the least recently seen are forgotten first. */
export const MAX_RATE_LIMIT_CLIENTS = 10_000;

/** The SDK refuses a response body larger than this (a block of many large transactions stays well under). */
export const MAX_SDK_RESPONSE_CHARS = 64 * 1024 * 1024;
/** The SDK ignores (and reports) a WebSocket message larger than this. */
export const MAX_SDK_WS_MESSAGE_CHARS = 16 * 1024 * 1024;
