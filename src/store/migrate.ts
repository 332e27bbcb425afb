import { toHex, utf8 } from '../codec/bytes.ts';
import { sha256 } from '../crypto/sha256.ts';
import { MeridianError, StoreError } from '../errors.ts';
import type { SqlExecutor, SqlStore } from './sql.ts';

/**
 * Schema migrations for a `SqlStore`, the same on PGlite and PostgreSQL.
 *
 * `migrations` is the full, append-only history, oldest first. Each one not yet
 * recorded in `schema_migrations` is applied in its own transaction together
 * with its record, so a failed migration leaves no trace and the next run
 * retries it. Running `migrate` again is a no-op.
 *
 * It refuses to touch a database whose history disagrees with the list:
 * - `MIGRATION_UNKNOWN`: the database has a migration the list lacks (a newer
 *   Meridian migrated it, or a migration was deleted);
 * - `MIGRATION_OUT_OF_ORDER`: a recorded migration sits at another position;
 * - `MIGRATION_CHANGED`: a recorded migration's SQL was edited since (SHA-256);
 * - `MIGRATION_LIST_INVALID`: the list itself has empty or duplicate ids;
 * - `MIGRATION_FAILED`: a migration's SQL failed (it was rolled back).
 *
 * Concurrent `migrate` calls on one database (several processes) serialise on
 * a table lock, and each re-reads the history under it.
 */
export interface Migration {
  /** Stable and unique, e.g. `0001-provenance-records`. Never renamed once released. */
  readonly id: string;
  /** One or more statements, without parameters. Never edited once released: add a new migration. */
  readonly sql: string;
}

interface MigrationRecord {
  readonly position: number;
  readonly id: string;
  readonly checksum: string;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  position integer PRIMARY KEY,
  id text NOT NULL UNIQUE,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Applies the missing migrations in order; returns the ids it applied (empty when up to date). */
export async function migrate(store: SqlStore, migrations: readonly Migration[]): Promise<string[]> {
  checkList(migrations);
  const checksums = migrations.map((m) => toHex(sha256(utf8(m.sql))));
  try {
    await store.exec(CREATE_TABLE);
  } catch (error) {
    // A concurrent migrate created it between our check and our create.
    if (!(error instanceof MeridianError && ['23505', '42P07'].includes(String(error.details?.sqlState))))
      throw error;
  }
  const applied: string[] = [];
  for (;;) {
    const next = await store.transaction(async (tx) => {
      await tx.exec('LOCK TABLE schema_migrations IN SHARE ROW EXCLUSIVE MODE');
      const recorded = await tx.query<MigrationRecord>(
        'SELECT position, id, checksum FROM schema_migrations ORDER BY position',
      );
      checkHistory(recorded, migrations, checksums);
      const position = recorded.length;
      const migration = migrations[position];
      if (migration === undefined) return undefined;
      await apply(tx, migration, position, checksums[position]!);
      return migration.id;
    });
    if (next === undefined) return applied;
    applied.push(next);
  }
}

async function apply(
  tx: SqlExecutor,
  migration: Migration,
  position: number,
  checksum: string,
): Promise<void> {
  try {
    await tx.exec(migration.sql);
  } catch (error) {
    const sqlState = error instanceof MeridianError ? error.details?.sqlState : undefined;
    throw new StoreError(
      'MIGRATION_FAILED',
      `migration ${migration.id} failed and was rolled back: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: 'fix the migration SQL (it has not been applied), then start again',
        details: { id: migration.id, ...(sqlState === undefined ? {} : { sqlState }) },
        cause: error,
      },
    );
  }
  await tx.query('INSERT INTO schema_migrations (position, id, checksum) VALUES ($1, $2, $3)', [
    position,
    migration.id,
    checksum,
  ]);
}

function checkList(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const [index, migration] of migrations.entries()) {
    const id = migration?.id;
    if (
      typeof id !== 'string' ||
      id.trim() === '' ||
      typeof migration.sql !== 'string' ||
      migration.sql.trim() === ''
    ) {
      throw new StoreError('MIGRATION_LIST_INVALID', `migration ${index} needs a non-empty id and SQL`, {
        hint: 'each migration is { id: "0001-name", sql: "CREATE TABLE ..." }',
      });
    }
    if (seen.has(id)) {
      throw new StoreError('MIGRATION_LIST_INVALID', `migration id ${id} appears twice`, {
        hint: 'give every migration a unique id',
      });
    }
    seen.add(id);
  }
}

function checkHistory(
  recorded: readonly MigrationRecord[],
  migrations: readonly Migration[],
  checksums: readonly string[],
): void {
  for (const [index, record] of recorded.entries()) {
    const known = migrations.findIndex((m) => m.id === record.id);
    if (known < 0) {
      throw new StoreError(
        'MIGRATION_UNKNOWN',
        `the database has migration ${record.id}, which this version of Meridian does not know`,
        {
          hint: 'a newer Meridian has migrated this database (upgrade), or a released migration was removed (restore it)',
          details: { id: record.id, position: record.position },
        },
      );
    }
    if (known !== index || record.position !== index) {
      throw new StoreError(
        'MIGRATION_OUT_OF_ORDER',
        `migration ${record.id} was applied as number ${record.position + 1}, but the list has it as number ${known + 1}`,
        {
          hint: 'migrations are append-only: never reorder or insert before released ones; add new ones at the end',
          details: { id: record.id, recordedPosition: record.position, listPosition: known },
        },
      );
    }
    if (record.checksum !== checksums[index]) {
      throw new StoreError('MIGRATION_CHANGED', `migration ${record.id} was edited after it was applied`, {
        hint: 'restore its original SQL and put the change in a new migration',
        details: { id: record.id },
      });
    }
  }
}
