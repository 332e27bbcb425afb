import { StoreError } from '../errors.ts';
import { storeClosedError } from './kv-checks.ts';
import type { SqlExecutor, SqlStore } from './sql.ts';
import { toStoreError } from './sql-errors.ts';
import { SharedExclusiveGate } from './sql-gate.ts';
import { toSqlParams } from './sql-values.ts';

/**
 * What a SQL driver has to provide; `GuardedSqlStore` adds the parts of the
 * `SqlStore` contract that must not differ between drivers: parameter
 * conversion (sql-values.ts), error mapping (sql-errors.ts), the shared/exclusive
 * gate (sql-gate.ts), `STORE_CLOSED`, and executors that die with their transaction.
 *
 * Drivers receive converted parameters and may throw raw driver errors. They
 * must return rows already in the contract's shapes (bytea → Uint8Array, int8 →
 * string, date → 'YYYY-MM-DD' string, jsonb → parsed, timestamptz → Date).
 */
export interface SqlDriver {
  readonly dialect: 'pglite' | 'postgres';
  /** Names the database in messages, without secrets. */
  readonly where: string;
  query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  exec(sql: string): Promise<void>;
  /** Runs `fn` in BEGIN..COMMIT, rolling back and rethrowing `fn`'s error unchanged if it throws. */
  transaction<T>(fn: (tx: SqlDriverExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SqlDriverExecutor {
  query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  exec(sql: string): Promise<void>;
}

export class GuardedSqlStore implements SqlStore {
  readonly dialect: 'pglite' | 'postgres';
  readonly #driver: SqlDriver;
  readonly #gate = new SharedExclusiveGate();
  #closed = false;

  constructor(driver: SqlDriver) {
    this.#driver = driver;
    this.dialect = driver.dialect;
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#shared(() => this.#driver.query(checkSql(sql), toSqlParams(params))) as Promise<Row[]>;
  }

  exec(sql: string): Promise<void> {
    return this.#shared(() => this.#driver.exec(checkSql(sql)));
  }

  /**
   * Runs `fn` in one transaction, alone: other statements and transactions on
   * this store wait until it commits or rolls back. `fn`'s own errors are
   * rethrown unchanged after the rollback. `tx` stops working (`SQL_TX_FINISHED`)
   * once the transaction is over. Inside `fn`, use `tx` only: awaiting the
   * outer store there deadlocks.
   */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.#checkOpen();
    return this.#gate.exclusive(async () => {
      this.#checkOpen();
      let finished = false;
      let thrownByFn: { error: unknown } | undefined;
      const where = this.#driver.where;
      try {
        return await this.#driver.transaction(async (driverTx) => {
          const live = () => {
            if (finished) {
              throw new StoreError(
                'SQL_TX_FINISHED',
                'this transaction has already committed or rolled back',
                {
                  hint: 'use the transaction executor only inside the callback passed to transaction(), and await every call',
                },
              );
            }
          };
          const tx: SqlExecutor = {
            query: async <Row>(sql: string, params?: readonly unknown[]) => {
              live();
              try {
                return (await driverTx.query(checkSql(sql), toSqlParams(params))) as Row[];
              } catch (error) {
                throw toStoreError(error, where);
              }
            },
            exec: async (sql: string) => {
              live();
              try {
                await driverTx.exec(checkSql(sql));
              } catch (error) {
                throw toStoreError(error, where);
              }
            },
          };
          try {
            return await fn(tx);
          } catch (error) {
            thrownByFn = { error };
            throw error;
          }
        });
      } catch (error) {
        if (thrownByFn !== undefined && error === thrownByFn.error) throw error;
        throw toStoreError(error, where);
      } finally {
        finished = true;
      }
    });
  }

  /** Waits for running statements and transactions, then closes. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#gate.exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      try {
        await this.#driver.close();
      } catch (error) {
        throw toStoreError(error, this.#driver.where);
      }
    });
  }

  async #shared<T>(run: () => Promise<T>): Promise<T> {
    this.#checkOpen();
    return this.#gate.shared(async () => {
      this.#checkOpen();
      try {
        return await run();
      } catch (error) {
        throw toStoreError(error, this.#driver.where);
      }
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw storeClosedError(this.#driver.where);
  }
}

function checkSql(sql: unknown): string {
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw new StoreError('SQL_BAD_STATEMENT', 'a statement must be a non-empty string', {
      hint: 'pass SQL text; values go in the parameters array',
    });
  }
  return sql;
}
