import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestChain } from '../../test/support/provenance-chain.ts';
import { hashHeader } from '../chain/header.ts';
import { encodeTx, signTx, verifyTxSignature } from '../chain/transaction.ts';
import { toHex, utf8 } from '../codec/bytes.ts';
import { encodeRlpItem } from '../codec/rlp.ts';
import { uint } from '../codec/schema.ts';
import { moduleKey } from '../exec/keys.ts';
import { verifyProvenanceBundle } from '../light/provenance-verify.ts';
import { kvModule } from '../modules/kv/kv-module.ts';
import { makeAgent } from '../modules/provenance/entry.ts';
import type { KvOp, KvRange, KvStore } from '../store/kv.ts';
import { openPgliteSqlStore } from '../store/pglite-sql.ts';
import { MerklePatriciaTrie } from '../trie/index.ts';
import { inMemoryHashedNodes } from '../trie/test-support.ts';
import { MAX_PENDING_STATE_WRITES, STATE_WRITE_INTERVAL } from './chain-state.ts';

/** A node store whose writes wait while `hold()` lasts (or fail with `failWith`): a slow or broken disk. */
class GatedKv implements KvStore {
  #open: Promise<void> | undefined;
  #release: (() => void) | undefined;
  failWith: Error | undefined;
  writesStarted = 0;

  constructor(private readonly inner: KvStore) {}

  hold(): void {
    this.#open = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  release(): void {
    this.#release?.();
    this.#open = undefined;
  }

  get(key: Uint8Array) {
    return this.inner.get(key);
  }
  has(key: Uint8Array) {
    return this.inner.has(key);
  }
  iterate(range?: KvRange) {
    return this.inner.iterate(range);
  }
  async write(ops: readonly KvOp[]): Promise<void> {
    this.writesStarted++;
    await this.#open;
    if (this.failWith) throw this.failWith;
    await this.inner.write(ops);
  }
  put(key: Uint8Array, value: Uint8Array) {
    return this.write([{ type: 'put', key, value }]);
  }
  del(key: Uint8Array) {
    return this.write([{ type: 'del', key }]);
  }
  async close(): Promise<void> {}
}

const rootAt = (chain: Awaited<ReturnType<typeof createTestChain>>, height: number) =>
  toHex(chain.blocks.headerAt(height)!.stateRoot);

describe('ChainState: world-state writes run behind consensus', () => {
  const put = (key: string) => [{ kind: 'kv.put', payload: { key, value: 'v' } }];

  async function gatedChain() {
    let gated: GatedKv | undefined;
    const chain = await createTestChain({
      modules: [kvModule],
      wrapNodes: (nodes) => {
        gated = new GatedKv(nodes);
        return gated;
      },
    });
    return { chain, gate: gated! };
  }

  it('commit returns while its state write waits for the disk; the state is served from memory meanwhile', async () => {
    const { chain, gate } = await gatedChain();
    gate.hold();
    for (let i = 1; i <= STATE_WRITE_INTERVAL + 3; i++) await chain.commit(put(`k${i}`));
    expect(gate.writesStarted).toBe(1); // the write due at STATE_WRITE_INTERVAL, waiting
    expect(toHex(chain.state.stateAt(STATE_WRITE_INTERVAL).root())).toBe(rootAt(chain, STATE_WRITE_INTERVAL));
    const stored = () =>
      MerklePatriciaTrie.open(chain.nodes, chain.blocks.headerAt(STATE_WRITE_INTERVAL)!.stateRoot);
    expect(() => stored().get(moduleKey('kv', utf8('k1')))).toThrow(); // not on disk yet
    gate.release();
    await chain.state.statesWritten();
    expect(stored().get(moduleKey('kv', utf8('k1')))).toBeDefined();
    expect(toHex(chain.state.stateAt(STATE_WRITE_INTERVAL).root())).toBe(rootAt(chain, STATE_WRITE_INTERVAL));
  });

  it(`commit waits for the disk once ${MAX_PENDING_STATE_WRITES} writes are queued behind the one in progress`, async () => {
    const { chain, gate } = await gatedChain();
    gate.hold();
    const due = (MAX_PENDING_STATE_WRITES + 1) * STATE_WRITE_INTERVAL;
    for (let i = 1; i < due; i++) await chain.commit(put(`k${i}`));
    let committed = false;
    const last = chain.commit(put('last')).then(() => {
      committed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(committed).toBe(false);
    gate.release();
    await last;
    await chain.state.statesWritten();
    expect(chain.state.head.height).toBe(due);
  });

  it('a failed state write stops the chain at the next commit, with the write error', async () => {
    const { chain, gate } = await gatedChain();
    gate.failWith = new Error('disk full');
    for (let i = 1; i <= STATE_WRITE_INTERVAL; i++) await chain.commit(put(`k${i}`));
    await expect(chain.state.statesWritten()).rejects.toThrow('disk full');
    await expect(chain.commit(put('after'))).rejects.toThrow('disk full');
    expect(chain.state.head.height).toBe(STATE_WRITE_INTERVAL);
  });
});

describe('ChainState: world state written every STATE_WRITE_INTERVAL heights', () => {
  it('serves recent states from memory, written ones from the store, and refuses the rest', async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    const top = STATE_WRITE_INTERVAL + 8;
    for (let i = 1; i <= top; i++)
      await chain.commit([{ kind: 'kv.put', payload: { key: `k${i}`, value: 'v' } }]);
    for (const height of [top, top - 3, STATE_WRITE_INTERVAL, 0]) {
      expect(toHex(chain.state.stateAt(height).root())).toBe(rootAt(chain, height));
    }
    expect(() => chain.state.stateAt(STATE_WRITE_INTERVAL - 5)).toThrow(
      expect.objectContaining({ code: 'STATE_NOT_KEPT' }),
    );
    expect(() => chain.state.stateAt(top + 1)).toThrow(expect.objectContaining({ code: 'STATE_NOT_KEPT' }));
  });

  it('holds in memory only the head state nodes its last write made, however large the state', async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    const put = (key: string) => ({
      kind: 'kv.put',
      payload: { key, value: 'a value long enough to be hashed' },
    });
    for (let i = 1; i <= STATE_WRITE_INTERVAL; i++)
      await chain.commit(Array.from({ length: 40 }, (_, j) => put(`bulk/${i}/${j}`)));
    for (let i = 1; i <= STATE_WRITE_INTERVAL; i++) await chain.commit([put(`trickle/${i}`)]);
    expect(chain.state.head.height).toBe(2 * STATE_WRITE_INTERVAL); // a written height
    await chain.state.statesWritten();
    const head = chain.state.headState;
    expect(head.countNodes()).toBeGreaterThan(40 * STATE_WRITE_INTERVAL);
    // The last interval changed 32 keys and one account: only their paths stay in memory.
    expect(inMemoryHashedNodes(head).length).toBeLessThan(8 * STATE_WRITE_INTERVAL);
    expect(head.get(moduleKey('kv', utf8('bulk/1/0')))).toBeDefined();
  });

  it("admission's head view follows the head: the head's nonces and registry, read once per head", async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    const { sender } = chain;
    const view = chain.state.headView;
    expect(view.nonce(sender.publicKey)).toBe(0);
    expect(chain.state.headView).toBe(view); // one view per head
    const prefix = moduleKey('kv', new Uint8Array(0));
    expect(view.prefixVersion(prefix)).toBe(view.prefixVersion(prefix));
    await chain.commit([{ kind: 'kv.put', payload: { key: 'k', value: 'v' } }]);
    const next = chain.state.headView;
    expect(next).not.toBe(view);
    expect(next.nonce(sender.publicKey)).toBe(1);
    expect(next.get(moduleKey('kv', utf8('k')))).toEqual(
      chain.state.headState.get(moduleKey('kv', utf8('k'))),
    );
    expect(next.prefixVersion(prefix)).not.toBe(view.prefixVersion(prefix)); // kv changed
    expect(view.nonce(sender.publicKey)).toBe(0); // the old head's view still answers for that head
  });

  it('writes at heights shifted by its phase, so validators sharing a machine do not write together', async () => {
    const phase = 5;
    const chain = await createTestChain({ modules: [kvModule], stateWritePhase: phase });
    for (let i = 1; i <= STATE_WRITE_INTERVAL + 8; i++)
      await chain.commit([{ kind: 'kv.put', payload: { key: `k${i}`, value: 'v' } }]);
    await chain.state.statesWritten();
    const onDisk = (height: number) => {
      try {
        MerklePatriciaTrie.open(chain.nodes, chain.blocks.headerAt(height)!.stateRoot).get(utf8('any'));
        return true;
      } catch {
        return false;
      }
    };
    expect(onDisk(STATE_WRITE_INTERVAL - phase)).toBe(true);
    expect(onDisk(STATE_WRITE_INTERVAL)).toBe(false);
  });

  it('a restart re-executes the blocks above the last written state: nothing committed is lost', async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    const top = STATE_WRITE_INTERVAL + 5;
    for (let i = 1; i <= top; i++)
      await chain.commit([{ kind: 'kv.put', payload: { key: `k${i}`, value: `${i}` } }]);
    // What a crash leaves: the blocks and the state written at STATE_WRITE_INTERVAL; the rest was in memory.
    const restarted = await chain.reopen();
    expect(restarted.head.height).toBe(top);
    expect(toHex(restarted.headState.root())).toBe(rootAt(chain, top));
    expect(toHex(restarted.stateAt(top - 2).root())).toBe(rootAt(chain, top - 2));
    expect(restarted.headState.get(moduleKey('kv', utf8(`k${top}`)))).toBeDefined();
    // ... and it keeps committing on top of the replayed state.
    expect(toHex(chain.state.headState.root())).toBe(toHex(restarted.headState.root()));
  });

  it('lists the transactions of a speculative block and its speculative ancestors, newest block first', async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    await chain.commit([{ kind: 'kv.put', payload: { key: 'committed', value: 'v' } }]);
    const signed = (nonce: number, key: string) =>
      encodeTx(
        signTx(
          {
            chainId: chain.genesis.chainId,
            sender: chain.sender.publicKey,
            nonce,
            kind: 'kv.put',
            payload: utf8(JSON.stringify({ key, value: 'v' })),
          },
          chain.sender.secretKey,
        ),
      );
    const template = (height: number) => ({
      chainId: chain.genesis.chainId,
      height,
      proposer: chain.sender.publicKey,
      view: 0,
      validatorSetHash: chain.validators.hash,
    });
    const headHex = toHex(hashHeader(chain.state.head));
    const first = await chain.state.build(headHex, template(2), [signed(1, 'x'), signed(2, 'y')]);
    const firstHex = toHex(hashHeader(first.block.header));
    const second = await chain.state.build(firstHex, template(3), [signed(3, 'z')]);
    const secondHex = toHex(hashHeader(second.block.header));

    expect(chain.state.inFlightTxHashLists(secondHex)).toEqual([
      second.executed.txHashes,
      first.executed.txHashes,
    ]);
    expect([...chain.state.inFlightTxHashes(secondHex)].sort()).toEqual(
      [...first.executed.txHashes, ...second.executed.txHashes].sort(),
    );
    expect(chain.state.inFlightTxHashLists(headHex)).toEqual([]); // the committed head carries nothing in flight
  });

  it('executes a certified block without checking its signatures again, on a restart and on a state transfer', async () => {
    let checks = 0;
    const chain = await createTestChain({
      modules: [kvModule],
      isSignatureValid: (tx) => {
        checks++;
        return verifyTxSignature(tx);
      },
    });
    for (let i = 1; i <= 3; i++)
      await chain.commit([
        { kind: 'kv.put', payload: { key: `a${i}`, value: 'v' } },
        { kind: 'kv.put', payload: { key: `b${i}`, value: 'v' } },
      ]);
    expect(checks).toBe(6); // the proposer's execution checked each transaction once
    // A restart replays the three certified blocks: every root is compared, no signature checked.
    checks = 0;
    const restarted = await chain.reopen();
    expect(restarted.head.height).toBe(3);
    expect(toHex(restarted.headState.root())).toBe(rootAt(chain, 3));
    expect(checks).toBe(0);
    // A block the restarted state never executed, committed with its certificate (a state transfer).
    const tx = signTx(
      {
        chainId: chain.genesis.chainId,
        sender: chain.sender.publicKey,
        nonce: 6,
        kind: 'kv.put',
        payload: utf8(JSON.stringify({ key: 'moved', value: 'v' })),
      },
      chain.sender.secretKey,
    );
    const { block } = await chain.state.build(
      toHex(hashHeader(chain.state.head)),
      {
        chainId: chain.genesis.chainId,
        height: 4,
        proposer: chain.sender.publicKey,
        view: 0,
        validatorSetHash: chain.validators.hash,
      },
      [encodeTx(tx)],
    );
    checks = 0;
    const certificate = { view: 0, height: 4, headerHash: hashHeader(block.header), votes: [] };
    const committed = await restarted.commit(block, certificate);
    expect(checks).toBe(0);
    expect(committed.executed.receipts[0]!.status).toBe('ok');
    expect(restarted.headState.get(moduleKey('kv', utf8('moved')))).toBeDefined();
    // An uncertified block (a proposal) still has every signature checked.
    await chain.state.validate(block);
    expect(checks).toBe(1);
  });

  it('serves provenance bundles while the head state is only in memory', async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    const agent = makeAgent({ uri: 'https://agents.example.org/surveyor' });
    const dir = mkdtempSync(join(tmpdir(), 'meridian-chain-state-'));
    const service = chain.service(() => openPgliteSqlStore({ dataDir: join(dir, 'db') }));
    try {
      await chain.anchor([agent]);
      expect((await service.putRecords([agent])).results[0]?.status).toBe('stored');
      await chain.commit([{ kind: 'kv.put', payload: { key: 'after', value: 'v' } }]);
      const bundle = await service.bundle(agent.uri, { comprehensive: false, latest: true });
      expect(verifyProvenanceBundle(bundle).valid).toBe(true);
    } finally {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the state of every block that anchors provenance (provenance bundles prove against it)', async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    await chain.commit([{ kind: 'kv.put', payload: { key: 'a', value: 'v' } }]);
    const anchored = await chain.anchor([makeAgent({ uri: 'https://agents.example.org/surveyor' })]);
    await chain.commit([{ kind: 'kv.put', payload: { key: 'b', value: 'v' } }]);
    const restarted = await chain.reopen();
    const height = anchored.block.header.height;
    expect(toHex(restarted.stateAt(height).root())).toBe(rootAt(chain, height));
    expect(() => restarted.stateAt(1)).toThrow(expect.objectContaining({ code: 'STATE_NOT_KEPT' }));
  });

  it('a restart that replays a block anchoring provenance writes its state, as commit would have', async () => {
    const chain = await createTestChain({ modules: [kvModule] });
    await chain.commit([{ kind: 'kv.put', payload: { key: 'a', value: 'v' } }]);
    const anchored = await chain.anchor([makeAgent({ uri: 'https://agents.example.org/surveyor' })]);
    await chain.commit([{ kind: 'kv.put', payload: { key: 'b', value: 'v' } }]);
    const height = anchored.block.header.height;
    // As if the node crashed after writing the anchoring block but before its state write.
    const [writtenKey, writtenValue] = [...chain.meta.iterate()][0]!;
    expect(toHex(writtenValue)).toBe(toHex(encodeRlpItem(uint.encode(height))));
    await chain.meta.put(writtenKey, encodeRlpItem(uint.encode(0)));
    const replayed = await chain.reopen();
    expect(toHex(replayed.stateAt(height).root())).toBe(rootAt(chain, height));
    // The replay recorded the anchoring height as written, so the next start replays from there.
    expect(toHex([...chain.meta.iterate()][0]![1])).toBe(toHex(encodeRlpItem(uint.encode(height))));
  });
});
