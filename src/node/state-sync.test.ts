/**
 * StateSync against in-process peers: a fake transport hands requests to the
 * real serving code over a certified test chain (real tries, real
 * certificates) and the answers back, optionally tampered. The multi-process
 * path over TLS is in test/faults/crash-recovery.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createTestChain, type TestChain } from '../../test/support/provenance-chain.ts';
import { smallMerge } from '../../test/support/provenance-fixture.ts';
import { BlockStore } from '../chain/block-store.ts';
import { toHex, utf8 } from '../codec/bytes.ts';
import { kvModule } from '../modules/kv/kv-module.ts';
import type { Transport } from '../net/transport.ts';
import { MemoryKvStore } from '../store/memory-kv.ts';
import { prefixedKv } from '../store/prefixed-kv.ts';
import { MerklePatriciaTrie } from '../trie/index.ts';
import { BlockSync } from './block-sync.ts';
import { ChainState } from './chain-state.ts';
import { createLogger } from './logger.ts';
import { serveStateOffer, serveTrieNodes } from './state-serve.ts';
import { STATE_SYNC_MIN_GAP, StateSync, TRIE_REQUESTS_IN_FLIGHT } from './state-sync.ts';
import { ValidatorSchedule } from './validator-schedule.ts';
import { WalStore } from './wal-store.ts';
import { decodeNodeMessage, type NodeMessage } from './wire.ts';

const logger = createLogger({ name: 'state-sync-test', level: 'silent' });

/** A peer serving `chain`; `tamper` may rewrite its answers. */
interface Peer {
  readonly key: Uint8Array;
  readonly chain: TestChain;
  readonly tamper?: (reply: NodeMessage) => NodeMessage;
}

/** Trie-node requests a fake transport carried: how many were unanswered at once, at most. */
interface TrieRequestStats {
  outstanding: number;
  maxOutstanding: number;
}

/** A transport whose peers answer from their chains through the real serving code. */
function fakeTransport(peers: readonly Peer[], deliver: () => StateSync, stats: TrieRequestStats): Transport {
  const fake = {
    publicKey: new Uint8Array(32),
    peers: () => peers.map((p) => ({ publicKey: p.key, id: toHex(p.key), connected: true })) as never,
    send(to: Uint8Array, payload: Uint8Array) {
      const peer = peers.find((p) => toHex(p.key) === toHex(to))!;
      const answer: Transport = {
        send(_: unknown, reply: Uint8Array) {
          let message = decodeNodeMessage(reply);
          if (peer.tamper) message = peer.tamper(message);
          queueMicrotask(() => {
            if (message.type === 'trieNodes') stats.outstanding--;
            deliver().handleReply(peer.key, message as never);
          });
          return true;
        },
      } as unknown as Transport;
      const stores = { nodes: peer.chain.nodes, meta: peer.chain.meta };
      const request = decodeNodeMessage(payload);
      if (request.type === 'stateOfferRequest') serveStateOffer(answer, stores, to, request);
      if (request.type === 'trieNodesRequest') {
        stats.maxOutstanding = Math.max(stats.maxOutstanding, ++stats.outstanding);
        serveTrieNodes(answer, stores, to, request);
      }
      if (request.type === 'syncRequest')
        new BlockSync(answer, peer.chain.blocks, logger).handleRequest(to, request);
      return true;
    },
  };
  return fake as unknown as Transport;
}

/** A node with nothing but genesis, syncing from `peers`. */
async function freshNode(source: TestChain, peers: readonly Omit<Peer, 'chain'>[]) {
  const kv = new MemoryKvStore();
  const blocks = new BlockStore(prefixedKv(kv, utf8('b/')));
  const stores = { nodes: prefixedKv(kv, utf8('n/')), meta: prefixedKv(kv, utf8('s/')) };
  const genesisHeader = source.blocks.headerAt(0)!;
  // Only the genesis state, as a node builds it from the genesis file.
  const genesisState = new MerklePatriciaTrie({ store: stores.nodes });
  for (const [key, value] of MerklePatriciaTrie.open(source.nodes, genesisHeader.stateRoot).entries())
    genesisState.put(key, value);
  expect(toHex(await genesisState.commit())).toBe(toHex(genesisHeader.stateRoot));
  await blocks.append(genesisHeader, [], undefined, [], []);
  await ChainState.markWritten(stores.meta, 0);
  const wal = WalStore.open(prefixedKv(kv, utf8('w/')));
  const schedule = ValidatorSchedule.open(prefixedKv(kv, utf8('v/')), source.genesis.validators);
  let sync: StateSync | undefined;
  const trieRequests: TrieRequestStats = { outstanding: 0, maxOutstanding: 0 };
  const transport = fakeTransport(
    peers.map((p) => ({ ...p, chain: source })),
    () => sync!,
    trieRequests,
  );
  sync = new StateSync({ transport, blocks, stores, wal, schedule, genesis: source.genesis, logger });
  return { sync, blocks, stores, wal, kv, trieRequests };
}

async function longChain(): Promise<{ chain: TestChain; anchoredAt: number }> {
  const chain = await createTestChain({ modules: [kvModule] });
  for (let i = 1; i <= 40; i++)
    await chain.commit([{ kind: 'kv.put', payload: { key: `k${i}`, value: 'v' } }]);
  const anchoredAt = (await chain.anchor(smallMerge(4).entries)).block.header.height;
  for (let i = 41; i <= 110; i++)
    await chain.commit([{ kind: 'kv.put', payload: { key: `k${i}`, value: 'v' } }]);
  await chain.state.statesWritten();
  return { chain, anchoredAt };
}

describe('StateSync', () => {
  it('installs the latest written state, the blocks below it unexecuted, and the provenance tries', async () => {
    const { chain, anchoredAt } = await longChain();
    const offered = ChainState.writtenHeight(chain.meta)!;
    expect(offered).toBeGreaterThanOrEqual(STATE_SYNC_MIN_GAP);
    // The first peer lies about receipts; the second is honest: the sync moves on and succeeds.
    const liar = {
      key: new Uint8Array(32).fill(1),
      tamper: (m: NodeMessage) =>
        m.type === 'syncReply'
          ? { ...m, blocks: m.blocks.map((b) => ({ ...b, receipts: b.receipts?.map(() => utf8('forged')) })) }
          : m,
    };
    const node = await freshNode(chain, [liar, { key: new Uint8Array(32).fill(2) }]);
    expect(await node.sync.run()).toBe(offered);

    expect(node.blocks.height).toBe(offered);
    expect(ChainState.writtenHeight(node.stores.meta)).toBe(offered);
    for (const h of [1, anchoredAt, offered]) {
      expect(toHex(node.blocks.blockAt(h)!.hash)).toBe(toHex(chain.blocks.blockAt(h)!.hash));
      expect(node.blocks.certificateAt(h)).toEqual(chain.blocks.certificateAt(h));
      expect(node.blocks.receiptsAt(h)).toEqual(chain.blocks.receiptsAt(h));
    }
    // The installed state is the certified one, complete: it opens and reads like the source's.
    const header = node.blocks.headerAt(offered)!;
    const mine = MerklePatriciaTrie.open(node.stores.nodes, header.stateRoot);
    const theirs = MerklePatriciaTrie.open(chain.nodes, header.stateRoot);
    expect([...mine.entries()].length).toBe([...theirs.entries()].length);
    // The anchoring block's provenance trie and world state, for provenance proofs.
    const anchored = node.blocks.headerAt(anchoredAt)!;
    expect([...MerklePatriciaTrie.open(node.stores.nodes, anchored.provenanceRoot).entries()]).toEqual([
      ...MerklePatriciaTrie.open(chain.nodes, anchored.provenanceRoot).entries(),
    ]);
    expect(() => MerklePatriciaTrie.open(node.stores.nodes, anchored.stateRoot)).not.toThrow();
    // The rotation record at the installed height, for the consensus core's restore.
    const reputation = node.wal.records.filter((r) => r.type === 'reputation');
    expect(reputation.map((r) => r.snapshot.height)).toEqual([offered]);
  });

  it(`keeps several (at most ${TRIE_REQUESTS_IN_FLIGHT}) trie-node requests in flight on a big state, and installs all of it`, async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    for (let b = 0; b < 8; b++)
      await chain.commit(
        Array.from({ length: 500 }, (_, i) => ({
          kind: 'kv.put',
          payload: { key: `big/${b}/${i}`, value: 'v' },
        })),
      );
    for (let i = 0; i < STATE_SYNC_MIN_GAP; i++)
      await chain.commit([{ kind: 'kv.put', payload: { key: `small/${i}`, value: 'v' } }]);
    await chain.state.statesWritten();
    const node = await freshNode(chain, [{ key: new Uint8Array(32).fill(5) }]);
    const installed = (await node.sync.run())!;
    expect(installed).toBeGreaterThanOrEqual(STATE_SYNC_MIN_GAP);
    expect(node.trieRequests.maxOutstanding).toBeGreaterThan(1);
    expect(node.trieRequests.maxOutstanding).toBeLessThanOrEqual(TRIE_REQUESTS_IN_FLIGHT);
    const root = node.blocks.headerAt(installed)!.stateRoot;
    const mine = [...MerklePatriciaTrie.open(node.stores.nodes, root).entries()].map(
      ([k, v]) => toHex(k) + toHex(v),
    );
    const theirs = [...MerklePatriciaTrie.open(chain.nodes, root).entries()].map(
      ([k, v]) => toHex(k) + toHex(v),
    );
    expect(mine.length).toBeGreaterThan(4_000);
    expect(mine).toEqual(theirs);
  }, 60_000);

  it('stays with block replay when no peer is far enough ahead or every peer lies', async () => {
    const { chain } = await longChain();
    const forging = (m: NodeMessage) =>
      m.type === 'trieNodes' ? { ...m, nodes: m.nodes.map(() => utf8('not the node')) } : m;
    const node = await freshNode(chain, [{ key: new Uint8Array(32).fill(3), tamper: forging }]);
    expect(await node.sync.run()).toBeUndefined();
    // What it verified stays, but no state is marked installed: ChainState.open replays from genesis.
    expect(ChainState.writtenHeight(node.stores.meta)).toBe(0);

    const near = await createTestChain({ modules: [kvModule] });
    for (let i = 1; i < STATE_SYNC_MIN_GAP; i++)
      await near.commit([{ kind: 'kv.put', payload: { key: `k${i}`, value: 'v' } }]);
    const behind = await freshNode(near, [{ key: new Uint8Array(32).fill(4) }]);
    expect(await behind.sync.run()).toBeUndefined();
    expect(behind.blocks.height).toBe(0);
  }, 60_000);
});
