import pg from 'pg';
import { StoreError } from '../errors.ts';
import { GuardedSqlStore, type SqlDriver, type SqlDriverExecutor } from './guarded-sql-store.ts';
import type { SqlStore } from './sql.ts';
import { describeConnection, toStoreError } from './sql-errors.ts';

/**
 * `SqlStore` on a PostgreSQL server through a `pg` connection pool.
 *
 * Plain statements run in parallel on the pool. A transaction takes one pooled
 * connection for BEGIN..COMMIT, alone (the gate holds other statements back).
 *
 * With `schema`, every pooled connection starts with `search_path` set to that
 * schema only (a startup option, so no connection ever runs without it), and the
 * schema is created if missing: several nodes, or parallel test runs, can share
 * one server without seeing each other's tables.
 */

/** How long opening a connection may take before the store reports `SQL_UNAVAILABLE`. */
export const PG_CONNECT_TIMEOUT_MS = 10_000;
/** Pooled connections per store unless `maxConnections` says otherwise. */
export const DEFAULT_PG_POOL_SIZE = 4;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresSqlOptions {
  /** `postgres://user[:password]@host[:port]/database`; its `options` parameter is overridden when `schema` is set. */
  readonly connectionString: string;
  /** Lowercase identifier (`[a-z_][a-z0-9_]*`, at most 63 characters): the only schema this store sees. */
  readonly schema?: string;
  readonly maxConnections?: number;
}

const OID = { BYTEA: 17, TEXT_ARRAY: 1009, BYTEA_ARRAY: 1001, DATE: 1082, DATE_ARRAY: 1182 } as const;

/** `pg`'s built-in parsers, looked up by any oid (its typings only list the oids it names). */
const builtinParser = pg.types.getTypeParser as (
  oid: number,
  format: 'text' | 'binary',
) => (value: string) => unknown;

/** Row shapes that differ from `pg`'s defaults: bytea as plain Uint8Array (not Buffer), date as text. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    switch (oid) {
      case OID.BYTEA: {
        const parse = builtinParser(OID.BYTEA, 'text');
        return (text) => new Uint8Array(parse(text) as Buffer);
      }
      case OID.BYTEA_ARRAY: {
        const parse = builtinParser(OID.BYTEA_ARRAY, 'text');
        return (text) => toPlainBytes(parse(text));
      }
      case OID.DATE:
        return (text) => text;
      case OID.DATE_ARRAY:
        return builtinParser(OID.TEXT_ARRAY, 'text');
      default:
        return builtinParser(oid, format ?? 'text');
    }
  },
};

function toPlainBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlainBytes);
  return value instanceof Uint8Array ? new Uint8Array(value) : value;
}

export async function openPostgresSqlStore(options: PostgresSqlOptions): Promise<SqlStore> {
  const where =
    describeConnection(options.connectionString) + (options.schema ? ` schema ${options.schema}` : '');
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new StoreError(
      'SQL_BAD_SCHEMA',
      `schema name ${JSON.stringify(options.schema)} is not a plain identifier`,
      {
        hint: 'use lowercase letters, digits and underscores, starting with a letter or underscore, at most 63 characters',
      },
    );
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? DEFAULT_PG_POOL_SIZE,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    application_name: 'meridian',
    types: TYPES,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle connection that dies (server restart) emits 'error' on the pool; without a
  // listener that would crash the process. The pool drops the connection; the next
  // statement opens a new one or reports SQL_UNAVAILABLE.
  pool.on('error', () => {});

  try {
    await pool.query('SELECT 1');
    if (options.schema !== undefined) await createSchema(pool, options.schema);
  } catch (error) {
    await pool.end().catch(() => {});
    throw toStoreError(error, where);
  }

  const driver: SqlDriver = {
    dialect: 'postgres',
    where,
    query: async (sql, params) => (await pool.query(extended(sql, params))).rows,
    exec: async (sql) => {
      await pool.query(sql);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      // A checked-out connection that dies emits 'error' too; the failing query reports it.
      const ignore = () => {};
      client.on('error', ignore);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(executorOn(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        client.off('error', ignore);
        // A connection that could not roll back is destroyed rather than reused mid-transaction.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
  return new GuardedSqlStore(driver);
}

/**
 * A query sent with the extended protocol even without parameters, so one call
 * is one statement, as on PGlite (`queryMode` is a `pg` option its typings lack).
 */
function extended(sql: string, params: unknown[]): pg.QueryConfig {
  return { text: sql, values: params, queryMode: 'extended' } as pg.QueryConfig;
}

function executorOn(client: pg.PoolClient): SqlDriverExecutor {
  return {
    query: async (sql, params) => (await client.query(extended(sql, params))).rows,
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}

async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  try {
    // `schema` matched SCHEMA_NAME: safe to quote as an identifier.
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    // Two stores creating the same schema at once: the loser sees a duplicate; the schema exists.
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}
