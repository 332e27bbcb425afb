import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { StoreError } from '../errors.ts';
import { type DirectoryLock, LOCK_FILE_NAME, lockDirectory } from './dir-lock.ts';
import { GuardedSqlStore, type SqlDriver, type SqlDriverExecutor } from './guarded-sql-store.ts';
import { seedFromTemplate } from './pglite-template.ts';
import { PgliteThread } from './pglite-thread.ts';
import type { SqlStore } from './sql.ts';

/**
 * The default `SqlStore`: PostgreSQL compiled to WASM, running in this process on a worker thread
 * of its own (pglite-worker.mjs), on a data directory (or in memory with `memory://`). Nothing to
 * install. On the caller's thread, uploads of 2,000 records held a validator's event loop for
 * 150-250 ms (ADR 0003 amendment); on its own thread a statement blocks nothing here.
 *
 * PGlite is a single connection: statements run one at a time, so the shared statements the gate
 * lets through together simply queue on the thread, and a transaction is BEGIN..COMMIT on it
 * while the gate holds everything else back.
 * A new data directory starts as a copy of a pristine database (pglite-template.ts), which
 * spares each new store PGlite's seconds of initdb.
 * Durability: PGlite runs with `fsync = off`, so a commit survives the process
 * being killed but not necessarily the machine losing power. Chain data that must
 * survive that lives in lmdb; these are off-chain records.
 * Row shapes: int8 and date come back as text (pglite-worker.mjs), as from `pg`.
 */

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
  const thread = new PgliteThread();
  try {
    if (!inMemory) await seedFromTemplate(dataDir, { ignore: [LOCK_FILE_NAME] });
    await thread.request({ op: 'open', dataDir });
  } catch (error) {
    await thread.terminate();
    lock?.release();
    throw openFailed(where, error);
  }
  const executor: SqlDriverExecutor = {
    query: async (sql, params) => (await thread.request({ op: 'query', sql, params }))!,
    exec: async (sql) => {
      await thread.request({ op: 'exec', sql });
    },
  };
  const driver: SqlDriver = {
    dialect: 'pglite',
    where,
    ...executor,
    // The gate runs a transaction alone, so nothing else reaches the connection meanwhile.
    transaction: async (fn) => {
      await executor.exec('BEGIN');
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(executor);
      } catch (error) {
        // If even ROLLBACK fails the thread is gone, and every later statement says so.
        await executor.exec('ROLLBACK').catch(() => {});
        throw error;
      }
      await executor.exec('COMMIT');
      return result;
    },
    close: async () => {
      try {
        await thread.request({ op: 'close' });
      } finally {
        await thread.terminate();
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
