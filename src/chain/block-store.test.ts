import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { encodeReceipt, type Receipt } from '../exec/receipt.ts';
import { openLmdbKv } from '../store/lmdb-kv.ts';
import { openMemoryKv } from '../store/memory-kv.ts';
import { BlockStore } from './block-store.ts';
import { type BlockHeader, hashHeader } from './header.ts';

const zero = new Uint8Array(32);
function header(height: number, parentHash: Uint8Array): BlockHeader {
  return {
    chainId: 'c',
    height,
    parentHash,
    timestampMs: 1000 + height,
    proposer: zero,
    view: 0,
    transactionsRoot: zero,
    stateRoot: new Uint8Array(32).fill(height),
    receiptsRoot: zero,
    provenanceRoot: zero,
    validatorSetHash: zero,
  };
}
const receipt = (txHash: Uint8Array): Receipt => ({
  txHash,
  status: 'ok',
  errorCode: '',
  errorMessage: '',
  result: new Uint8Array(0),
  events: [],
  gasUsed: 0,
});
const certificate = (height: number, headerHash: Uint8Array) => ({
  view: 2,
  height,
  headerHash,
  votes: [{ validator: 1, signature: new Uint8Array(64).fill(7) }],
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('BlockStore', () => {
  it('appends genesis then blocks, and indexes them by height, hash and transaction', async () => {
    const store = new BlockStore(await openMemoryKv());
    expect(store.height).toBeUndefined();
    const g = header(0, zero);
    await store.append(g, [], undefined, [], []);
    const h1 = header(1, hashHeader(g));
    const txHash = new Uint8Array(32).fill(9);
    await store.append(
      h1,
      [Uint8Array.of(1, 2)],
      certificate(1, hashHeader(h1)),
      [encodeReceipt(receipt(txHash))],
      [txHash],
    );
    expect(store.height).toBe(1);
    expect(toHex(store.headHash!)).toBe(toHex(hashHeader(h1)));
    expect(store.blockAt(1)?.txs).toEqual([Uint8Array.of(1, 2)]);
    expect(store.certificateAt(1)?.view).toBe(2);
    expect(store.certificateAt(0)).toBeUndefined();
    expect(store.heightOf(hashHeader(g))).toBe(0);
    expect(store.txLocation(txHash)).toEqual({ height: 1, index: 0 });
    expect(store.receiptsAt(1)?.[0]?.status).toBe('ok');
    expect(store.blockAt(2)).toBeUndefined();
  });

  it('reads one transaction or receipt of a block as the whole-block reads would', async () => {
    const store = new BlockStore(await openMemoryKv());
    const g = header(0, zero);
    await store.append(g, [], undefined, [], []);
    const h1 = header(1, hashHeader(g));
    const txs = [Uint8Array.of(5), new Uint8Array(70_000).fill(3), new Uint8Array(40).fill(4)];
    const hashes = txs.map((_, i) => new Uint8Array(32).fill(i + 1));
    await store.append(
      h1,
      txs,
      certificate(1, hashHeader(h1)),
      hashes.map((h) => encodeReceipt(receipt(h))),
      hashes,
    );
    for (let i = 0; i < txs.length; i++) {
      expect(store.txAt(1, i)).toEqual(store.txsAt(1)![i]);
      expect(store.receiptAt(1, i)).toEqual(store.receiptsAt(1)![i]);
    }
    expect(store.txCountAt(1)).toBe(3);
    expect(store.txCountAt(0)).toBe(0);
    expect(store.txAt(2, 0)).toBeUndefined();
    expect(() => store.txAt(1, 3)).toThrow(expect.objectContaining({ code: 'RLP_INDEX' }));
  });

  it('refuses a block that does not extend the head (a caller bug)', async () => {
    const store = new BlockStore(await openMemoryKv());
    const g = header(0, zero);
    await store.append(g, [], undefined, [], []);
    await expect(store.append(header(2, hashHeader(g)), [], undefined, [], [])).rejects.toThrow(
      /expects height 1/,
    );
    await expect(store.append(header(1, zero), [], undefined, [], [])).rejects.toThrow(/does not extend/);
  });

  it('finds its head again after reopening an lmdb store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blockstore-'));
    dirs.push(dir);
    const kv = await openLmdbKv(dir);
    const store = new BlockStore(kv);
    const g = header(0, zero);
    await store.append(g, [], undefined, [], []);
    const h1 = header(1, hashHeader(g));
    await store.append(h1, [], certificate(1, hashHeader(h1)), [], []);
    await kv.close();
    const reopened = new BlockStore(await openLmdbKv(dir));
    expect(reopened.height).toBe(1);
    expect(toHex(reopened.headHash!)).toBe(toHex(hashHeader(h1)));
  });
});
