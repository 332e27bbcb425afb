/**
 * The SQL interface for off-chain records (provenance records, payload
 * metadata, uploads). One dialect: PostgreSQL. Implemented by embedded PGlite
 * (the default: nothing to install) and by a PostgreSQL server via `pg`; the
 * same schema and queries run on both, and `sql-compliance.ts` checks that.
 *
 * Contract (checked by `sql-compliance.ts` against both backends):
 * - Parameters are positional (`$1`, `$2`, ...); values are never interpolated into SQL text.
 *   `query` runs exactly one statement. Accepted parameter values (sql-values.ts): null/undefined,
 *   string, number, boolean, bigint (sent as text), valid Date (ISO UTC), Uint8Array (bytea), plain
 *   object (JSON), arrays of these (PostgreSQL arrays: bind a JSON array as `JSON.stringify(array)`).
 * - `query` returns rows as plain objects keyed by column name. `bytea` columns come back as
 *   plain `Uint8Array`, `bigint`/`int8` as strings (as `pg` does), `numeric` as strings, `jsonb`
 *   as parsed JSON, `timestamptz` as `Date`, `date` as its 'YYYY-MM-DD' text; arrays element-wise.
 *   Use `timestamptz`: `timestamp` without time zone is read in the process's local zone.
 * - `transaction(fn)` runs `fn` in one transaction: committed if `fn` resolves, rolled back if it throws
 *   (`fn`'s own error is rethrown unchanged). Transactions on one store run one at a time, and
 *   statements issued through the outer store while a transaction runs wait for it to finish, so
 *   inside `fn` use `tx` only: awaiting the outer store there deadlocks. `tx` fails with
 *   `SQL_TX_FINISHED` once the transaction is over.
 * - Failures surface as `StoreError` with code `SQL_ERROR` (message includes the server's message,
 *   `details.sqlState` its SQLSTATE, e.g. `23505` unique violation), `SQL_UNAVAILABLE` (server
 *   unreachable, with a hint), `SQL_BAD_PARAMS` / `SQL_BAD_STATEMENT` (refused before sending).
 * - `close` waits for running work and is idempotent; afterwards every method rejects with `STORE_CLOSED`.
 */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlStore extends SqlExecutor {
  readonly dialect: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
