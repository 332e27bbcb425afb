/**
 * Normal-case messages for a view this replica has not installed yet (its
 * NEW-VIEW may arrive after the new primary's first votes), kept in arrival
 * order until the view is installed.
 *
 * Contract: at most `limit` messages. They are buffered before their signature
 * is checked, so a full buffer evicts the oldest message of the signer holding
 * the most: a peer that floods it only pushes out its own messages, never the
 * honest validators' votes.
 */

import type { ConsensusMessage } from './messages.ts';

type ViewMessage = ConsensusMessage & { readonly body: { readonly view: number } };

export class FutureMessages {
  private messages: ViewMessage[] = [];
  private readonly perSigner = new Map<number, number>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.messages.length;
  }

  add(message: ViewMessage): void {
    if (this.messages.length >= this.limit) this.evictFromHeaviestSigner();
    this.messages.push(message);
    this.perSigner.set(message.signer, (this.perSigner.get(message.signer) ?? 0) + 1);
  }

  /** Removes and returns, in arrival order, the messages for `view`; drops those for earlier views. */
  takeFor(view: number): ViewMessage[] {
    const taken = this.messages.filter((m) => m.body.view === view);
    this.messages = this.messages.filter((m) => m.body.view > view);
    this.perSigner.clear();
    for (const m of this.messages) this.perSigner.set(m.signer, (this.perSigner.get(m.signer) ?? 0) + 1);
    return taken;
  }

  private evictFromHeaviestSigner(): void {
    let heaviest = -1;
    let most = 0;
    for (const [signer, count] of this.perSigner) {
      if (count > most) [heaviest, most] = [signer, count];
    }
    const index = this.messages.findIndex((m) => m.signer === heaviest);
    this.messages.splice(index, 1);
    if (most === 1) this.perSigner.delete(heaviest);
    else this.perSigner.set(heaviest, most - 1);
  }
}
