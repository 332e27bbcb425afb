import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlStore } from './open-sql.ts';
import { openPgliteSqlStore } from './pglite-sql.ts';
import { openPostgresSqlStore } from './postgres-sql.ts';
import { dropSchemas, freshSchema, TEST_POSTGRES_URL } from './postgres-test-schemas.ts';
import { runSqlComplianceSuite } from './sql-compliance.ts';

/**
 * CI starts PostgreSQL; when it is not reachable these tests FAIL (they never
 * skip), with SQL_UNAVAILABLE and a hint saying how to check the server.
 */
const POSTGRES_URL = TEST_POSTGRES_URL;

const root = mkdtempSync(join(tmpdir(), 'meridian-sql-'));
let counter = 0;
const freshDir = () => join(root, `pglite-${counter++}`);

afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropSchemas();
});

runSqlComplianceSuite('PGlite', () => openPgliteSqlStore({ dataDir: 'memory://' }));
runSqlComplianceSuite('PostgreSQL', () =>
  openPostgresSqlStore({ connectionString: POSTGRES_URL, schema: freshSchema() }),
);

describe('PGlite on disk', () => {
  it('keeps committed rows across close and reopen', async () => {
    const dataDir = freshDir();
    const first = await openPgliteSqlStore({ dataDir });
    await first.exec('CREATE TABLE kept (k text PRIMARY KEY, v bytea)');
    await first.query('INSERT INTO kept VALUES ($1, $2)', ['a', new Uint8Array([0, 1])]);
    await first.close();
    const second = await openPgliteSqlStore({ dataDir });
    expect(await second.query('SELECT k, v FROM kept')).toEqual([{ k: 'a', v: new Uint8Array([0, 1]) }]);
    await second.close();
  });

  it('refuses a second open of the same data directory with STORE_LOCKED', async () => {
    const dataDir = freshDir();
    const first = await openPgliteSqlStore({ dataDir });
    await expect(openPgliteSqlStore({ dataDir })).rejects.toMatchObject({ code: 'STORE_LOCKED' });
    await first.close();
  });

  it('refuses a data directory path that runs through a file with SQL_OPEN_FAILED', async () => {
    const file = join(root, `file-${counter++}`);
    writeFileSync(file, 'not a directory');
    await expect(openPgliteSqlStore({ dataDir: join(file, 'db') })).rejects.toMatchObject({
      code: 'SQL_OPEN_FAILED',
      hint: expect.any(String),
    });
  });
});

describe('PostgreSQL server', () => {
  it(`is reachable at ${POSTGRES_URL} (CI starts it; run \`pg_isready -h 127.0.0.1\` if this fails)`, async () => {
    const store = await openPostgresSqlStore({ connectionString: POSTGRES_URL });
    expect(await store.query('SELECT 1 AS up')).toEqual([{ up: 1 }]);
    await store.close();
  });

  it('isolates schemas: two stores on one server create the same table without colliding', async () => {
    const a = await openPostgresSqlStore({ connectionString: POSTGRES_URL, schema: freshSchema() });
    const b = await openPostgresSqlStore({ connectionString: POSTGRES_URL, schema: freshSchema() });
    await a.exec('CREATE TABLE same_name (v text)');
    await b.exec('CREATE TABLE same_name (v text)');
    await a.query('INSERT INTO same_name VALUES ($1)', ['from a']);
    expect(await b.query('SELECT v FROM same_name')).toEqual([]);
    expect(await a.query('SELECT v FROM same_name')).toEqual([{ v: 'from a' }]);
    await a.close();
    await b.close();
  });

  it('sets search_path on every pooled connection', async () => {
    const schema = freshSchema();
    const store = await openPostgresSqlStore({ connectionString: POSTGRES_URL, schema });
    // pg_sleep keeps each connection busy so the pool has to open several.
    const rows = await Promise.all(
      Array.from({ length: 4 }, () =>
        store.query<{ schema: string; pid: number }>(
          'SELECT current_schema() AS schema, pg_backend_pid() AS pid FROM pg_sleep(0.2)',
        ),
      ),
    );
    const seen = rows.map(([row]) => row!);
    expect(new Set(seen.map((r) => r.schema))).toEqual(new Set([schema]));
    expect(new Set(seen.map((r) => r.pid)).size).toBeGreaterThan(1);
    await store.close();
  });

  it('reports an unreachable server as SQL_UNAVAILABLE with a pg_isready hint, without the password', async () => {
    const error = await openPostgresSqlStore({
      connectionString: 'postgres://meridian:hunter2@127.0.0.1:1/test',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SQL_UNAVAILABLE', hint: expect.stringContaining('pg_isready') });
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('reports a missing database as SQL_UNAVAILABLE', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = '/meridian_no_such_database';
    await expect(openPostgresSqlStore({ connectionString: url.toString() })).rejects.toMatchObject({
      code: 'SQL_UNAVAILABLE',
    });
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      openPostgresSqlStore({ connectionString: POSTGRES_URL, schema: 'x"; DROP SCHEMA public; --' }),
    ).rejects.toMatchObject({ code: 'SQL_BAD_SCHEMA' });
  });
});

describe('openSqlStore', () => {
  it('opens PGlite or PostgreSQL from config', async () => {
    const lite = await openSqlStore({ kind: 'pglite', dataDir: 'memory://' });
    expect(lite.dialect).toBe('pglite');
    await lite.close();
    const schema = freshSchema();
    const server = await openSqlStore({ kind: 'postgres', connectionString: POSTGRES_URL, schema });
    expect(server.dialect).toBe('postgres');
    expect(await server.query('SELECT current_schema() AS s')).toEqual([{ s: schema }]);
    await server.close();
  });
});
