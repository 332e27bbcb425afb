/**
 * One session with one peer over one authenticated channel: the hello/welcome
 * handshake, framing, the bounded send queue with socket back-pressure,
 * keepalive, and an orderly close that tells the peer why.
 *
 * Lifecycle: `handshaking` → `open` → `closed`, or `handshaking` → `closed`
 * (a refusal). `events.onClose` fires exactly once, synchronously inside the
 * call that decided the end, and nothing fires after it. The session never
 * throws into socket callbacks: every failure becomes a close with a code.
 */
import { equalBytes, toHex } from '../codec/bytes.ts';
import { MeridianError, ValidationError } from '../errors.ts';
import type { SecureChannel } from './channel.ts';
import { decompressPayload } from './compression.ts';
import { FrameDecoder, MAX_FRAME_BYTES } from './frame.ts';
import { checkAdmitted, checkHello, type LocalIdentity, makeHello } from './handshake.ts';
import { SendQueue } from './send-queue.ts';
import type { SessionDirection } from './transport.ts';
import {
  clipText,
  decodeEnvelope,
  type Envelope,
  encodeEnvelopeFrame,
  type HelloBody,
  MAX_GOODBYE_CODE_BYTES,
  MAX_GOODBYE_REASON_BYTES,
  MAX_HELLO_FRAME_BYTES,
  MAX_MESSAGE_BYTES,
} from './wire.ts';

/** How long an ended stream may take to close before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;

export interface SessionEnd {
  readonly code: string;
  readonly reason: string;
  /** Who decided the end: this node, or the peer (goodbye, or the connection dropped). */
  readonly by: 'local' | 'remote';
  /** Whether the handshake had completed. */
  readonly wasOpen: boolean;
}

export interface SessionEvents {
  onOpen(session: Session): void;
  onMessage(session: Session, payload: Uint8Array): void;
  onClose(session: Session, end: SessionEnd): void;
}

export interface SessionOptions {
  readonly identity: LocalIdentity;
  readonly isAdmitted: (publicKey: Uint8Array) => boolean;
  /** For dialled channels: the key we meant to reach. A different key is refused. */
  readonly expectedPeerKey: Uint8Array | undefined;
  readonly maxQueueFrames: number;
  readonly maxQueueBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly events: SessionEvents;
}

type SessionState = 'handshaking' | 'open' | 'closed';

export class Session {
  readonly peerPublicKey: Uint8Array;
  readonly id: string;
  readonly remoteAddress: string;
  private stateValue: SessionState = 'handshaking';
  private peerHelloValue: HelloBody | undefined;
  private welcomeReceived = false;

  private readonly queue: SendQueue;
  private readonly decoder = new FrameDecoder(MAX_HELLO_FRAME_BYTES);
  /** True while the socket asked us to wait for 'drain'. */
  private blocked = false;
  private flushScheduled = false;
  private handshakeTimer: NodeJS.Timeout | undefined;

  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  messagesOut = 0;
  lastReceivedMs = Date.now();
  rttMs: number | undefined;
  private lastPingSentMs = 0;
  private pingNonce = 0;
  private outstandingPing: { nonce: number; sentAtMs: number } | undefined;

  /** Resolves once the underlying stream has closed (never rejects). */
  readonly streamClosed: Promise<void>;

  constructor(
    private readonly channel: SecureChannel,
    readonly direction: SessionDirection,
    private readonly options: SessionOptions,
  ) {
    this.peerPublicKey = channel.peerPublicKey;
    this.id = toHex(channel.peerPublicKey);
    this.remoteAddress = channel.remoteAddress;
    this.queue = new SendQueue(options.maxQueueFrames, options.maxQueueBytes);
    const stream = channel.stream;
    this.streamClosed = new Promise((resolve) => {
      if (stream.destroyed) resolve();
      else stream.once('close', () => resolve());
    });
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** The peer's verified hello, once received. */
  get peerHello(): HelloBody | undefined {
    return this.peerHelloValue;
  }

  get queuedFrames(): number {
    return this.queue.length;
  }

  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /**
   * Attaches to the stream, checks the channel's key, and sends the hello.
   * Events may fire from inside this call (a refused key closes at once).
   */
  start(): void {
    const stream = this.channel.stream;
    stream.on('data', (chunk: Uint8Array) => this.guard(() => this.receive(chunk)));
    stream.on('drain', () =>
      this.guard(() => {
        this.blocked = false;
        this.flush();
      }),
    );
    stream.on('error', (error: Error) =>
      this.guard(() => this.close('NET_CONNECTION_ERROR', error.message, { by: 'remote' })),
    );
    stream.on('end', () =>
      this.guard(() =>
        this.close('NET_CONNECTION_CLOSED', 'the peer closed the connection', { by: 'remote' }),
      ),
    );
    stream.on('close', () =>
      this.guard(() => this.close('NET_CONNECTION_CLOSED', 'the connection closed', { by: 'remote' })),
    );
    this.handshakeTimer = setTimeout(
      () =>
        this.guard(() =>
          this.close(
            'NET_HANDSHAKE_TIMEOUT',
            `handshake not completed within ${this.options.handshakeTimeoutMs} ms`,
          ),
        ),
      this.options.handshakeTimeoutMs,
    );
    this.handshakeTimer.unref();
    this.guard(() => {
      const ownKey = this.options.identity.keyPair.publicKey;
      if (equalBytes(this.peerPublicKey, ownKey)) {
        throw new ValidationError('NET_SELF_CONNECTION', 'connected to itself', {
          hint: "remove this node's own address from its peer list",
        });
      }
      const expected = this.options.expectedPeerKey;
      if (expected !== undefined && !equalBytes(expected, this.peerPublicKey)) {
        throw new ValidationError(
          'NET_UNEXPECTED_PEER_KEY',
          `dialled ${toHex(expected)} but the node at ${this.remoteAddress} holds ${this.id}`,
          { hint: 'the peer address list is out of date, or another node took over that address' },
        );
      }
      checkAdmitted(this.peerPublicKey, this.options.isAdmitted);
      this.writeControl(makeHello(this.options.identity, this.channel.binding));
    });
  }

  /** Whether `enqueueMessage` would accept a frame of `frameBytes` now. */
  canAccept(frameBytes: number): boolean {
    return this.stateValue === 'open' && this.queue.canAccept(frameBytes);
  }

  /** Queues an encoded `message` frame. False when not open or the queue is full. */
  enqueueMessage(frame: Uint8Array): boolean {
    if (this.stateValue !== 'open' || !this.queue.push(frame)) return false;
    this.messagesOut++;
    this.scheduleFlush();
    return true;
  }

  /**
   * Keepalive, called periodically by the transport: closes a session silent
   * for longer than `idleTimeoutMs`, and pings every `pingIntervalMs`.
   */
  tick(nowMs: number, pingIntervalMs: number, idleTimeoutMs: number): void {
    if (this.stateValue !== 'open') return;
    if (nowMs - this.lastReceivedMs > idleTimeoutMs) {
      this.close('NET_PEER_TIMEOUT', `nothing received for ${nowMs - this.lastReceivedMs} ms`);
      return;
    }
    if (nowMs - this.lastPingSentMs >= pingIntervalMs) {
      this.lastPingSentMs = nowMs;
      this.pingNonce++;
      if (this.outstandingPing === undefined)
        this.outstandingPing = { nonce: this.pingNonce, sentAtMs: nowMs };
      this.writeControl({ type: 'ping', nonce: this.pingNonce });
    }
  }

  /**
   * Ends the session with a reason. A local close tells the peer why (goodbye)
   * before ending the stream; `flush` first writes what is queued (an orderly
   * shutdown), otherwise queued frames are discarded. Idempotent.
   */
  close(code: string, reason: string, options: { by?: 'local' | 'remote'; flush?: boolean } = {}): void {
    if (this.stateValue === 'closed') return;
    const wasOpen = this.stateValue === 'open';
    const by = options.by ?? 'local';
    this.stateValue = 'closed';
    clearTimeout(this.handshakeTimer);
    const stream = this.channel.stream;
    if (!options.flush) this.queue.clear();
    if (by === 'local') {
      this.queue.pushControl(
        encodeEnvelopeFrame({
          type: 'goodbye',
          code: clipText(code, MAX_GOODBYE_CODE_BYTES),
          reason: clipText(reason, MAX_GOODBYE_REASON_BYTES),
        }),
      );
    }
    if (!stream.destroyed && stream.writable) {
      // Ignore back-pressure now: the queue is bounded and this is the last write.
      for (let frame = this.queue.shift(); frame !== undefined; frame = this.queue.shift()) {
        this.bytesOut += frame.length;
        stream.write(frame);
      }
      stream.end();
      setTimeout(() => stream.destroy(), CLOSE_GRACE_MS).unref();
    } else if (!stream.destroyed) {
      stream.destroy();
    }
    this.queue.clear();
    this.options.events.onClose(this, { code, reason, by, wasOpen });
  }

  /** Runs a socket callback; any exception closes the session instead of escaping. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (error instanceof MeridianError) {
        this.close(error.code, error.message);
      } else {
        const message = error instanceof Error ? error.message : String(error);
        this.close('NET_INTERNAL_ERROR', message);
      }
    }
  }

  private receive(chunk: Uint8Array): void {
    if (this.stateValue === 'closed') return;
    this.bytesIn += chunk.length;
    this.lastReceivedMs = Date.now();
    this.decoder.push(chunk, (payload) => {
      if (this.stateValue !== 'closed') this.handle(decodeEnvelope(payload));
    });
  }

  private handle(envelope: Envelope): void {
    switch (envelope.type) {
      case 'hello': {
        if (this.stateValue !== 'handshaking' || this.peerHelloValue !== undefined) this.unexpected('hello');
        this.peerHelloValue = checkHello(envelope, {
          chainId: this.options.identity.chainId,
          channelKey: this.peerPublicKey,
          binding: this.channel.binding,
          isAdmitted: this.options.isAdmitted,
        });
        this.writeControl({ type: 'welcome' });
        return;
      }
      case 'welcome': {
        if (this.stateValue !== 'handshaking' || this.peerHelloValue === undefined || this.welcomeReceived) {
          this.unexpected('welcome');
        }
        this.welcomeReceived = true;
        this.stateValue = 'open';
        clearTimeout(this.handshakeTimer);
        this.decoder.setMaxFrameBytes(MAX_FRAME_BYTES);
        this.options.events.onOpen(this);
        return;
      }
      case 'message': {
        if (this.stateValue !== 'open') this.unexpected('message');
        this.messagesIn++;
        this.options.events.onMessage(this, envelope.payload);
        return;
      }
      case 'deflated': {
        if (this.stateValue !== 'open') this.unexpected('deflated');
        this.messagesIn++;
        this.options.events.onMessage(this, decompressPayload(envelope.payload, MAX_MESSAGE_BYTES));
        return;
      }
      case 'ping': {
        if (this.stateValue !== 'open') this.unexpected('ping');
        this.writeControl({ type: 'pong', nonce: envelope.nonce });
        return;
      }
      case 'pong': {
        if (this.stateValue !== 'open') this.unexpected('pong');
        const ping = this.outstandingPing;
        if (ping !== undefined && ping.nonce === envelope.nonce) {
          this.rttMs = Date.now() - ping.sentAtMs;
          this.outstandingPing = undefined;
        }
        return;
      }
      case 'goodbye': {
        this.close(envelope.code, `peer said: ${envelope.reason}`, { by: 'remote' });
        return;
      }
    }
  }

  private unexpected(type: Envelope['type']): never {
    throw new ValidationError('NET_UNEXPECTED_FRAME', `unexpected ${type} frame while ${this.stateValue}`, {
      hint: 'the peer does not follow the session protocol (hello, welcome, then messages)',
    });
  }

  private writeControl(envelope: Envelope): void {
    this.queue.pushControl(encodeEnvelopeFrame(envelope));
    this.scheduleFlush();
  }

  /** Batches every frame queued in this tick into one corked write. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.blocked) return;
    this.flushScheduled = true;
    queueMicrotask(() =>
      this.guard(() => {
        this.flushScheduled = false;
        this.flush();
      }),
    );
  }

  private flush(): void {
    if (this.stateValue === 'closed' || this.blocked || this.queue.length === 0) return;
    const stream = this.channel.stream;
    stream.cork();
    try {
      for (let frame = this.queue.shift(); frame !== undefined; frame = this.queue.shift()) {
        this.bytesOut += frame.length;
        if (!stream.write(frame)) {
          this.blocked = true;
          break;
        }
      }
    } finally {
      stream.uncork();
    }
  }
}
