/**
 * The production transport: TCP + TLS 1.3 (node:tls) with self-signed Ed25519
 * node certificates.
 *
 * Both sides present a certificate (`requestCert: true`) and accept any chain
 * (`rejectUnauthorized: false`: there is no CA). Identity is the certificate's
 * key, which TLS 1.3 proves the peer holds (CertificateVerify); the session
 * layer then checks that key against the admitted node keys and runs the signed
 * hello bound to this TLS session's exported keying material. A certificate
 * that is missing or not Ed25519 is refused here, before any frame is read.
 */
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { MeridianError, ValidationError } from '../errors.ts';
import { makeNodeCertificate, type NodeCertificate, peerPublicKey } from './certificate.ts';
import type { Connector, ConnectorListeners, SecureChannel } from './channel.ts';
import { SESSION_BINDING_BYTES, SESSION_BINDING_LABEL } from './handshake.ts';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  SessionTransport,
  type TransportOptions,
} from './session-transport.ts';
import type { ListenAddress } from './transport.ts';

/** Most simultaneous inbound TCP connections (authenticated or not) one node accepts. */
export const DEFAULT_MAX_INBOUND_CONNECTIONS = 512;

export interface TlsTransportOptions extends TransportOptions {
  /** The node certificate; `TlsTransport.create` makes it from `keyPair` when absent. */
  readonly certificate: NodeCertificate;
  /** Interface to bind; default 127.0.0.1 (set 0.0.0.0 or an address to accept remote nodes). */
  readonly listenHost?: string;
  /** Port to bind; default 0 (the OS picks one; `start()` returns it). */
  readonly listenPort?: number;
  readonly maxInboundConnections?: number;
}

function describe(socket: TLSSocket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

function swallow(): void {
  // A socket must always have an 'error' listener, or an error would crash the
  // process. The session attaches the real one; this covers the gaps around it.
}

/** Channel facts of a TLS socket whose handshake completed; throws `MeridianError` on a bad certificate. */
function channelOf(socket: TLSSocket): SecureChannel {
  if (socket.getProtocol() !== 'TLSv1.3') {
    throw new ValidationError('NET_TLS_VERSION', `peer negotiated ${socket.getProtocol()}, not TLSv1.3`);
  }
  return {
    stream: socket,
    peerPublicKey: peerPublicKey(socket),
    binding: new Uint8Array(
      socket.exportKeyingMaterial(SESSION_BINDING_BYTES, SESSION_BINDING_LABEL, Buffer.alloc(0)),
    ),
    remoteAddress: describe(socket),
  };
}

class TlsConnector implements Connector {
  private server: Server | undefined;

  constructor(
    private readonly certificate: NodeCertificate,
    private readonly listenHost: string,
    private readonly listenPort: number,
    private readonly handshakeTimeoutMs: number,
    private readonly maxInboundConnections: number,
  ) {}

  private tlsOptions() {
    return {
      cert: this.certificate.certPem,
      key: this.certificate.keyPem,
      minVersion: 'TLSv1.3' as const,
      maxVersion: 'TLSv1.3' as const,
      rejectUnauthorized: false,
    };
  }

  listen(listeners: ConnectorListeners): Promise<ListenAddress> {
    const server = createServer({
      ...this.tlsOptions(),
      requestCert: true,
      handshakeTimeout: this.handshakeTimeoutMs,
    });
    server.maxConnections = this.maxInboundConnections;
    this.server = server;
    server.on('secureConnection', (socket: TLSSocket) => {
      socket.on('error', swallow);
      socket.setNoDelay(true);
      let channel: SecureChannel;
      try {
        channel = channelOf(socket);
      } catch (error) {
        socket.destroy();
        listeners.onRejected(describe(socket), asMeridianError(error, 'NET_TLS_HANDSHAKE_FAILED'));
        return;
      }
      listeners.onChannel(channel);
    });
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      listeners.onRejected(
        describe(socket),
        new ValidationError('NET_TLS_HANDSHAKE_FAILED', `TLS handshake failed: ${error.message}`, {
          hint: 'peers must speak TLS 1.3 and present their node certificate',
        }),
      );
    });
    return new Promise((resolve, reject) => {
      const onError = (error: Error) =>
        reject(
          new MeridianError('NET_LISTEN_FAILED', `cannot listen on ${this.listenHost}:${this.listenPort}`, {
            hint: 'is another process using the port? choose another port in the node config',
            cause: error,
          }),
        );
      server.once('error', onError);
      server.listen(this.listenPort, this.listenHost, () => {
        server.off('error', onError);
        server.on('error', swallow);
        const address = server.address();
        if (address === null || typeof address === 'string') {
          reject(new MeridianError('NET_LISTEN_FAILED', 'server has no TCP address'));
          return;
        }
        resolve({ host: this.listenHost, port: address.port });
      });
    });
  }

  dial(address: ListenAddress): Promise<SecureChannel> {
    return new Promise((resolve, reject) => {
      const where = `${address.host}:${address.port}`;
      const socket = connect({ ...this.tlsOptions(), host: address.host, port: address.port });
      socket.on('error', swallow);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new MeridianError(
            'NET_DIAL_TIMEOUT',
            `no TLS session with ${where} within ${this.handshakeTimeoutMs} ms`,
          ),
        );
      }, this.handshakeTimeoutMs);
      const onError = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new MeridianError('NET_DIAL_FAILED', `cannot connect to ${where}: ${error.message}`, {
            cause: error,
          }),
        );
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        try {
          resolve(channelOf(socket));
        } catch (error) {
          socket.destroy();
          reject(asMeridianError(error, 'NET_TLS_HANDSHAKE_FAILED'));
        }
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Stops listening at once. server.close()'s callback would wait for every
    // connection: sessions are closed by their owners, and connections still in
    // the TLS handshake die at `handshakeTimeout`.
    if (server?.listening) server.close();
    return Promise.resolve();
  }
}

function asMeridianError(error: unknown, code: string): MeridianError {
  if (error instanceof MeridianError) return error;
  return new MeridianError(code, error instanceof Error ? error.message : String(error), { cause: error });
}

export class TlsTransport extends SessionTransport {
  constructor(options: TlsTransportOptions) {
    super(
      new TlsConnector(
        options.certificate,
        options.listenHost ?? '127.0.0.1',
        options.listenPort ?? 0,
        options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
        options.maxInboundConnections ?? DEFAULT_MAX_INBOUND_CONNECTIONS,
      ),
      options,
    );
  }

  /** Like the constructor, making the node certificate from `keyPair` when none is given. */
  static async create(
    options: Omit<TlsTransportOptions, 'certificate'> & { certificate?: NodeCertificate },
  ): Promise<TlsTransport> {
    const certificate = options.certificate ?? (await makeNodeCertificate(options.keyPair));
    return new TlsTransport({ ...options, certificate });
  }
}
