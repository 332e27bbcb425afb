import { openPgliteSqlStore } from './pglite-sql.ts';
import { openPostgresSqlStore } from './postgres-sql.ts';
import type { SqlStore } from './sql.ts';

/** Where a node keeps its off-chain records: embedded PGlite (the default) or a PostgreSQL server. */
export type SqlStoreConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema?: string };

/**
 * Opens the configured `SqlStore`. Throws `StoreError`: `SQL_OPEN_FAILED` or
 * `STORE_LOCKED` (PGlite), `SQL_UNAVAILABLE` or `SQL_BAD_SCHEMA` (PostgreSQL).
 */
export function openSqlStore(config: SqlStoreConfig): Promise<SqlStore> {
  switch (config.kind) {
    case 'pglite':
      return openPgliteSqlStore({ dataDir: config.dataDir });
    case 'postgres':
      return openPostgresSqlStore({
        connectionString: config.connectionString,
        ...(config.schema === undefined ? {} : { schema: config.schema }),
      });
  }
}
