/**
 * Test support only: a raw WebSocket client for protocol tests. Messages are
 * queued as they arrive; `next()` takes them in order (waiting if needed), so
 * tests assert on order, never on timing.
 */
import { WebSocket } from 'ws';

/** A message from the server, loosely typed for assertions. */
export interface Received {
  readonly id: string | null;
  readonly type: string;
  readonly data?: unknown;
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export class TestSocket {
  readonly socket: WebSocket;
  readonly closed: Promise<Closed>;
  readonly #queue: Received[] = [];
  readonly #waiters: ((message: Received) => void)[] = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Received;
      const waiter = this.#waiters.shift();
      if (waiter) waiter(message);
      else this.#queue.push(message);
    });
  }

  static async open(baseUrl: string): Promise<TestSocket> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`);
    const client = new TestSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message from the server (resolves when it arrives). */
  next(): Promise<Received> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Messages received and not yet taken. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Sends a request and returns the next message (the server answers requests in order). */
  async request(message: unknown): Promise<Received> {
    this.send(message);
    return this.next();
  }

  close(): void {
    this.socket.close();
  }
}
