import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { utf8 } from '../codec/bytes.ts';
import type { KvStore } from './kv.ts';
import { MAX_KEY_BYTES } from './kv-checks.ts';
import { runKvComplianceSuite } from './kv-compliance.ts';
import { openLmdbKv } from './lmdb-kv.ts';
import { openMemoryKv } from './memory-kv.ts';
import { prefixedKv } from './prefixed-kv.ts';

const root = mkdtempSync(join(tmpdir(), 'meridian-kv-'));
let counter = 0;
const freshDir = () => join(root, `db-${counter++}`);

/** Inner stores of prefixed views: the suite closes the view, the test closes what is under it. */
const inners: KvStore[] = [];
afterEach(async () => {
  for (const inner of inners.splice(0)) await inner.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Fills the inner store with keys just outside the view's prefix (and one inside a
 * sibling namespace), so every compliance test also checks that the view never
 * leaks them.
 */
async function withNeighbours(inner: KvStore, prefix: Uint8Array): Promise<KvStore> {
  // Two-byte prefix whose last byte is neither 0x00 nor 0xff, so below and above exist.
  inners.push(inner);
  const below = prefix.slice();
  below[below.length - 1]!--;
  const above = prefix.slice();
  above[above.length - 1]!++;
  await inner.write([
    { type: 'put', key: below, value: utf8('below') },
    { type: 'put', key: new Uint8Array([...below, 0xff, 0xff]), value: utf8('below, long') },
    { type: 'put', key: prefix.slice(0, 1), value: utf8('shorter') },
    { type: 'put', key: prefix, value: utf8('the prefix itself') },
    { type: 'put', key: above, value: utf8('above') },
    { type: 'put', key: new Uint8Array([...above, 0x00]), value: utf8('above, long') },
  ]);
  return prefixedKv(inner, prefix);
}

const PREFIX = new Uint8Array([0x10, 0x80]);

runKvComplianceSuite('memory', openMemoryKv);
runKvComplianceSuite('lmdb', () => openLmdbKv(freshDir()), { modelRuns: 30 });
runKvComplianceSuite('prefixed(memory)', async () => withNeighbours(await openMemoryKv(), PREFIX), {
  maxKeyBytes: MAX_KEY_BYTES - PREFIX.length,
});
runKvComplianceSuite('prefixed(lmdb)', async () => withNeighbours(await openLmdbKv(freshDir()), PREFIX), {
  maxKeyBytes: MAX_KEY_BYTES - PREFIX.length,
  modelRuns: 30,
});
