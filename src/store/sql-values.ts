import { StoreError } from '../errors.ts';

/**
 * Parameter values as both backends receive them, so one query behaves the same
 * on PGlite and on PostgreSQL. Accepted JavaScript values:
 *
 * | value                     | sent as                                               |
 * | ------------------------- | ----------------------------------------------------- |
 * | `null`, `undefined`       | NULL                                                  |
 * | string, number, boolean   | itself                                                |
 * | bigint                    | its decimal string (for int8 / numeric)               |
 * | Date (valid)              | its ISO 8601 UTC string (for timestamptz)             |
 * | Uint8Array                | bytea                                                 |
 * | plain object              | `JSON.stringify` (for json / jsonb)                   |
 * | array                     | a PostgreSQL array of the converted elements          |
 *
 * To bind a JSON *array* to a json/jsonb parameter, pass `JSON.stringify(array)`:
 * a JS array always means a PostgreSQL array (PGlite would guess json from the
 * parameter type; PostgreSQL via `pg` would not).
 * Anything else (functions, symbols, Maps, class instances) is refused with
 * `SQL_BAD_PARAMS` rather than sent as `[object Object]`.
 */

/** PostgreSQL's wire protocol counts parameters in 16 bits. */
export const MAX_SQL_PARAMS = 65_535;

export function toSqlParams(params: readonly unknown[] | undefined): unknown[] {
  if (params === undefined) return [];
  if (!Array.isArray(params)) {
    throw badParams(`parameters must be an array, got ${typeof params}`);
  }
  if (params.length > MAX_SQL_PARAMS) {
    throw badParams(`${params.length} parameters, more than MAX_SQL_PARAMS (${MAX_SQL_PARAMS})`, {
      hint: 'split the statement (e.g. insert in chunks) or pass one array parameter',
    });
  }
  return params.map((value, index) => toSqlValue(value, `$${index + 1}`));
}

function toSqlValue(value: unknown, where: string): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      throw badParams(`parameter ${where} is a ${typeof value}, which has no SQL form`);
  }
  if (value instanceof Uint8Array) return value;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw badParams(`parameter ${where} is an invalid Date`);
    return value.toISOString();
  }
  if (Array.isArray(value)) return value.map((element, i) => toSqlValue(element, `${where}[${i}]`));
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) {
    try {
      return JSON.stringify(value);
    } catch (error) {
      throw badParams(`parameter ${where} cannot be turned into JSON: ${(error as Error).message}`);
    }
  }
  throw badParams(
    `parameter ${where} is a ${prototype?.constructor?.name ?? 'object'}, which has no SQL form`,
  );
}

function badParams(message: string, options: { hint?: string } = {}): StoreError {
  return new StoreError('SQL_BAD_PARAMS', message, {
    hint:
      options.hint ??
      'pass strings, numbers, booleans, bigints, Dates, Uint8Arrays, plain objects (JSON) or arrays of these',
  });
}
