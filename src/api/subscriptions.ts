/**
 * The server side of the WebSocket subscription protocol (ws-messages.ts):
 * one listener on the node, fanned out to every connection's matching
 * subscriptions.
 *
 * Bounds (each a constructor limit): connections in total (more are closed
 * with 1013 at once), subscriptions per connection (more are refused with
 * `TOO_MANY_SUBSCRIPTIONS`), client message size (ws closes with 1009), and a
 * per-connection send buffer: a client that does not read is closed with
 * WS_CLOSE_SLOW_CONSUMER rather than letting its queue grow. Memory per
 * connection is therefore bounded by the send buffer plus its subscriptions.
 *
 * Every push is serialised through its schema (unknown fields dropped), once
 * per event however many subscribers it has. A node listener that throws
 * would break the node, so dispatch never throws: failures are logged.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocket } from 'ws';
import { fromHexFixed } from '../codec/bytes.ts';
import { MeridianError, ValidationError } from '../errors.ts';
import { messageId, parseClientMessage } from './client-message.ts';
import { WS_CLOSE_GRACE_MS, WS_PING_INTERVAL_MS } from './limits.ts';
import type { ApiMetrics } from './metrics.ts';
import type { NodeApi, NodeEvent } from './node-api.ts';
import { BlockSummary, type ErrorJson, TxStatus, type TxStatusJson } from './schemas.ts';
import {
  EventNotification,
  type ServerMessage,
  type SubscribeMessage,
  type Topic,
  ViewChangeNotification,
  WS_CLOSE_GOING_AWAY,
  WS_CLOSE_SLOW_CONSUMER,
  WS_CLOSE_TRY_AGAIN_LATER,
} from './ws-messages.ts';

export interface SubscriptionLimits {
  readonly maxConnections: number;
  readonly maxSubscriptionsPerConnection: number;
  /** Bytes queued for one connection before it is dropped (an empty queue always takes one message). */
  readonly maxSendBufferBytes: number;
}

type Subscription =
  | { readonly topic: 'heads' }
  | { readonly topic: 'tx'; readonly hash: string }
  | { readonly topic: 'events'; readonly module?: string; readonly name?: string }
  | { readonly topic: 'viewChanges' };

class Connection {
  readonly subscriptions = new Map<string, Subscription>();
  /** Answered the last ping. */
  alive = true;
  /** Closing or closed: nothing more is sent. */
  closed = false;

  constructor(readonly socket: WebSocket) {}
}

/** `{"id":…,"type":"data","data":…}` around an already serialised payload. */
function dataMessage(id: string, dataJson: string): string {
  return `{"id":${JSON.stringify(id)},"type":"data","data":${dataJson}}`;
}

function serialise(schema: TSchema, value: unknown): string {
  return JSON.stringify(Value.Clean(schema, Value.Clone(value)));
}

export class SubscriptionHub {
  readonly #node: NodeApi;
  readonly #limits: SubscriptionLimits;
  readonly #log: FastifyBaseLogger;
  readonly #metrics: ApiMetrics;
  readonly #connections = new Set<Connection>();
  /** Lowercase 0x tx hash → the connections (and their subscription ids) waiting for it. */
  readonly #txWaiters = new Map<string, Map<Connection, Set<string>>>();
  /** Open `events` subscriptions over all connections (none: the node skips building event notifications). */
  #eventSubscriptions = 0;
  #unsubscribeNode: (() => void) | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(node: NodeApi, limits: SubscriptionLimits, log: FastifyBaseLogger, metrics: ApiMetrics) {
    this.#node = node;
    this.#limits = limits;
    this.#log = log;
    this.#metrics = metrics;
  }

  /** Starts listening to the node and pinging connections. */
  start(): void {
    if (this.#unsubscribeNode !== undefined) return;
    this.#unsubscribeNode = this.#node.subscribe((event) => this.#dispatch(event), {
      tx: (hash) => this.#txWaiters.has(hash),
      events: () => this.#eventSubscriptions > 0,
    });
    this.#pingTimer = setInterval(() => this.#pingAll(), WS_PING_INTERVAL_MS);
    this.#pingTimer.unref();
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Takes an upgraded socket; closes it with 1013 when the server is at its connection limit. */
  accept(socket: WebSocket): void {
    if (this.#connections.size >= this.#limits.maxConnections) {
      this.#metrics.wsDropped.inc({ reason: 'too_many_connections' });
      this.#closeSocket(socket, WS_CLOSE_TRY_AGAIN_LATER, 'too many connections; retry later');
      return;
    }
    const connection = new Connection(socket);
    this.#connections.add(connection);
    this.#metrics.wsConnections.inc();
    socket.on('message', (raw, isBinary) => this.#onMessage(connection, raw, isBinary));
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('close', () => this.#forget(connection));
  }

  /** Closes every connection with 1001 and stops listening; resolves once all sockets are closed. */
  async close(): Promise<void> {
    this.#unsubscribeNode?.();
    this.#unsubscribeNode = undefined;
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    const closing = [...this.#connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          if (connection.socket.readyState === WebSocket.CLOSED) resolve();
          else connection.socket.once('close', () => resolve());
        }),
    );
    for (const connection of this.#connections) {
      this.#drop(connection, WS_CLOSE_GOING_AWAY, 'server shutting down', 'shutdown');
    }
    await Promise.all(closing);
  }

  #closeSocket(socket: WebSocket, code: number, reason: string): void {
    socket.close(code, reason);
    setTimeout(() => socket.terminate(), WS_CLOSE_GRACE_MS).unref();
  }

  /** Stops sending to a connection and closes it; its subscriptions end now. */
  #drop(connection: Connection, code: number, reason: string, label: string): void {
    if (connection.closed) return;
    this.#metrics.wsDropped.inc({ reason: label });
    this.#clearSubscriptions(connection);
    connection.closed = true;
    this.#closeSocket(connection.socket, code, reason);
  }

  #forget(connection: Connection): void {
    this.#clearSubscriptions(connection);
    connection.closed = true;
    if (this.#connections.delete(connection)) this.#metrics.wsConnections.dec();
  }

  #clearSubscriptions(connection: Connection): void {
    for (const id of [...connection.subscriptions.keys()]) this.#remove(connection, id);
  }

  #remove(connection: Connection, id: string): boolean {
    const subscription = connection.subscriptions.get(id);
    if (subscription === undefined) return false;
    connection.subscriptions.delete(id);
    this.#metrics.wsSubscriptions.dec();
    if (subscription.topic === 'events') this.#eventSubscriptions--;
    if (subscription.topic === 'tx') {
      const waiting = this.#txWaiters.get(subscription.hash);
      const ids = waiting?.get(connection);
      ids?.delete(id);
      if (ids?.size === 0) waiting!.delete(connection);
      if (waiting?.size === 0) this.#txWaiters.delete(subscription.hash);
    }
    return true;
  }

  #pingAll(): void {
    for (const connection of this.#connections) {
      if (!connection.alive) {
        this.#metrics.wsDropped.inc({ reason: 'unresponsive' });
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  /** Sends one serialised message, or drops the connection if its send buffer is full. */
  #sendText(connection: Connection, text: string): void {
    if (connection.closed || connection.socket.readyState !== WebSocket.OPEN) return;
    const buffered = connection.socket.bufferedAmount;
    if (buffered > 0 && buffered + Buffer.byteLength(text) > this.#limits.maxSendBufferBytes) {
      this.#drop(
        connection,
        WS_CLOSE_SLOW_CONSUMER,
        `slow consumer: over ${this.#limits.maxSendBufferBytes} bytes unread`,
        'slow_consumer',
      );
      return;
    }
    connection.socket.send(text);
  }

  #send(connection: Connection, message: ServerMessage): void {
    this.#sendText(connection, JSON.stringify(message));
  }

  #sendError(connection: Connection, id: string | null, error: ErrorJson): void {
    this.#send(connection, { id, type: 'error', error });
  }

  #onMessage(connection: Connection, raw: WebSocket.RawData, isBinary: boolean): void {
    if (connection.closed) return;
    if (isBinary) {
      this.#sendError(connection, null, {
        code: 'BAD_MESSAGE',
        message: 'binary messages are not part of the protocol',
        hint: 'send JSON text messages',
      });
      return;
    }
    const text = Array.isArray(raw)
      ? Buffer.concat(raw).toString('utf8')
      : Buffer.isBuffer(raw)
        ? raw.toString('utf8')
        : Buffer.from(raw).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#sendError(connection, null, {
        code: 'BAD_JSON',
        message: 'the message is not valid JSON',
        hint: 'send one JSON object per message',
      });
      return;
    }
    try {
      const message = parseClientMessage(value);
      if (message.op === 'unsubscribe') {
        this.#remove(connection, message.id);
        this.#send(connection, { id: message.id, type: 'unsubscribed' });
      } else {
        this.#subscribe(connection, message);
      }
    } catch (error) {
      if (error instanceof MeridianError) {
        this.#sendError(connection, messageId(value), error.toJSON());
      } else {
        this.#log.error({ err: error }, 'websocket message handling failed');
        this.#sendError(connection, messageId(value), {
          code: 'INTERNAL',
          message: 'the node failed to handle this message',
          hint: 'this is a bug in the node; its log has the details',
        });
      }
    }
  }

  #subscribe(connection: Connection, message: SubscribeMessage): void {
    const { id } = message;
    if (connection.subscriptions.has(id)) {
      throw new ValidationError('SUBSCRIPTION_EXISTS', `subscription id "${id}" is already in use`, {
        hint: 'use a new id, or unsubscribe the old one first',
      });
    }
    if (connection.subscriptions.size >= this.#limits.maxSubscriptionsPerConnection) {
      throw new ValidationError(
        'TOO_MANY_SUBSCRIPTIONS',
        `a connection may hold at most ${this.#limits.maxSubscriptionsPerConnection} subscriptions`,
        { hint: 'unsubscribe from what you no longer need, or open another connection' },
      );
    }
    if (message.topic === 'tx') {
      // Checked before registering: node events are delivered on this same thread, so
      // nothing can commit between this check and the registration below.
      const hash = message.hash.toLowerCase();
      const status = this.#node.txStatus(fromHexFixed(hash, 32, 'tx hash'), { withTransaction: false });
      this.#send(connection, { id, type: 'subscribed' });
      if (status.status === 'committed') {
        this.#sendText(connection, dataMessage(id, serialise(TxStatus, status)));
        this.#send(connection, { id, type: 'unsubscribed' });
        return;
      }
      this.#add(connection, id, { topic: 'tx', hash });
      const waiting = this.#txWaiters.get(hash) ?? new Map<Connection, Set<string>>();
      this.#txWaiters.set(hash, waiting);
      waiting.set(connection, (waiting.get(connection) ?? new Set<string>()).add(id));
      return;
    }
    this.#add(
      connection,
      id,
      message.topic === 'events'
        ? {
            topic: 'events',
            ...(message.module === undefined ? {} : { module: message.module }),
            ...(message.name === undefined ? {} : { name: message.name }),
          }
        : { topic: message.topic },
    );
    this.#send(connection, { id, type: 'subscribed' });
  }

  #add(connection: Connection, id: string, subscription: Subscription): void {
    connection.subscriptions.set(id, subscription);
    this.#metrics.wsSubscriptions.inc();
    if (subscription.topic === 'events') this.#eventSubscriptions++;
  }

  #dispatch(event: NodeEvent): void {
    try {
      switch (event.type) {
        case 'head':
          this.#broadcast('heads', BlockSummary, event.block, () => true);
          break;
        case 'tx': {
          const hash = event.hash.toLowerCase();
          if (this.#txWaiters.has(hash)) this.#deliverTx(hash, this.#committedStatus(hash, event));
          break;
        }
        case 'event': {
          const { module, name, data, txHash, height } = event;
          this.#broadcast(
            'events',
            EventNotification,
            { module, name, data, txHash, height },
            (s) =>
              s.topic === 'events' &&
              (s.module === undefined || s.module === module) &&
              (s.name === undefined || s.name === name),
          );
          break;
        }
        case 'viewChange': {
          const { view, primary, atMs } = event;
          this.#broadcast('viewChanges', ViewChangeNotification, { view, primary, atMs }, () => true);
          break;
        }
      }
    } catch (error) {
      this.#log.error({ err: error, event: event.type }, 'pushing a node event to subscribers failed');
    }
  }

  /** The status (without the transaction body) from the node when it already has it, else what the event says. */
  #committedStatus(hash: string, event: Extract<NodeEvent, { type: 'tx' }>): TxStatusJson {
    const status = this.#node.txStatus(fromHexFixed(hash, 32, 'tx hash'), { withTransaction: false });
    if (status.status === 'committed') return status;
    return { hash, status: 'committed', height: event.height, receipt: event.receipt };
  }

  /** Pushes a committed status to everyone waiting for the tx, then ends those subscriptions. */
  #deliverTx(hash: string, status: TxStatusJson): void {
    const waiting = this.#txWaiters.get(hash);
    if (waiting === undefined) return;
    const json = serialise(TxStatus, status);
    for (const [connection, ids] of [...waiting]) {
      for (const id of [...ids]) {
        this.#remove(connection, id);
        this.#sendText(connection, dataMessage(id, json));
        this.#send(connection, { id, type: 'unsubscribed' });
      }
    }
  }

  #broadcast(topic: Topic, schema: TSchema, data: unknown, matches: (s: Subscription) => boolean): void {
    let json: string | undefined;
    for (const connection of this.#connections) {
      for (const [id, subscription] of connection.subscriptions) {
        if (subscription.topic !== topic || !matches(subscription)) continue;
        json ??= serialise(schema, data);
        this.#sendText(connection, dataMessage(id, json));
      }
    }
  }
}
