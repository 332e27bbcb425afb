import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Migration, migrate } from './migrate.ts';
import type { SqlStore } from './sql.ts';

/**
 * The `SqlStore` contract (src/store/sql.ts) as a vitest suite, run against
 * PGlite and PostgreSQL in sql.test.ts: same statements, same row shapes, same
 * errors. `open` returns a store on an empty database or schema; the suite
 * shares one store across its tests (PGlite takes seconds to start), so each
 * test uses its own tables, and closes it at the end.
 */
export function runSqlComplianceSuite(name: string, open: () => Promise<SqlStore>): void {
  describe(`SqlStore compliance: ${name}`, () => {
    let store: SqlStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe('values round-trip in the same shapes on every backend', () => {
      beforeAll(async () => {
        await store.exec(`
          CREATE TABLE shapes (
            id int PRIMARY KEY,
            b bytea, i8 int8, j jsonb, ts timestamptz, t text, i4 int4, ok bool,
            n numeric, d date, f float8, ta text[], i8a int8[], ba bytea[]
          )`);
      });

      const insert =
        'INSERT INTO shapes (id, b, i8, j, ts, t, i4, ok, n, d, f, ta, i8a, ba) ' +
        'VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)';

      it('bytea with 0x00 bytes, int8 beyond 2^53, jsonb, timestamptz, unicode text, and the rest', async () => {
        const bytes = new Uint8Array([0x00, 0x01, 0x00, 0xff, 0x00]);
        const json = { name: 'Zürich ☂', list: [1, 'two', null, { deep: true }], empty: {}, n: 1.5 };
        const when = new Date('2024-02-29T23:59:58.123Z');
        const text = 'héllo 🌍 \u2028 "double" \'single\' \\ back\\slash \t tab';
        await store.query(insert, [
          1,
          bytes,
          9_007_199_254_740_993n,
          json,
          when,
          text,
          -42,
          true,
          '12345678901234567890.50',
          '2024-02-29',
          0.1,
          ['a', null, 'b,c', '"q"'],
          [1n, '-9223372036854775808'],
          [new Uint8Array([0]), new Uint8Array([])],
        ]);
        const [row] = await store.query<Record<string, unknown>>('SELECT * FROM shapes WHERE id = $1', [1]);
        expect(row).toBeDefined();
        expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
        expect(Object.getPrototypeOf(row!.b)).toBe(Uint8Array.prototype);
        expect(row!.b).toEqual(bytes);
        expect(row!.i8).toBe('9007199254740993');
        expect(row!.j).toEqual(json);
        expect(row!.ts).toBeInstanceOf(Date);
        expect((row!.ts as Date).getTime()).toBe(when.getTime());
        expect(row!.t).toBe(text);
        expect(row!.i4).toBe(-42);
        expect(row!.ok).toBe(true);
        expect(row!.n).toBe('12345678901234567890.50');
        expect(row!.d).toBe('2024-02-29');
        expect(row!.f).toBe(0.1);
        expect(row!.ta).toEqual(['a', null, 'b,c', '"q"']);
        expect(row!.i8a).toEqual(['1', '-9223372036854775808']);
        expect(row!.ba).toEqual([new Uint8Array([0]), new Uint8Array([])]);
        expect(Object.getPrototypeOf((row!.ba as unknown[])[0])).toBe(Uint8Array.prototype);
      });

      it('NULL comes back as null in every column; undefined binds as NULL', async () => {
        await store.query(insert, [2, ...Array.from({ length: 13 }, () => undefined)]);
        const [row] = await store.query<Record<string, unknown>>('SELECT * FROM shapes WHERE id = 2');
        for (const [column, value] of Object.entries(row!)) {
          if (column !== 'id') expect(value, column).toBeNull();
        }
      });

      it('a JSON array binds to jsonb as a JSON string; top-level JSON scalars and strings work', async () => {
        await store.query('INSERT INTO shapes (id, j) VALUES ($1, $2)', [3, JSON.stringify([1, { a: 'b' }])]);
        await store.query('INSERT INTO shapes (id, j) VALUES ($1, $2)', [4, JSON.stringify('just a string')]);
        const rows = await store.query<{ j: unknown }>('SELECT j FROM shapes WHERE id IN (3, 4) ORDER BY id');
        expect(rows.map((r) => r.j)).toEqual([[1, { a: 'b' }], 'just a string']);
      });

      it('jsonb operators see the bound object as JSON', async () => {
        await store.query('INSERT INTO shapes (id, j) VALUES ($1, $2)', [
          5,
          { kind: 'dataset', tags: ['geo'] },
        ]);
        const rows = await store.query<{ id: number }>(
          "SELECT id FROM shapes WHERE j->>'kind' = $1 AND j->'tags' ? $2",
          ['dataset', 'geo'],
        );
        expect(rows).toEqual([{ id: 5 }]);
      });

      it('returns [] when no row matches, and rows keyed by column name (aliases included)', async () => {
        expect(await store.query('SELECT * FROM shapes WHERE id = $1', [-1])).toEqual([]);
        expect(await store.query('SELECT 1 AS one, $1::text AS "Mixed Case"', ['x'])).toEqual([
          { one: 1, 'Mixed Case': 'x' },
        ]);
      });
    });

    describe('parameters are data, never SQL', () => {
      beforeAll(async () => {
        await store.exec('CREATE TABLE students (name text NOT NULL)');
      });

      it('stores hostile strings verbatim and runs none of them', async () => {
        const hostile = [
          "Robert'); DROP TABLE students;--",
          "' OR '1'='1",
          '$1; DROP TABLE students',
          "\\'; DELETE FROM students; --",
          '"; DROP TABLE students; --',
        ];
        for (const name of hostile) await store.query('INSERT INTO students (name) VALUES ($1)', [name]);
        const rows = await store.query<{ name: string }>('SELECT name FROM students ORDER BY name');
        expect(rows.map((r) => r.name).sort()).toEqual([...hostile].sort());
        const matches = await store.query('SELECT name FROM students WHERE name = $1', ["' OR '1'='1"]);
        expect(matches).toHaveLength(1);
      });

      it('refuses values that have no SQL form with SQL_BAD_PARAMS', async () => {
        for (const value of [() => 1, Symbol('s'), new Map(), new Date(Number.NaN), { big: 1n }]) {
          await expect(store.query('SELECT $1::text', [value])).rejects.toMatchObject({
            code: 'SQL_BAD_PARAMS',
          });
        }
      });

      it('runs one statement per query: a second statement is an error, not executed', async () => {
        await expect(store.query('SELECT 1; DROP TABLE students')).rejects.toMatchObject({
          code: 'SQL_ERROR',
        });
        expect(await store.query('SELECT count(*)::int AS n FROM students')).toHaveLength(1);
      });
    });

    describe('exec', () => {
      it('runs several statements', async () => {
        await store.exec(
          'CREATE TABLE exec_a (x int); CREATE TABLE exec_b (y int); INSERT INTO exec_a VALUES (7);',
        );
        expect(await store.query('SELECT x FROM exec_a')).toEqual([{ x: 7 }]);
        expect(await store.query('SELECT y FROM exec_b')).toEqual([]);
      });
    });

    describe('transactions', () => {
      beforeAll(async () => {
        await store.exec('CREATE TABLE ledger (id int PRIMARY KEY, amount int8 NOT NULL)');
      });

      it('commits when the callback resolves, and returns its value', async () => {
        const result = await store.transaction(async (tx) => {
          await tx.query('INSERT INTO ledger VALUES ($1, $2)', [1, 100n]);
          await tx.query('INSERT INTO ledger VALUES ($1, $2)', [2, 200n]);
          const [row] = await tx.query<{ total: string }>('SELECT sum(amount)::int8 AS total FROM ledger');
          return row!.total;
        });
        expect(result).toBe('300');
        expect(await store.query('SELECT id FROM ledger ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
      });

      it("rolls back when the callback throws, and rethrows the callback's own error", async () => {
        const mine = new Error('business rule says no');
        await expect(
          store.transaction(async (tx) => {
            await tx.query('INSERT INTO ledger VALUES ($1, $2)', [3, 300n]);
            throw mine;
          }),
        ).rejects.toBe(mine);
        expect(await store.query('SELECT id FROM ledger WHERE id = 3')).toEqual([]);
      });

      it('rolls back on a SQL error and reports it as SQL_ERROR', async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.query('INSERT INTO ledger VALUES ($1, $2)', [4, 400n]);
            await tx.query('INSERT INTO ledger VALUES ($1, $2)', [4, 401n]); // duplicate key
          }),
        ).rejects.toMatchObject({ code: 'SQL_ERROR', details: { sqlState: '23505' } });
        expect(await store.query('SELECT id FROM ledger WHERE id = 4')).toEqual([]);
      });

      it('the executor stops working once its transaction is over', async () => {
        let leaked: { query: (sql: string) => Promise<unknown> } | undefined;
        await store.transaction(async (tx) => {
          leaked = tx;
        });
        await expect(leaked!.query('SELECT 1')).rejects.toMatchObject({ code: 'SQL_TX_FINISHED' });
      });

      it('statements through the store wait for a running transaction, then see its commit', async () => {
        const { outerAnsweredEarly, outerRows } = await outerQueryDuringTransaction(store, 'commit');
        expect(outerAnsweredEarly).toBe(false);
        expect(outerRows).toEqual([{ n: 1 }]);
      });

      it('statements through the store wait for a running transaction, and never see its rolled-back rows', async () => {
        const { outerAnsweredEarly, outerRows } = await outerQueryDuringTransaction(store, 'rollback');
        expect(outerAnsweredEarly).toBe(false);
        expect(outerRows).toEqual([{ n: 0 }]);
      });

      it('transactions run one at a time: concurrent read-modify-write loses no update', async () => {
        await store.exec('CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0);');
        const increment = () =>
          store.transaction(async (tx) => {
            const [row] = await tx.query<{ n: number }>('SELECT n FROM counter');
            await new Promise((resolve) => setImmediate(resolve)); // let the other transaction try to interleave
            await tx.query('UPDATE counter SET n = $1', [row!.n + 1]);
          });
        await Promise.all(Array.from({ length: 5 }, increment));
        expect(await store.query('SELECT n FROM counter')).toEqual([{ n: 5 }]);
      });
    });

    describe('errors are typed', () => {
      it('a syntax error is SQL_ERROR with the server message and SQLSTATE', async () => {
        const error = await store.query('SELEC 1').catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'SQL_ERROR', details: { sqlState: '42601' } });
        expect((error as Error).message).toMatch(/syntax error/);
      });

      it('an unknown table is SQL_ERROR 42P01; a constraint violation names its SQLSTATE', async () => {
        await expect(store.query('SELECT * FROM no_such_table')).rejects.toMatchObject({
          code: 'SQL_ERROR',
          details: { sqlState: '42P01' },
        });
        await store.exec('CREATE TABLE uniq (k text PRIMARY KEY)');
        await store.query('INSERT INTO uniq VALUES ($1)', ['a']);
        await expect(store.query('INSERT INTO uniq VALUES ($1)', ['a'])).rejects.toMatchObject({
          code: 'SQL_ERROR',
          details: { sqlState: '23505' },
        });
      });

      it('an empty statement is SQL_BAD_STATEMENT', async () => {
        await expect(store.query('  ')).rejects.toMatchObject({ code: 'SQL_BAD_STATEMENT' });
        await expect(store.exec('')).rejects.toMatchObject({ code: 'SQL_BAD_STATEMENT' });
      });

      it('the store still works after errors', async () => {
        expect(await store.query('SELECT $1::int + 1 AS n', [41])).toEqual([{ n: 42 }]);
      });
    });

    describe('migrate', () => {
      const m1: Migration = { id: '0001-a', sql: 'CREATE TABLE mig_a (x int)' };
      const m2: Migration = {
        id: '0002-b',
        sql: 'CREATE TABLE mig_b (y int); INSERT INTO mig_b VALUES (1);',
      };
      const m3: Migration = { id: '0003-c', sql: 'ALTER TABLE mig_a ADD COLUMN z text' };

      beforeAll(async () => {
        await store.exec('DROP TABLE IF EXISTS schema_migrations, mig_a, mig_b, mig_bad');
      });

      it('applies pending migrations in order, once; later runs apply only new ones', async () => {
        expect(await migrate(store, [m1, m2])).toEqual(['0001-a', '0002-b']);
        expect(await migrate(store, [m1, m2])).toEqual([]);
        expect(await migrate(store, [m1, m2, m3])).toEqual(['0003-c']);
        expect(await store.query('SELECT y FROM mig_b')).toEqual([{ y: 1 }]);
        await store.query('INSERT INTO mig_a (x, z) VALUES ($1, $2)', [1, 'z']);
        const recorded = await store.query<{ id: string }>(
          'SELECT id FROM schema_migrations ORDER BY position',
        );
        expect(recorded.map((r) => r.id)).toEqual(['0001-a', '0002-b', '0003-c']);
      });

      it('refuses a database that has a migration the list does not know', async () => {
        await expect(migrate(store, [m1, m3])).rejects.toMatchObject({ code: 'MIGRATION_UNKNOWN' });
        await expect(migrate(store, [m1, m2])).rejects.toMatchObject({ code: 'MIGRATION_UNKNOWN' });
      });

      it('refuses a list whose order differs from what was applied', async () => {
        await expect(migrate(store, [m2, m1, m3])).rejects.toMatchObject({ code: 'MIGRATION_OUT_OF_ORDER' });
        await expect(
          migrate(store, [m1, { id: '0001b-new', sql: 'SELECT 1' }, m2, m3]),
        ).rejects.toMatchObject({
          code: 'MIGRATION_OUT_OF_ORDER',
        });
      });

      it('refuses a list in which an applied migration was edited', async () => {
        await expect(migrate(store, [m1, { ...m2, sql: `${m2.sql} -- tweak` }, m3])).rejects.toMatchObject({
          code: 'MIGRATION_CHANGED',
        });
      });

      it('rolls a failing migration back completely and records nothing', async () => {
        const bad: Migration = {
          id: '0004-bad',
          sql: 'CREATE TABLE mig_bad (x int); SELECT no_such_column FROM mig_bad;',
        };
        await expect(migrate(store, [m1, m2, m3, bad])).rejects.toMatchObject({
          code: 'MIGRATION_FAILED',
          details: { id: '0004-bad', sqlState: '42703' },
        });
        await expect(store.query('SELECT * FROM mig_bad')).rejects.toMatchObject({
          details: { sqlState: '42P01' },
        });
        const [row] = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        expect(row!.n).toBe(3);
      });

      it('refuses a list with duplicate or empty ids', async () => {
        await expect(migrate(store, [m1, m1])).rejects.toMatchObject({ code: 'MIGRATION_LIST_INVALID' });
        await expect(migrate(store, [{ id: '', sql: 'SELECT 1' }])).rejects.toMatchObject({
          code: 'MIGRATION_LIST_INVALID',
        });
      });
    });

    describe('close', () => {
      it('waits for a running transaction, then makes every method throw STORE_CLOSED', async () => {
        const own = await open();
        await own.exec('CREATE TABLE closing (x int)');
        let release!: () => void;
        const released = new Promise<void>((resolve) => {
          release = resolve;
        });
        let entered!: () => void;
        const inside = new Promise<void>((resolve) => {
          entered = resolve;
        });
        const running = own.transaction(async (tx) => {
          entered();
          await released;
          await tx.query('INSERT INTO closing VALUES (1)');
          const [row] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM closing');
          return row!.n;
        });
        await inside;
        const closing = own.close();
        release();
        expect(await running).toBe(1); // the transaction finished on an open connection
        await closing;
        await expect(own.query('SELECT 1')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
        await expect(own.exec('SELECT 1')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
        await expect(own.transaction(async () => 1)).rejects.toMatchObject({ code: 'STORE_CLOSED' });
        await own.close();
      });
    });
  });
}

/**
 * Starts a transaction that inserts a row and then pauses; issues a count through
 * the outer store; gives that count a window to (wrongly) answer early; then lets
 * the transaction commit or roll back. A correct store answers only afterwards,
 * so the window's length never makes a correct store fail.
 */
async function outerQueryDuringTransaction(
  store: SqlStore,
  outcome: 'commit' | 'rollback',
): Promise<{ outerAnsweredEarly: boolean; outerRows: unknown[] }> {
  const table = `wait_${outcome}`;
  await store.exec(`CREATE TABLE ${table} (x int)`);
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const running = store.transaction(async (tx) => {
    await tx.query(`INSERT INTO ${table} VALUES (1)`);
    entered();
    await released;
    if (outcome === 'rollback') throw new Error('roll back');
  });
  await inside;
  let answered = false;
  const outer = store.query(`SELECT count(*)::int AS n FROM ${table}`).then((rows) => {
    answered = true;
    return rows;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const outerAnsweredEarly = answered;
  release();
  await running.catch(() => {});
  return { outerAnsweredEarly, outerRows: await outer };
}
