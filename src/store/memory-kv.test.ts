import { describe, expect, it } from 'vitest';
import type { KvOp } from './kv.ts';
import { openMemoryKv } from './memory-kv.ts';

const key = (n: number) => new Uint8Array([n >>> 16, (n >>> 8) & 0xff, n & 0xff]);

describe('MemoryKvStore', () => {
  it('takes 100k single-key writes in scrambled order and iterates them in order', async () => {
    const store = await openMemoryKv();
    const count = 100_000;
    for (let i = 0; i < count; i++) {
      const n = (i * 7919) % count;
      await store.put(key(n), key(n));
    }
    expect(store.size).toBe(count);
    let inOrder = 0;
    for (const [k, v] of store.iterate()) {
      const n = (k[0]! << 16) | (k[1]! << 8) | k[2]!;
      if (n === inOrder && v[2] === (n & 0xff)) inOrder++;
    }
    expect(inOrder).toBe(count);
    await store.close();
  });

  it('keeps every open snapshot intact while writes alternate with new iterations', async () => {
    const store = await openMemoryKv();
    await store.write(
      Array.from({ length: 2000 }, (_, n): KvOp => ({ type: 'put', key: key(n), value: key(n) })),
    );
    const open: { iterator: IterableIterator<[Uint8Array, Uint8Array]>; expectedCount: number }[] = [];
    for (let round = 0; round < 20; round++) {
      open.push({ iterator: store.iterate(), expectedCount: store.size });
      // Delete 50 keys and add 10 new ones: the open iterators must not notice.
      const ops: KvOp[] = [];
      for (let j = 0; j < 50; j++) ops.push({ type: 'del', key: key(round * 50 + j) });
      for (let j = 0; j < 10; j++)
        ops.push({ type: 'put', key: key(10_000 + round * 10 + j), value: key(0) });
      await store.write(ops);
    }
    for (const { iterator, expectedCount } of open) expect([...iterator].length).toBe(expectedCount);
    expect(store.size).toBe(2000 - 20 * 50 + 20 * 10);
    await store.close();
  });
});
