/**
 * An in-process transport for unit tests of code around the transport (the
 * node's consensus driver, gossip, state sync). A `MemoryHub` plays the
 * network: transports created on the same hub listen on hub "ports" and dial
 * each other through in-memory byte pipes.
 *
 * Only the channel layer is simulated: the hub vouches for each end's key (as a
 * TLS certificate would) and hands both ends the same random binding. The
 * handshake, framing, admission, one-session-per-pair rule, reconnects, send
 * queues and back-pressure are the production code (`SessionTransport`), so a
 * test that passes here exercises the same semantics as TLS. Delivery is always
 * asynchronous (never inside the sender's call stack), like a socket.
 */
import { Duplex } from 'node:stream';
import { randomBytes } from '../crypto/random.ts';
import { assert, MeridianError } from '../errors.ts';
import type { Connector, ConnectorListeners, SecureChannel } from './channel.ts';
import { SESSION_BINDING_BYTES } from './handshake.ts';
import { SessionTransport, type TransportOptions } from './session-transport.ts';
import type { ListenAddress } from './transport.ts';

/** The host name memory transports listen on. */
export const MEMORY_HOST = 'memory';

/**
 * One end of an in-memory pipe. Bytes written to one end are read from the
 * other, in order, asynchronously; a writer waits while the reader's buffer is
 * over its high-water mark (so back-pressure reaches the sender's socket-level
 * `write()` exactly as with TCP). Destroying one end destroys the other (like a
 * reset); ending one end ends the other's readable side (like a FIN).
 */
class PipeEnd extends Duplex {
  private other: PipeEnd | undefined;
  /** The other end's write callback, held while this end's reader is saturated. */
  private heldWrite: (() => void) | undefined;

  static pair(): [PipeEnd, PipeEnd] {
    const a = new PipeEnd();
    const b = new PipeEnd();
    a.other = b;
    b.other = a;
    return [a, b];
  }

  private constructor() {
    super({ allowHalfOpen: false });
  }

  override _write(
    chunk: Uint8Array,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    setImmediate(() => {
      const other = this.other!;
      if (other.destroyed) {
        callback();
        return;
      }
      if (other.push(chunk)) callback();
      else other.heldWrite = () => callback();
    });
  }

  /** Everything written in one corked flush crosses in one hop. */
  override _writev(
    chunks: { chunk: Uint8Array; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    setImmediate(() => {
      const other = this.other!;
      if (other.destroyed) {
        callback();
        return;
      }
      let accepting = true;
      for (const { chunk } of chunks) accepting = other.push(chunk);
      if (accepting) callback();
      else other.heldWrite = () => callback();
    });
  }

  override _read(): void {
    const held = this.heldWrite;
    this.heldWrite = undefined;
    held?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    setImmediate(() => {
      if (!this.other!.destroyed) this.other!.push(null);
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const other = this.other!;
    setImmediate(() => {
      if (!other.destroyed) other.destroy();
    });
    const held = this.heldWrite;
    this.heldWrite = undefined;
    held?.();
    callback(error);
  }
}

interface HubListener {
  readonly publicKey: Uint8Array;
  readonly listeners: ConnectorListeners;
}

/** The simulated network: a registry of listening memory transports by port. */
export class MemoryHub {
  private readonly listening = new Map<number, HubListener>();
  private nextPort = 1;
  private connections = 0;

  /** Registers a listener; `port` 0 picks a free one. A port in use is an error. */
  listen(port: number, listener: HubListener): number {
    const chosen = port === 0 ? this.freePort() : port;
    if (this.listening.has(chosen)) {
      throw new MeridianError('NET_LISTEN_FAILED', `memory port ${chosen} is already in use`);
    }
    this.listening.set(chosen, listener);
    return chosen;
  }

  unlisten(port: number, listener: HubListener): void {
    if (this.listening.get(port) === listener) this.listening.delete(port);
  }

  /** Connects `dialerKey` to whatever listens on `address`; async like a real connect. */
  async dial(dialerKey: Uint8Array, address: ListenAddress): Promise<SecureChannel> {
    await new Promise((resolve) => setImmediate(resolve));
    const target = address.host === MEMORY_HOST ? this.listening.get(address.port) : undefined;
    if (target === undefined) {
      throw new MeridianError('NET_DIAL_FAILED', `nothing listens on ${address.host}:${address.port}`);
    }
    const [dialerEnd, listenerEnd] = PipeEnd.pair();
    const binding = randomBytes(SESSION_BINDING_BYTES);
    const connection = ++this.connections;
    setImmediate(() =>
      target.listeners.onChannel({
        stream: listenerEnd,
        peerPublicKey: dialerKey,
        binding,
        remoteAddress: `${MEMORY_HOST}:client-${connection}`,
      }),
    );
    return {
      stream: dialerEnd,
      peerPublicKey: target.publicKey,
      binding,
      remoteAddress: `${address.host}:${address.port}`,
    };
  }

  private freePort(): number {
    while (this.listening.has(this.nextPort)) this.nextPort++;
    return this.nextPort++;
  }
}

class MemoryConnector implements Connector {
  private registration: { port: number; listener: HubListener } | undefined;

  constructor(
    private readonly hub: MemoryHub,
    private readonly publicKey: Uint8Array,
    private readonly port: number,
  ) {}

  async listen(listeners: ConnectorListeners): Promise<ListenAddress> {
    assert(this.registration === undefined, 'listen once');
    const listener = { publicKey: this.publicKey, listeners };
    const port = this.hub.listen(this.port, listener);
    this.registration = { port, listener };
    return { host: MEMORY_HOST, port };
  }

  dial(address: ListenAddress): Promise<SecureChannel> {
    return this.hub.dial(this.publicKey, address);
  }

  async close(): Promise<void> {
    if (this.registration !== undefined)
      this.hub.unlisten(this.registration.port, this.registration.listener);
    this.registration = undefined;
  }
}

export interface MemoryTransportOptions extends TransportOptions {
  readonly hub: MemoryHub;
  /** Hub port to listen on; 0 (default) picks one. Reuse a port to simulate a restart at the same address. */
  readonly listenPort?: number;
}

export class MemoryTransport extends SessionTransport {
  constructor(options: MemoryTransportOptions) {
    super(new MemoryConnector(options.hub, options.keyPair.publicKey, options.listenPort ?? 0), options);
  }
}
