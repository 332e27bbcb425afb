/**
 * The SDK's side of the WebSocket subscription protocol (../ws-messages.ts):
 * one socket per client, multiplexing every subscription by id, opened on the
 * first subscription and closed when the last one ends.
 *
 * When the socket drops for any reason other than `close()`, it reconnects with
 * exponential back-off (with jitter) and re-sends every live subscription, so a
 * subscriber keeps receiving without doing anything. Pushes made while the
 * socket was down are not replayed: a `heads` subscriber that must not miss a
 * block should compare heights and fetch the gap. A `tx` subscription re-sent
 * after a reconnect gets its push at once if the tx committed meanwhile.
 * Browser-safe: the WebSocket constructor is injected.
 */
import { MAX_SDK_WS_MESSAGE_CHARS } from '../limits.ts';
import type { ClientMessage, ServerMessage, SubscribeMessage } from '../ws-messages.ts';
import { isErrorBody, MeridianApiError, MeridianClientError } from './errors.ts';

/** The part of the WebSocket API the SDK uses: the browser's `WebSocket` and `ws`'s both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type SocketState = 'connecting' | 'open' | 'closed';

export interface ReconnectOptions {
  /** First retry delay; doubles each failed attempt up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 250;
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 10_000;
const OPEN = 1;

/** A subscription request without its `op` and `id` (the socket assigns the id). */
export type SubscriptionRequest = SubscribeMessage extends infer M
  ? M extends SubscribeMessage
    ? Omit<M, 'op' | 'id'>
    : never
  : never;

export interface SubscriptionHandlers {
  readonly onData: (data: unknown) => void;
  /** Told each time the server confirms the subscription: first, and again after every reconnect. */
  readonly onSubscribed?: () => void;
  /**
   * Told when the server refuses or ends the subscription with an error (it is
   * then over), and when the socket drops (it is then resubscribed on reconnect).
   */
  readonly onError?: (error: MeridianApiError | MeridianClientError) => void;
}

interface Entry extends SubscriptionHandlers {
  readonly request: SubscriptionRequest;
}

export class SubscriptionSocket {
  readonly #url: string;
  readonly #WebSocket: WebSocketConstructor;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onStateChange: ((state: SocketState) => void) | undefined;
  readonly #entries = new Map<string, Entry>();
  #socket: WebSocketLike | undefined;
  #nextId = 1;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    url: string,
    WebSocket: WebSocketConstructor,
    options: ReconnectOptions & { onStateChange?: (state: SocketState) => void } = {},
  ) {
    this.#url = url;
    this.#WebSocket = WebSocket;
    this.#initialDelayMs = options.initialDelayMs ?? DEFAULT_RECONNECT_INITIAL_DELAY_MS;
    this.#maxDelayMs = options.maxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS;
    this.#onStateChange = options.onStateChange;
  }

  /** Live subscriptions (including ones waiting for the socket). */
  get size(): number {
    return this.#entries.size;
  }

  /** Subscribes; returns the function that ends the subscription (idempotent). */
  subscribe(request: SubscriptionRequest, handlers: SubscriptionHandlers): () => void {
    const id = `s${this.#nextId++}`;
    this.#entries.set(id, { request, ...handlers });
    if (this.#socket?.readyState === OPEN) this.#send({ op: 'subscribe', id, ...request } as ClientMessage);
    else this.#ensureSocket();
    return () => this.#unsubscribe(id);
  }

  /** Ends every subscription and closes the socket; no reconnect follows. */
  close(): void {
    this.#entries.clear();
    this.#shutdown();
  }

  #unsubscribe(id: string): void {
    if (!this.#entries.delete(id)) return;
    if (this.#socket?.readyState === OPEN) this.#send({ op: 'unsubscribe', id });
    if (this.#entries.size === 0) this.#shutdown();
  }

  #shutdown(): void {
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      socket.close(1000, 'no subscriptions left');
      this.#onStateChange?.('closed');
    }
  }

  #send(message: ClientMessage): void {
    this.#socket?.send(JSON.stringify(message));
  }

  #ensureSocket(): void {
    if (this.#socket !== undefined || this.#reconnectTimer !== undefined) return;
    this.#connect();
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    if (this.#entries.size === 0) return;
    this.#onStateChange?.('connecting');
    const socket = new this.#WebSocket(this.#url);
    this.#socket = socket;
    // Handlers check `this.#socket === socket`: events of a socket this client has
    // already let go of (closed, replaced) must not touch the current one.
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#onStateChange?.('open');
      for (const [id, entry] of this.#entries)
        this.#send({ op: 'subscribe', id, ...entry.request } as ClientMessage);
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (this.#socket === socket) this.#onMessage(event.data);
    };
    socket.onclose = (event: { code: number; reason: string }) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#onStateChange?.('closed');
      if (this.#entries.size === 0) return;
      const error = new MeridianClientError(
        'SUBSCRIPTION_DISCONNECTED',
        `subscription socket closed (${event.code})`,
        {
          hint: 'the SDK reconnects and resubscribes by itself; pushes in between are not replayed',
          details: { closeCode: event.code, reason: event.reason },
        },
      );
      for (const entry of [...this.#entries.values()]) entry.onError?.(error);
      this.#scheduleReconnect();
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting is handled there.
    };
  }

  #scheduleReconnect(): void {
    if (this.#entries.size === 0 || this.#reconnectTimer !== undefined) return;
    const ceiling = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** this.#attempt);
    this.#attempt += 1;
    const delayMs = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.#reconnectTimer = setTimeout(() => this.#connect(), delayMs);
  }

  #onMessage(raw: unknown): void {
    if (typeof raw !== 'string' || raw.length > MAX_SDK_WS_MESSAGE_CHARS) return;
    let message: ServerMessage;
    try {
      message = JSON.parse(raw) as ServerMessage;
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null || message.id === null) return;
    const entry = this.#entries.get(message.id);
    if (entry === undefined) return;
    switch (message.type) {
      case 'subscribed':
        this.#attempt = 0;
        entry.onSubscribed?.();
        break;
      case 'data':
        entry.onData(message.data);
        break;
      case 'unsubscribed':
        this.#entries.delete(message.id);
        if (this.#entries.size === 0) this.#shutdown();
        break;
      case 'error':
        this.#entries.delete(message.id);
        if (isErrorBody(message.error)) entry.onError?.(new MeridianApiError(undefined, message.error));
        if (this.#entries.size === 0) this.#shutdown();
        break;
    }
  }
}
