/**
 * The `Transport` behaviour shared by every implementation: the peer table,
 * admission, who dials whom, reconnects, duplicate-session resolution, send
 * queues and keepalive. An implementation only supplies a `Connector` (how to
 * obtain authenticated byte streams); `TlsTransport` and `MemoryTransport` are
 * thin subclasses, so the in-memory transport used in unit tests has exactly
 * the production semantics.
 */
import { compareBytes, fromHexFixed, toHex } from '../codec/bytes.ts';
import { PUBLIC_KEY_BYTES, type SigningKeyPair } from '../crypto/ed25519.ts';
import { assert, type MeridianError, ValidationError } from '../errors.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelayMs } from './backoff.ts';
import type { Connector, SecureChannel } from './channel.ts';
import { type CompressionPolicy, compressPayload, DEFAULT_COMPRESSION } from './compression.ts';
import type { LocalIdentity } from './handshake.ts';
import { Session, type SessionEnd } from './session.ts';
import {
  type ListenAddress,
  type MessageHandler,
  type NetLogger,
  type PeerAddress,
  type PeerDownEvent,
  type PeerId,
  type PeerInfo,
  type PeerUpEvent,
  type RefusalEvent,
  type SessionDirection,
  silentLogger,
  type Transport,
} from './transport.ts';
import { encodeMessageFrame, MAX_LISTEN_HOST_BYTES, MAX_MESSAGE_BYTES, messageFrameBytes } from './wire.ts';

/** Most peers `setPeers` accepts (a network has at most a few hundred nodes). */
export const MAX_PEERS = 1024;
/**
 * Sessions (either direction) allowed to be mid-handshake at once; a new inbound
 * connection over the limit is dropped and logged (`NET_TOO_MANY_HANDSHAKES`).
 */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 64;
/**
 * Default per-peer send queue limits. An empty queue takes any one frame (up to
 * MAX_FRAME_BYTES), so the worst case per peer is 8 MiB + 16 MiB. Deeper queues
 * buy no throughput: measured with bench:net, a 32 MiB queue was ~40% slower
 * than a 1 MiB one for 64 KiB frames (frames promoted to the old generation).
 */
export const DEFAULT_MAX_QUEUE_FRAMES = 8192;
export const DEFAULT_MAX_QUEUE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_PING_INTERVAL_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export interface TransportOptions {
  readonly chainId: string;
  /** This node's key: its certificate key and the key that signs its hello. */
  readonly keyPair: SigningKeyPair;
  /** Admitted node keys (validators and admitted nodes). Replace later with `setAllowedKeys`. */
  readonly allowedKeys: readonly Uint8Array[];
  /** Address advertised in the hello; defaults to the bound address. */
  readonly advertisedAddress?: ListenAddress;
  readonly logger?: NetLogger;
  readonly maxQueueFrames?: number;
  readonly maxQueueBytes?: number;
  readonly reconnect?: Partial<BackoffPolicy>;
  readonly handshakeTimeoutMs?: number;
  readonly pingIntervalMs?: number;
  readonly idleTimeoutMs?: number;
  readonly maxPendingHandshakes?: number;
  /**
   * Which outgoing payloads go compressed (`compression.ts`); `false` sends every one plain.
   * Default `DEFAULT_COMPRESSION`. Incoming compressed frames are accepted either way.
   */
  readonly compression?: CompressionPolicy | false;
}

interface PeerEntry {
  readonly publicKey: Uint8Array;
  readonly id: string;
  /** Where to dial it (from `setPeers`). */
  address: ListenAddress | undefined;
  advertisedAddress: ListenAddress | undefined;
  /** The open, announced session, if any. */
  session: Session | undefined;
  dialInFlight: boolean;
  redialTimer: NodeJS.Timeout | undefined;
  reconnectAttempts: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  droppedQueueFull: number;
  droppedNotConnected: number;
  lastSeenMs: number | undefined;
  lastErrorCode: string | undefined;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  assert(Number.isSafeInteger(result) && result > 0, `${name} must be a positive integer`);
  return result;
}

/** Calls every handler; a throwing handler is logged and does not stop the others. */
function emit<E>(handlers: Set<(event: E) => void>, event: E, logger: NetLogger, what: string): void {
  for (const handler of handlers) {
    try {
      handler(event);
    } catch (error) {
      logger.error({ err: error }, `${what} handler threw`);
    }
  }
}

export class SessionTransport implements Transport {
  readonly publicKey: Uint8Array;
  private readonly localId: string;
  private readonly logger: NetLogger;
  private readonly backoff: BackoffPolicy;
  private readonly maxQueueFrames: number;
  private readonly maxQueueBytes: number;
  private readonly handshakeTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly idleTimeoutMs: number;
  private readonly maxPendingHandshakes: number;

  private allowed = new Set<string>();
  private readonly entries = new Map<string, PeerEntry>();
  /** Every session not yet open (both directions). */
  private readonly handshaking = new Set<Session>();
  /** Every session whose stream may still be open, for `close()` to wait on. */
  private readonly live = new Set<Session>();

  private readonly messageHandlers = new Set<MessageHandler>();
  private readonly upHandlers = new Set<(event: PeerUpEvent) => void>();
  private readonly downHandlers = new Set<(event: PeerDownEvent) => void>();
  private readonly refusalHandlers = new Set<(event: RefusalEvent) => void>();

  private identity: LocalIdentity | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private phase: 'new' | 'starting' | 'running' | 'closed' = 'new';
  private closing: Promise<void> | undefined;

  constructor(
    private readonly connector: Connector,
    private readonly options: TransportOptions,
  ) {
    assert(options.keyPair.publicKey.length === PUBLIC_KEY_BYTES, 'node public key is 32 bytes');
    this.publicKey = options.keyPair.publicKey;
    this.localId = toHex(this.publicKey);
    this.logger = options.logger ?? silentLogger;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.reconnect };
    reconnectDelayMs(0, this.backoff); // validates the policy now rather than at the first redial
    this.maxQueueFrames = positiveInteger(options.maxQueueFrames, DEFAULT_MAX_QUEUE_FRAMES, 'maxQueueFrames');
    this.maxQueueBytes = positiveInteger(options.maxQueueBytes, DEFAULT_MAX_QUEUE_BYTES, 'maxQueueBytes');
    this.handshakeTimeoutMs = positiveInteger(
      options.handshakeTimeoutMs,
      DEFAULT_HANDSHAKE_TIMEOUT_MS,
      'handshakeTimeoutMs',
    );
    this.pingIntervalMs = positiveInteger(options.pingIntervalMs, DEFAULT_PING_INTERVAL_MS, 'pingIntervalMs');
    this.idleTimeoutMs = positiveInteger(options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 'idleTimeoutMs');
    this.maxPendingHandshakes = positiveInteger(
      options.maxPendingHandshakes,
      DEFAULT_MAX_PENDING_HANDSHAKES,
      'maxPendingHandshakes',
    );
    this.allowed = new Set(options.allowedKeys.map((key) => toHex(key)));
  }

  async start(): Promise<ListenAddress> {
    assert(this.phase === 'new', 'a transport starts once');
    this.phase = 'starting';
    let bound: ListenAddress;
    try {
      bound = await this.connector.listen({
        onChannel: (channel) => this.acceptInbound(channel),
        onRejected: (remoteAddress, error) => this.rejectedByConnector(remoteAddress, error),
      });
    } catch (error) {
      this.phase = 'closed';
      throw error;
    }
    const advertised = this.options.advertisedAddress ?? bound;
    if (Buffer.byteLength(advertised.host, 'utf8') > MAX_LISTEN_HOST_BYTES) {
      throw new ValidationError('NET_BAD_ADDRESS', `advertised host is longer than ${MAX_LISTEN_HOST_BYTES}`);
    }
    this.identity = {
      keyPair: this.options.keyPair,
      chainId: this.options.chainId,
      listenHost: advertised.host,
      listenPort: advertised.port,
    };
    if (this.phase !== 'starting') {
      // close() ran while we were binding.
      await this.connector.close();
      return bound;
    }
    this.phase = 'running';
    this.keepaliveTimer = setInterval(() => this.keepalive(), Math.min(this.pingIntervalMs, 1_000));
    this.keepaliveTimer.unref();
    this.logger.info({ node: this.localId, address: `${bound.host}:${bound.port}` }, 'transport listening');
    for (const entry of this.entries.values()) this.ensureDialing(entry);
    return bound;
  }

  setPeers(peers: readonly PeerAddress[]): void {
    if (peers.length > MAX_PEERS) {
      throw new ValidationError(
        'NET_TOO_MANY_PEERS',
        `${peers.length} peers given; the limit is ${MAX_PEERS}`,
        {
          hint: 'MAX_PEERS bounds the peer list',
        },
      );
    }
    const configured = new Map<string, PeerAddress>();
    for (const peer of peers) {
      if (peer.publicKey.length !== PUBLIC_KEY_BYTES) {
        throw new ValidationError('NET_BAD_PEER_KEY', `peer key must be ${PUBLIC_KEY_BYTES} bytes`);
      }
      if (!Number.isInteger(peer.port) || peer.port <= 0 || peer.port > 65_535 || peer.host.length === 0) {
        throw new ValidationError('NET_BAD_ADDRESS', `bad peer address ${peer.host}:${peer.port}`);
      }
      const id = toHex(peer.publicKey);
      if (id !== this.localId) configured.set(id, peer);
    }
    for (const entry of this.entries.values()) {
      if (!configured.has(entry.id)) {
        entry.address = undefined;
        this.cancelRedial(entry);
        this.pruneIfIdle(entry);
      }
    }
    for (const [id, peer] of configured) {
      const entry = this.entry(peer.publicKey, id);
      entry.address = { host: peer.host, port: peer.port };
      this.ensureDialing(entry);
    }
  }

  setAllowedKeys(keys: readonly Uint8Array[]): void {
    this.allowed = new Set(keys.map((key) => toHex(key)));
    for (const session of [...this.handshaking]) {
      if (!this.allowed.has(session.id)) {
        session.close('NET_PEER_NOT_ADMITTED', `node key ${session.id} is no longer admitted`);
      }
    }
    for (const entry of [...this.entries.values()]) {
      if (!this.allowed.has(entry.id)) {
        this.cancelRedial(entry);
        entry.session?.close('NET_PEER_NOT_ADMITTED', `node key ${entry.id} is no longer admitted`);
      } else {
        this.ensureDialing(entry);
      }
    }
  }

  send(to: PeerId, payload: Uint8Array): boolean {
    checkMessageSize(payload);
    const id = typeof to === 'string' ? toHex(fromHexFixed(to, PUBLIC_KEY_BYTES, 'peer key')) : toHex(to);
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    const session = entry.session;
    if (session === undefined) {
      entry.droppedNotConnected++;
      return false;
    }
    // Checked before encoding (at the plain size, which compression only lowers), so a sender
    // spinning on a full queue costs no copies.
    if (session.canAccept(messageFrameBytes(payload)) && session.enqueueMessage(this.encodeFrame(payload))) {
      return true;
    }
    entry.droppedQueueFull++;
    return false;
  }

  broadcast(payload: Uint8Array): number {
    checkMessageSize(payload);
    const frameBytes = messageFrameBytes(payload);
    let frame: Uint8Array | undefined;
    let accepted = 0;
    for (const entry of this.entries.values()) {
      const session = entry.session;
      if (session === undefined) continue;
      // One encoding shared by every peer (frames are never mutated once queued).
      if (!session.canAccept(frameBytes)) {
        entry.droppedQueueFull++;
        continue;
      }
      frame ??= this.encodeFrame(payload);
      if (session.enqueueMessage(frame)) accepted++;
      else entry.droppedQueueFull++;
    }
    return accepted;
  }

  /** The frame carrying `payload`: compressed when the policy says it is worth it. */
  private encodeFrame(payload: Uint8Array): Uint8Array {
    const policy = this.options.compression ?? DEFAULT_COMPRESSION;
    const compressed = policy === false ? undefined : compressPayload(payload, policy);
    return compressed === undefined
      ? encodeMessageFrame(payload)
      : encodeMessageFrame(compressed, 'deflated');
  }

  onMessage(handler: MessageHandler): () => void {
    return subscribe(this.messageHandlers, handler);
  }

  onPeerUp(handler: (event: PeerUpEvent) => void): () => void {
    return subscribe(this.upHandlers, handler);
  }

  onPeerDown(handler: (event: PeerDownEvent) => void): () => void {
    return subscribe(this.downHandlers, handler);
  }

  onRefusal(handler: (event: RefusalEvent) => void): () => void {
    return subscribe(this.refusalHandlers, handler);
  }

  peers(): PeerInfo[] {
    return [...this.entries.values()].map((entry) => {
      const session = entry.session;
      return {
        publicKey: entry.publicKey,
        id: entry.id,
        address: entry.address,
        advertisedAddress: entry.advertisedAddress,
        remoteAddress: session?.remoteAddress,
        connected: session !== undefined,
        direction: session?.direction,
        queuedFrames: session?.queuedFrames ?? 0,
        queuedBytes: session?.queuedBytes ?? 0,
        bytesIn: entry.bytesIn + (session?.bytesIn ?? 0),
        bytesOut: entry.bytesOut + (session?.bytesOut ?? 0),
        messagesIn: entry.messagesIn + (session?.messagesIn ?? 0),
        messagesOut: entry.messagesOut + (session?.messagesOut ?? 0),
        droppedQueueFull: entry.droppedQueueFull,
        droppedNotConnected: entry.droppedNotConnected,
        lastSeenMs: session?.lastReceivedMs ?? entry.lastSeenMs,
        rttMs: session?.rttMs,
        reconnectAttempts: entry.reconnectAttempts,
        lastErrorCode: entry.lastErrorCode,
      };
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const wasStarting = this.phase === 'starting';
    this.phase = 'closed';
    clearInterval(this.keepaliveTimer);
    for (const entry of this.entries.values()) this.cancelRedial(entry);
    for (const session of [...this.live]) {
      session.close('NET_SHUTDOWN', 'the node is shutting down', { flush: true });
    }
    const streams = [...this.live].map((session) => session.streamClosed);
    // A start() still binding closes the connector itself once it resumes.
    if (!wasStarting) await this.connector.close();
    await Promise.all(streams);
    this.logger.info({ node: this.localId }, 'transport closed');
  }

  private isAdmitted = (publicKey: Uint8Array): boolean => this.allowed.has(toHex(publicKey));

  private entry(publicKey: Uint8Array, id = toHex(publicKey)): PeerEntry {
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = {
        publicKey,
        id,
        address: undefined,
        advertisedAddress: undefined,
        session: undefined,
        dialInFlight: false,
        redialTimer: undefined,
        reconnectAttempts: 0,
        bytesIn: 0,
        bytesOut: 0,
        messagesIn: 0,
        messagesOut: 0,
        droppedQueueFull: 0,
        droppedNotConnected: 0,
        lastSeenMs: undefined,
        lastErrorCode: undefined,
      };
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** Forgets a peer that is neither configured nor connected nor being dialled (keeps the table bounded). */
  private pruneIfIdle(entry: PeerEntry): void {
    if (entry.address === undefined && entry.session === undefined && !entry.dialInFlight) {
      this.cancelRedial(entry);
      this.entries.delete(entry.id);
    }
  }

  /** The lower key dials: this node dials configured, admitted peers whose key is higher. */
  private shouldDial(entry: PeerEntry): boolean {
    return (
      this.phase === 'running' &&
      entry.address !== undefined &&
      this.allowed.has(entry.id) &&
      compareBytes(this.publicKey, entry.publicKey) < 0
    );
  }

  private ensureDialing(entry: PeerEntry): void {
    if (!this.shouldDial(entry) || entry.session !== undefined) return;
    if (entry.dialInFlight || entry.redialTimer !== undefined) return;
    this.dial(entry);
  }

  private dial(entry: PeerEntry): void {
    const address = entry.address;
    const identity = this.identity;
    assert(address !== undefined && identity !== undefined, 'dial needs an address and a started transport');
    entry.dialInFlight = true;
    this.connector.dial(address).then(
      (channel) => {
        entry.dialInFlight = false;
        if (!this.shouldDial(entry) || entry.session !== undefined) {
          channel.stream.destroy();
          this.pruneIfIdle(entry);
          return;
        }
        this.startSession(channel, 'outbound', entry.publicKey);
      },
      (error: unknown) => {
        entry.dialInFlight = false;
        const code = (error as MeridianError).code ?? 'NET_DIAL_FAILED';
        entry.lastErrorCode = code;
        // The first failure of a series is worth an info line; the retries are debug noise.
        this.logger[entry.reconnectAttempts === 0 ? 'info' : 'debug'](
          { peer: entry.id, address: `${address.host}:${address.port}`, code, err: error },
          'dial failed',
        );
        this.scheduleRedial(entry);
        this.pruneIfIdle(entry);
      },
    );
  }

  private scheduleRedial(entry: PeerEntry): void {
    if (!this.shouldDial(entry) || entry.session !== undefined) return;
    if (entry.dialInFlight || entry.redialTimer !== undefined) return;
    const delayMs = reconnectDelayMs(entry.reconnectAttempts, this.backoff);
    entry.reconnectAttempts++;
    entry.redialTimer = setTimeout(() => {
      entry.redialTimer = undefined;
      this.ensureDialing(entry);
    }, delayMs);
    entry.redialTimer.unref();
  }

  private cancelRedial(entry: PeerEntry): void {
    clearTimeout(entry.redialTimer);
    entry.redialTimer = undefined;
  }

  private acceptInbound(channel: SecureChannel): void {
    if (this.phase !== 'running') {
      channel.stream.destroy();
      return;
    }
    if (this.handshaking.size >= this.maxPendingHandshakes) {
      this.logger.warn(
        { address: channel.remoteAddress, code: 'NET_TOO_MANY_HANDSHAKES' },
        'inbound connection dropped: too many handshakes in progress',
      );
      channel.stream.destroy();
      return;
    }
    this.startSession(channel, 'inbound', undefined);
  }

  private rejectedByConnector(remoteAddress: string, error: MeridianError): void {
    this.logger.warn({ address: remoteAddress, code: error.code, reason: error.message }, 'peer refused');
    emit(
      this.refusalHandlers,
      {
        by: 'local',
        direction: 'inbound',
        remoteAddress,
        publicKey: undefined,
        code: error.code,
        reason: error.message,
      },
      this.logger,
      'refusal',
    );
  }

  private startSession(
    channel: SecureChannel,
    direction: SessionDirection,
    expectedPeerKey: Uint8Array | undefined,
  ): void {
    const identity = this.identity;
    assert(identity !== undefined, 'sessions start after listen');
    const session = new Session(channel, direction, {
      identity,
      isAdmitted: this.isAdmitted,
      expectedPeerKey,
      maxQueueFrames: this.maxQueueFrames,
      maxQueueBytes: this.maxQueueBytes,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      events: {
        onOpen: (opened) => this.sessionOpened(opened),
        onMessage: (from, payload) => this.deliver(from, payload),
        onClose: (closed, end) => this.sessionClosed(closed, end),
      },
    });
    this.handshaking.add(session);
    this.live.add(session);
    void session.streamClosed.then(() => this.live.delete(session));
    session.start();
  }

  /** Which of two sessions with the same peer both ends keep (see the contract in transport.ts). */
  private keeps(existing: Session, candidate: Session): Session {
    const dialer = (session: Session) =>
      session.direction === 'outbound' ? this.publicKey : session.peerPublicKey;
    const order = compareBytes(dialer(existing), dialer(candidate));
    if (order === 0) return candidate; // same dialer: the newer one is the redial
    return order < 0 ? existing : candidate;
  }

  private sessionOpened(session: Session): void {
    this.handshaking.delete(session);
    if (this.phase !== 'running' || !this.allowed.has(session.id)) {
      session.close('NET_PEER_NOT_ADMITTED', `node key ${session.id} is not admitted`);
      return;
    }
    const existing = this.entries.get(session.id)?.session;
    if (existing !== undefined) {
      const loser = this.keeps(existing, session) === existing ? session : existing;
      this.logger.info(
        { peer: session.id, kept: loser === session ? 'existing' : 'new' },
        'duplicate session resolved',
      );
      loser.close('NET_DUPLICATE_SESSION', 'another session with this peer takes precedence');
      if (loser === session) return;
    }
    // Looked up only now: closing the replaced session may have pruned the entry.
    const entry = this.entry(session.peerPublicKey, session.id);
    entry.session = session;
    entry.advertisedAddress = session.peerHello && {
      host: session.peerHello.listenHost,
      port: session.peerHello.listenPort,
    };
    if (session.direction === 'outbound') entry.reconnectAttempts = 0;
    this.cancelRedial(entry);
    this.logger.info(
      { peer: session.id, address: session.remoteAddress, direction: session.direction },
      'peer up',
    );
    emit(
      this.upHandlers,
      {
        publicKey: session.peerPublicKey,
        id: session.id,
        direction: session.direction,
        remoteAddress: session.remoteAddress,
      },
      this.logger,
      'peer-up',
    );
  }

  private deliver(session: Session, payload: Uint8Array): void {
    const entry = this.entries.get(session.id);
    // Only the announced session delivers: a duplicate loser or a stale session is mute.
    if (entry?.session !== session) return;
    for (const handler of this.messageHandlers) {
      try {
        handler(session.peerPublicKey, payload);
      } catch (error) {
        this.logger.error({ peer: session.id, err: error }, 'message handler threw');
      }
    }
  }

  private sessionClosed(session: Session, end: SessionEnd): void {
    this.handshaking.delete(session);
    const entry = this.entries.get(session.id);
    const announced = entry !== undefined && entry.session === session;
    if (entry !== undefined) {
      entry.bytesIn += session.bytesIn;
      entry.bytesOut += session.bytesOut;
      entry.messagesIn += session.messagesIn;
      entry.messagesOut += session.messagesOut;
      entry.lastSeenMs = session.lastReceivedMs;
      if (end.code !== 'NET_SHUTDOWN') entry.lastErrorCode = end.code;
    }
    const context = { peer: session.id, address: session.remoteAddress, code: end.code, reason: end.reason };
    if (announced) {
      entry.session = undefined;
      const level = end.code === 'NET_SHUTDOWN' || end.code === 'NET_CONNECTION_CLOSED' ? 'info' : 'warn';
      this.logger[level](context, 'peer down');
      emit(
        this.downHandlers,
        { publicKey: session.peerPublicKey, id: session.id, code: end.code, reason: end.reason },
        this.logger,
        'peer-down',
      );
    } else if (end.code === 'NET_SHUTDOWN') {
      this.logger.info(context, 'handshake abandoned: shutting down');
    } else if (!end.wasOpen) {
      if (end.code === 'NET_INTERNAL_ERROR') this.logger.error(context, 'handshake failed (bug)');
      else this.logger.warn(context, end.by === 'local' ? 'peer refused' : 'refused by peer');
      emit(
        this.refusalHandlers,
        {
          by: end.by,
          direction: session.direction,
          remoteAddress: session.remoteAddress,
          publicKey: session.peerPublicKey,
          code: end.code,
          reason: end.reason,
        },
        this.logger,
        'refusal',
      );
    }
    if (entry !== undefined) {
      if (session.direction === 'outbound') this.scheduleRedial(entry);
      else this.ensureDialing(entry);
      this.pruneIfIdle(entry);
    }
  }

  private keepalive(): void {
    const now = Date.now();
    for (const entry of this.entries.values()) {
      entry.session?.tick(now, this.pingIntervalMs, this.idleTimeoutMs);
    }
  }
}

function checkMessageSize(payload: Uint8Array): void {
  if (payload.length > MAX_MESSAGE_BYTES) {
    throw new ValidationError(
      'NET_MESSAGE_TOO_LARGE',
      `message of ${payload.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`,
      { hint: 'split the payload (state sync sends chunks) or raise MAX_FRAME_BYTES on every node' },
    );
  }
}

function subscribe<H>(handlers: Set<H>, handler: H): () => void {
  handlers.add(handler);
  return () => handlers.delete(handler);
}
