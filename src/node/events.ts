/**
 * Fan-out of committed heads, transactions and module events to API
 * subscribers. A listener that throws is logged and dropped, never allowed to
 * disturb consensus. A transaction's `tx` notification (a receipt JSON view) and
 * its module `event`s are built only if some listener wants them (its
 * `EventInterest`, or no interest given = everything).
 */

import { blockSummaryJson, receiptJson, tryJson } from '../api/json-views.ts';
import type { EventInterest, NodeEvent } from '../api/node-api.ts';
import type { CommittedBlock } from './chain-state.ts';
import type { Logger } from './logger.ts';

export class NodeEvents {
  readonly #listeners = new Map<(event: NodeEvent) => void, EventInterest | undefined>();

  constructor(private readonly logger: Logger) {}

  subscribe(listener: (event: NodeEvent) => void, interest?: EventInterest): () => void {
    this.#listeners.set(listener, interest);
    return () => this.#listeners.delete(listener);
  }

  publish(event: NodeEvent): void {
    for (const listener of this.#listeners.keys()) {
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
    const interests = [...this.#listeners.values()];
    const wantsEvents = interests.some((interest) => interest?.events() ?? true);
    const { receipts, txHashes } = committed.executed;
    for (let i = 0; i < receipts.length; i++) {
      const receipt = receipts[i]!;
      const hash = txHashes[i]!; // = toHex(receipt.txHash), already rendered by execution
      if (interests.some((interest) => interest?.tx(hash) ?? true)) {
        this.publish({ type: 'tx', hash, height: header.height, receipt: receiptJson(receipt) });
      }
      if (!wantsEvents) continue;
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
    }
  }
}
