/**
 * Test fixture for lmdb-kv.test.ts (not a test itself): writes numbered batches
 * to the lmdb store in `argv[2]` forever, printing each batch number once its
 * write has resolved, until the parent SIGKILLs it. It resumes after the last
 * batch found in the store, so the parent can kill and restart it repeatedly.
 *
 * Batch b puts CRASH_KEYS_PER_BATCH keys [b (4 bytes BE), j (2 bytes BE)] with
 * 256-byte values filled with b & 0xff, and overwrites the key "last" with b.
 */

import type { KvOp } from './kv.ts';
import { openLmdbKv } from './lmdb-kv.ts';

const KEYS_PER_BATCH = 64;
const LAST = new TextEncoder().encode('last');

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: lmdb-kv.crash-child.ts <dir>');
const store = await openLmdbKv(dir);
const last = store.get(LAST);
let batch = last === undefined ? 0 : new DataView(last.buffer, last.byteOffset).getUint32(0) + 1;
process.stdout.write(`open ${batch}\n`);
for (;;) {
  const ops: KvOp[] = [];
  for (let j = 0; j < KEYS_PER_BATCH; j++) {
    const key = new Uint8Array(6);
    new DataView(key.buffer).setUint32(0, batch);
    new DataView(key.buffer).setUint16(4, j);
    ops.push({ type: 'put', key, value: new Uint8Array(256).fill(batch & 0xff) });
  }
  const marker = new Uint8Array(4);
  new DataView(marker.buffer).setUint32(0, batch);
  ops.push({ type: 'put', key: LAST, value: marker });
  await store.write(ops);
  process.stdout.write(`${batch}\n`);
  batch++;
}
