import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openPgliteSqlStore } from './pglite-sql.ts';
import { PgliteThread } from './pglite-thread.ts';

describe('PGlite on its own thread', () => {
  it("a long statement leaves the caller's event loop free", async () => {
    const store = await openPgliteSqlStore({ dataDir: 'memory://' });
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const started = performance.now();
      const [row] = await store.query<{ n: string }>('SELECT count(*) AS n FROM generate_series(1, 1000000)');
      const elapsedMs = performance.now() - started;
      clearInterval(timer);
      expect(row!.n).toBe('1000000');
      // On the caller's thread the WASM statement runs in one synchronous stretch: no tick at all.
      expect(elapsedMs).toBeGreaterThan(50);
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      await store.close();
    }
  });

  it('a thread that died fails later requests with PGLITE_THREAD_EXITED', async () => {
    const thread = new PgliteThread();
    await thread.request({ op: 'open', dataDir: 'memory://' });
    expect(await thread.request({ op: 'query', sql: 'SELECT 1 AS one', params: [] })).toEqual([{ one: 1 }]);
    await thread.terminate();
    await expect(thread.request({ op: 'exec', sql: 'SELECT 1' })).rejects.toMatchObject({
      code: 'PGLITE_THREAD_EXITED',
    });
  });

  it('a parameter that cannot reach the thread fails that request only', async () => {
    const thread = new PgliteThread();
    try {
      await thread.request({ op: 'open', dataDir: 'memory://' });
      await expect(
        thread.request({ op: 'query', sql: 'SELECT $1::text AS v', params: [() => 'a function'] }),
      ).rejects.toThrow(/could not be cloned/);
      expect(await thread.request({ op: 'query', sql: 'SELECT $1::text AS v', params: ['ok'] })).toEqual([
        { v: 'ok' },
      ]);
    } finally {
      await thread.terminate();
    }
  });

  it('a database error keeps its SQLSTATE and detail across the thread', async () => {
    const thread = new PgliteThread();
    try {
      await thread.request({ op: 'open', dataDir: 'memory://' });
      await thread.request({ op: 'exec', sql: 'CREATE TABLE t (k int PRIMARY KEY)' });
      await thread.request({ op: 'exec', sql: 'INSERT INTO t VALUES (1)' });
      await expect(thread.request({ op: 'exec', sql: 'INSERT INTO t VALUES (1)' })).rejects.toMatchObject({
        code: '23505',
        constraint: 't_pkey',
        detail: expect.stringContaining('(k)=(1)'),
      });
    } finally {
      await thread.terminate();
    }
  });

  it('a store or thread nobody closed does not keep a finished process alive, even after a failed send', () => {
    const store = fileURLToPath(new URL('./pglite-sql.ts', import.meta.url));
    const thread = fileURLToPath(new URL('./pglite-thread.ts', import.meta.url));
    const script = `const { openPgliteSqlStore } = await import(${JSON.stringify(store)});
      const { PgliteThread } = await import(${JSON.stringify(thread)});
      const s = await openPgliteSqlStore({ dataDir: 'memory://' });
      const t = new PgliteThread();
      await t.request({ op: 'open', dataDir: 'memory://' });
      await t.request({ op: 'query', sql: 'SELECT $1::text', params: [() => 0] }).catch(() => {});
      console.log(JSON.stringify(await s.query('SELECT 41 + 1 AS n')));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.error).toBeUndefined(); // a timeout (the process held open) is an error here
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('[{"n":42}]');
  }, 40_000);
});
