/**
 * Forwards transactions submitted to this node to every other validator, so
 * whichever validator is primary can propose them. Transactions are batched
 * into one frame per `GOSSIP_FLUSH_MS` (or per `MAX_GOSSIP_TXS`) to keep the
 * per-message overhead low under load. Validators form a full mesh, so a
 * transaction received by gossip is not forwarded again.
 */
import type { Transport } from '../net/transport.ts';
import { encodeNodeMessage, MAX_GOSSIP_TXS } from './wire.ts';

export const GOSSIP_FLUSH_MS = 5;

export class TxGossip {
  #buffer: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly transport: Transport) {}

  add(encodedTx: Uint8Array): void {
    this.#buffer.push(encodedTx);
    if (this.#buffer.length >= MAX_GOSSIP_TXS) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), GOSSIP_FLUSH_MS);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const txs = this.#buffer;
    this.#buffer = [];
    this.transport.broadcast(encodeNodeMessage({ type: 'txs', txs }));
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#buffer = [];
  }
}
