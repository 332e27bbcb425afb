import { describe, expect, it } from 'vitest';
import { createTestChain } from '../../test/support/provenance-chain.ts';
import type { EventInterest, NodeEvent } from '../api/node-api.ts';
import { toHex } from '../codec/bytes.ts';
import { kvModule } from '../modules/kv/kv-module.ts';
import { NodeEvents } from './events.ts';
import { createLogger } from './logger.ts';

async function committedPair() {
  const chain = await createTestChain({ modules: [kvModule] });
  const committed = await chain.commit([
    { kind: 'kv.put', payload: { key: 'a', value: '1' } },
    { kind: 'kv.put', payload: { key: 'b', value: '2' } },
  ]);
  const hashes = committed.executed.receipts.map((r) => toHex(r.txHash));
  return { committed, hashes };
}

function listen(events: NodeEvents, interest?: EventInterest): string[] {
  const seen: string[] = [];
  events.subscribe((event: NodeEvent) => {
    seen.push(event.type === 'tx' ? `tx ${event.hash}` : event.type);
  }, interest);
  return seen;
}

describe('NodeEvents: per-transaction notifications only when someone wants them', () => {
  it('builds the tx notifications a listener asks for and no module events it does not', async () => {
    const { committed, hashes } = await committedPair();
    const events = new NodeEvents(createLogger({ name: 'events-test', level: 'silent' }));
    const seen = listen(events, { tx: (hash) => hash === hashes[0], events: () => false });
    events.publishCommitted(committed);
    expect(seen).toEqual(['head', `tx ${hashes[0]}`]);
  });

  it('a listener without interest gets everything, module events included', async () => {
    const { committed, hashes } = await committedPair();
    expect(committed.executed.receipts.every((r) => r.events.length > 0)).toBe(true);
    const events = new NodeEvents(createLogger({ name: 'events-test', level: 'silent' }));
    const seen = listen(events);
    events.publishCommitted(committed);
    expect(seen).toEqual(['head', `tx ${hashes[0]}`, 'event', `tx ${hashes[1]}`, 'event']);
  });
});
