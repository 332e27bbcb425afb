import { MeridianError, StoreError } from '../errors.ts';

/**
 * How driver errors become `StoreError`s, the same way for PGlite and `pg`:
 * - `SQL_UNAVAILABLE`: the server cannot be reached or refuses us (network errors,
 *   SQLSTATE classes 08 connection and 28 authorization, 57P0x shutdown, 3D000 no
 *   such database). The hint says how to check the server.
 * - `SQL_ERROR`: everything else the database reports. The message carries the
 *   server's message; `details.sqlState` its SQLSTATE code (e.g. `23505` for a
 *   unique violation), so callers can branch on it without parsing text.
 * Parameters are never put in messages (they may be private records).
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

export const PG_UNAVAILABLE_HINT =
  'is PostgreSQL running? `pg_isready -h 127.0.0.1` (or the host in your connection string) says; ' +
  'then check the host, port, database name and user in the connection string';

interface DriverError {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly detail?: unknown;
  readonly hint?: unknown;
  readonly position?: unknown;
  readonly constraint?: unknown;
  readonly table?: unknown;
  readonly column?: unknown;
  readonly errors?: unknown;
}

/** True for failures to reach or stay connected to the server (as opposed to a bad statement). */
export function isUnavailable(error: unknown): boolean {
  const e = error as DriverError | undefined;
  if (e === undefined || e === null) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code)) return true;
  if (/^(08|28)[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code) || code === '3D000') return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(message))
    return true;
  return Array.isArray(e.errors) && e.errors.some(isUnavailable);
}

/**
 * Wraps a driver error. `where` names the database without secrets (see
 * `describeConnection`). A `MeridianError` passes through unchanged.
 */
export function toStoreError(error: unknown, where: string): MeridianError {
  if (error instanceof MeridianError) return error;
  const e = (error ?? {}) as DriverError;
  const serverMessage = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  if (isUnavailable(error)) {
    return new StoreError('SQL_UNAVAILABLE', `cannot use ${where}: ${serverMessage}`, {
      hint: PG_UNAVAILABLE_HINT,
      details: typeof e.code === 'string' ? { code: e.code } : {},
      cause: error,
    });
  }
  const details: Record<string, unknown> = {};
  if (typeof e.code === 'string') details.sqlState = e.code;
  for (const key of ['detail', 'position', 'constraint', 'table', 'column'] as const) {
    if (typeof e[key] === 'string' && e[key] !== '') details[key] = e[key];
  }
  const sqlState = typeof e.code === 'string' ? ` (SQLSTATE ${e.code})` : '';
  return new StoreError('SQL_ERROR', `${where}: ${serverMessage}${sqlState}`, {
    hint: typeof e.hint === 'string' && e.hint !== '' ? e.hint : 'check the statement and its parameters',
    details,
    cause: error,
  });
}

/** `user@host:port/database` from a connection string, without the password. */
export function describeConnection(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`;
    return `PostgreSQL ${user}${url.hostname}${url.port === '' ? '' : `:${url.port}`}${url.pathname}`;
  } catch {
    return 'PostgreSQL (connection string not in URL form)';
  }
}
