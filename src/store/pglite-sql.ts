import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { StoreError } from '../errors.ts';
import { type DirectoryLock, LOCK_FILE_NAME, lockDirectory } from './dir-lock.ts';
import { GuardedSqlStore, type SqlDriver } from './guarded-sql-store.ts';
import { seedFromTemplate } from './pglite-template.ts';
import type { SqlStore } from './sql.ts';

/**
 * The default `SqlStore`: PostgreSQL compiled to WASM, running in this process
 * on a data directory (or in memory with `memory://`). Nothing to install.
 *
 * PGlite is a single connection: statements run one at a time, so the shared
 * statements the gate lets through together simply queue inside PGlite.
 * A new data directory starts as a copy of a pristine database (pglite-template.ts), which
 * spares each new store PGlite's seconds of initdb.
 * Durability: PGlite runs with `fsync = off`, so a commit survives the process
 * being killed but not necessarily the machine losing power. Chain data that must
 * survive that lives in lmdb; these are off-chain records.
 */

/**
 * Row shapes that differ from PGlite's defaults: int8 as a string (PGlite gives
 * a number or a bigint), date as its 'YYYY-MM-DD' text (PGlite gives a Date at
 * UTC midnight, `pg` one at local midnight). Array types follow their elements.
 */
const PARSERS = {
  [types.INT8]: (text: string) => text,
  [types.DATE]: (text: string) => text,
};

export interface PgliteSqlOptions {
  /** A directory (created if missing) or `memory://` for a throwaway database. */
  readonly dataDir: string;
}

export async function openPgliteSqlStore(options: PgliteSqlOptions): Promise<SqlStore> {
  const inMemory = options.dataDir.startsWith('memory://');
  const dataDir = inMemory ? options.dataDir : resolve(options.dataDir);
  const where = inMemory ? 'PGlite (in memory)' : `PGlite at ${dataDir}`;
  let lock: DirectoryLock | undefined;
  if (!inMemory) {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw openFailed(where, error);
    }
    lock = lockDirectory(dataDir, where);
  }
  let db: PGlite;
  try {
    if (!inMemory) await seedFromTemplate(dataDir, { ignore: [LOCK_FILE_NAME] });
    db = await PGlite.create(dataDir, { parsers: PARSERS });
  } catch (error) {
    lock?.release();
    throw openFailed(where, error);
  }
  const driver: SqlDriver = {
    dialect: 'pglite',
    where,
    query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows,
    exec: async (sql) => {
      await db.exec(sql);
    },
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query: async (sql, params) => (await tx.query<Record<string, unknown>>(sql, params)).rows,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    close: async () => {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
  return new GuardedSqlStore(driver);
}

function openFailed(where: string, error: unknown): StoreError {
  const code = (error as NodeJS.ErrnoException).code;
  return new StoreError(
    'SQL_OPEN_FAILED',
    `cannot open ${where}: ${error instanceof Error ? error.message : String(error)}`,
    {
      hint:
        'check that the data directory is a writable directory holding a PGlite database (or empty); ' +
        'a PostgreSQL server data directory cannot be opened by PGlite',
      details: code === undefined ? {} : { errno: code },
      cause: error,
    },
  );
}
