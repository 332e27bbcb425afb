/**
 * Fan-out of committed heads, transactions and module events to API
 * subscribers. A listener that throws is logged and dropped, never allowed to
 * disturb consensus.
 */

import { blockSummaryJson, receiptJson, tryJson } from '../api/json-views.ts';
import type { NodeEvent } from '../api/node-api.ts';
import { toHex } from '../codec/bytes.ts';
import type { CommittedBlock } from './chain-state.ts';
import type { Logger } from './logger.ts';

export class NodeEvents {
  readonly #listeners = new Set<(event: NodeEvent) => void>();

  constructor(private readonly logger: Logger) {}

  subscribe(listener: (event: NodeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: NodeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn({ err: error }, 'event listener failed; unsubscribing it');
        this.#listeners.delete(listener);
      }
    }
  }

  publishCommitted(committed: CommittedBlock): void {
    if (this.#listeners.size === 0) return;
    const { header } = committed.block;
    this.publish({ type: 'head', block: blockSummaryJson(header, committed.block.txs.length) });
    committed.executed.receipts.forEach((receipt) => {
      const hash = toHex(receipt.txHash);
      this.publish({ type: 'tx', hash, height: header.height, receipt: receiptJson(receipt) });
      for (const event of receipt.events) {
        this.publish({
          type: 'event',
          module: event.module,
          name: event.name,
          data: tryJson(event.data) ?? null,
          txHash: hash,
          height: header.height,
        });
      }
    });
  }
}
