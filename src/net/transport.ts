/**
 * The node-to-node transport as the node sees it: authenticated, ordered,
 * best-effort delivery of opaque payloads between admitted nodes.
 *
 * Contract (every implementation, checked by `transport-compliance.ts`):
 *   - Only admitted keys talk. A peer is identified by the key its channel
 *     proved (the TLS certificate key); a key not in `setAllowedKeys` is refused
 *     whichever side dials, and neither side reports it up.
 *   - One session per pair of nodes. Of two configured peers, the one with the
 *     lower key (byte order) dials; the other waits. If two sessions meet
 *     anyway, both ends keep the one dialled by the lower key (the newer one if
 *     both were dialled by the same side, i.e. a redial after a restart).
 *   - Per pair, payloads arrive in the order they were sent, at most once. A
 *     session that breaks loses what was in flight: delivery is best effort, the
 *     protocols above (PBFT, state sync) retransmit.
 *   - A lost session to a configured peer that this node dials is redialled
 *     with capped exponential back-off and jitter, for as long as the peer stays
 *     configured and admitted.
 *   - `send` never blocks and never throws for a full or absent peer: it returns
 *     false (back-pressure). Drop policy: when a peer's send queue is at its
 *     frame or byte limit the NEW payload is refused (tail drop) and counted in
 *     `PeerInfo.droppedQueueFull`; queued payloads are never discarded to make
 *     room, so what was accepted is delivered in order while the session lives.
 *   - Handlers never see a payload from a peer that is not up, and an exception
 *     thrown by a handler is logged, never propagated into the socket code.
 */

/** A configured peer: its node key and where to dial it. */
export interface PeerAddress {
  readonly publicKey: Uint8Array;
  readonly host: string;
  readonly port: number;
}

/** Where a started transport listens. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** A peer's node key as bytes or `0x`-hex. */
export type PeerId = Uint8Array | string;

export type SessionDirection = 'inbound' | 'outbound';

export interface PeerInfo {
  readonly publicKey: Uint8Array;
  /** `0x`-hex of the key: the id used in logs and maps. */
  readonly id: string;
  /** The dial address given to `setPeers`, if any. */
  readonly address: ListenAddress | undefined;
  /** The address the peer advertised in its hello, if a session was ever up. */
  readonly advertisedAddress: ListenAddress | undefined;
  /** The socket's remote address (`host:port`) while connected. */
  readonly remoteAddress: string | undefined;
  readonly connected: boolean;
  readonly direction: SessionDirection | undefined;
  /** Frames and bytes waiting in this node's send queue (not yet handed to the socket). */
  readonly queuedFrames: number;
  readonly queuedBytes: number;
  /** Totals over every session with this peer (framing included). */
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Payloads refused by `send`/`broadcast` because the queue was full. */
  readonly droppedQueueFull: number;
  /** Payloads refused by `send` because no session was up. */
  readonly droppedNotConnected: number;
  /** Wall-clock ms of the last frame received, if any. */
  readonly lastSeenMs: number | undefined;
  /** Round-trip time of the last answered ping, if any. */
  readonly rttMs: number | undefined;
  /** Failed dials since the last successful session (0 when not dialling). */
  readonly reconnectAttempts: number;
  /** Code of the reason the last session (or dial) ended, if any. */
  readonly lastErrorCode: string | undefined;
}

export interface PeerUpEvent {
  readonly publicKey: Uint8Array;
  readonly id: string;
  readonly direction: SessionDirection;
  readonly remoteAddress: string;
}

export interface PeerDownEvent {
  readonly publicKey: Uint8Array;
  readonly id: string;
  /** Stable code of why the session ended (e.g. `NET_CONNECTION_CLOSED`, `NET_PEER_NOT_ADMITTED`). */
  readonly code: string;
  readonly reason: string;
}

/** A connection refused during the handshake, by this node (`local`) or by the peer (`remote`). */
export interface RefusalEvent {
  readonly by: 'local' | 'remote';
  readonly direction: SessionDirection;
  readonly remoteAddress: string;
  /** The peer's key when the channel got far enough to prove one. */
  readonly publicKey: Uint8Array | undefined;
  readonly code: string;
  readonly reason: string;
}

export type MessageHandler = (from: Uint8Array, payload: Uint8Array) => void;

/** A pino-compatible logger (only these four methods, pino's `(object, message)` form). */
export interface NetLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export const silentLogger: NetLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export interface Transport {
  /** This node's key. */
  readonly publicKey: Uint8Array;
  /** Starts listening and dialling; resolves with the bound address (port 0 picks one). */
  start(): Promise<ListenAddress>;
  /**
   * Replaces the set of known peers. Peers with a higher key than this node are
   * dialled (and redialled); the others are expected to dial in. A removed peer
   * is no longer dialled but an open session with it stays (admission, not
   * configuration, decides who may stay connected). Entries for this node's own
   * key are ignored.
   */
  setPeers(peers: readonly PeerAddress[]): void;
  /**
   * Replaces the admitted node keys. Sessions (and handshakes) with keys no
   * longer admitted are closed at once with `NET_PEER_NOT_ADMITTED`.
   */
  setAllowedKeys(keys: readonly Uint8Array[]): void;
  /**
   * Queues `payload` (≤ MAX_MESSAGE_BYTES; larger throws `ValidationError`
   * `NET_MESSAGE_TOO_LARGE`) for `to`. False when `to` has no session up or its
   * queue is full; nothing is queued then. The caller must not mutate
   * `payload` afterwards.
   */
  send(to: PeerId, payload: Uint8Array): boolean;
  /** `send` to every peer that is up; returns how many accepted it. */
  broadcast(payload: Uint8Array): number;
  /** Registers a handler; returns a function that unregisters it. */
  onMessage(handler: MessageHandler): () => void;
  onPeerUp(handler: (event: PeerUpEvent) => void): () => void;
  onPeerDown(handler: (event: PeerDownEvent) => void): () => void;
  onRefusal(handler: (event: RefusalEvent) => void): () => void;
  /** Known peers: configured ones and any with a session up. */
  peers(): PeerInfo[];
  /** Says goodbye to every peer, stops listening and dialling. Idempotent. */
  close(): Promise<void>;
}
