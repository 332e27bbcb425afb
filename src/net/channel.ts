/**
 * What a transport needs from the layer below it: authenticated byte streams.
 * `tls-transport.ts` provides them with TLS 1.3; `memory-transport.ts` with
 * in-process pipes. Everything above (handshake, framing, queues, peer table,
 * reconnects) is shared, so both behave the same.
 */
import type { Duplex } from 'node:stream';
import type { MeridianError } from '../errors.ts';
import type { ListenAddress } from './transport.ts';

export interface SecureChannel {
  /** The byte stream; the session owns it from now on (reads, writes, ends, destroys). */
  readonly stream: Duplex;
  /** The key the channel proved the peer holds (for TLS: the certificate key, proven by CertificateVerify). */
  readonly peerPublicKey: Uint8Array;
  /** 32 bytes both ends derive and no other channel shares (for TLS: exported keying material). */
  readonly binding: Uint8Array;
  /** `host:port` of the other end, for logs. */
  readonly remoteAddress: string;
}

export interface ConnectorListeners {
  /** A new inbound channel that completed the channel-level handshake. */
  onChannel(channel: SecureChannel): void;
  /** An inbound connection that failed before becoming a channel (no certificate, TLS error, ...). */
  onRejected(remoteAddress: string, error: MeridianError): void;
}

export interface Connector {
  /** Starts accepting; resolves with the bound address. Called once. */
  listen(listeners: ConnectorListeners): Promise<ListenAddress>;
  /** Opens a channel to `address`; rejects with a `MeridianError` (e.g. `NET_DIAL_FAILED`). */
  dial(address: ListenAddress): Promise<SecureChannel>;
  /** Stops accepting. Channels already handed out are the sessions' business. Idempotent. */
  close(): Promise<void>;
}
