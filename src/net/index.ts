/**
 * The node-to-node transport's public surface. The node uses `Transport`
 * (transport.ts states its contract), builds a `TlsTransport` in production and
 * a `MemoryTransport` on a `MemoryHub` in tests. `meridian init` makes the node
 * certificate with `makeNodeCertificate` (it is reproducible from the key).
 * The compliance suite (transport-compliance.ts) imports vitest and is
 * therefore not re-exported here.
 */
export { type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.ts';
export {
  makeNodeCertificate,
  type NodeCertificate,
  peerPublicKey,
  publicKeyFromCertificate,
} from './certificate.ts';
export { MAX_FRAME_BYTES } from './frame.ts';
export { MEMORY_HOST, MemoryHub, MemoryTransport, type MemoryTransportOptions } from './memory-transport.ts';
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_MAX_QUEUE_FRAMES,
  DEFAULT_PING_INTERVAL_MS,
  MAX_PEERS,
  type TransportOptions,
} from './session-transport.ts';
export { DEFAULT_MAX_INBOUND_CONNECTIONS, TlsTransport, type TlsTransportOptions } from './tls-transport.ts';
export type {
  ListenAddress,
  MessageHandler,
  NetLogger,
  PeerAddress,
  PeerDownEvent,
  PeerId,
  PeerInfo,
  PeerUpEvent,
  RefusalEvent,
  SessionDirection,
  Transport,
} from './transport.ts';
export { silentLogger } from './transport.ts';
export { MAX_HELLO_FRAME_BYTES, MAX_LISTEN_HOST_BYTES, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './wire.ts';
