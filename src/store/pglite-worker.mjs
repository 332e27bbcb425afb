// @ts-check
/**
 * The worker thread PGlite runs on (`pglite-sql.ts` starts one per store). Plain JavaScript, so
 * the thread starts without a TypeScript loader.
 *
 * Why a thread: a PGlite statement runs synchronously inside WASM. On the caller's thread, one
 * bulk upload of 2,000 provenance records blocked a validator's event loop (consensus, API) for
 * 150-250 ms (ADR 0003 amendment); here it only occupies this thread.
 *
 * Protocol, one reply per request, in request order (PGlite is one connection: statements run one
 * at a time):
 *   in:  { id, op: 'open', dataDir } (first), { id, op: 'query', sql, params },
 *        { id, op: 'exec', sql }, { id, op: 'close' }
 *   out: { id, rows } (rows only for 'query'), or { id, error: { name, message, code?, ... } }
 *        with the database error's fields that `sql-errors.ts` reads.
 */
import { parentPort } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';

/**
 * Row shapes that differ from PGlite's defaults: int8 as a string (PGlite gives a number or a
 * bigint), date as its 'YYYY-MM-DD' text (PGlite gives a Date at UTC midnight, `pg` one at local
 * midnight). Array types follow their elements.
 */
const PARSERS = {
  [types.INT8]: (/** @type {string} */ text) => text,
  [types.DATE]: (/** @type {string} */ text) => text,
};

/** The fields of a database or system error that survive the trip back (strings only). */
const ERROR_FIELDS = ['code', 'detail', 'hint', 'position', 'constraint', 'table', 'column', 'severity'];

/** @param {unknown} error */
function plainError(error) {
  const fields = /** @type {Record<string, unknown>} */ (error ?? {});
  /** @type {Record<string, string>} */
  const out = {
    name: typeof fields.name === 'string' ? fields.name : 'Error',
    message: error instanceof Error ? error.message : String(error),
  };
  for (const field of ERROR_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string') out[field] = value;
  }
  return out;
}

const port = parentPort;
if (port === null) throw new Error('pglite-worker.mjs runs as a worker thread (see pglite-sql.ts)');

/** @type {PGlite | undefined} */
let db;

/** @param {{ op: string, dataDir?: string, sql?: string, params?: unknown[] }} message */
async function perform(message) {
  if (message.op === 'open') {
    db = await PGlite.create(String(message.dataDir), { parsers: PARSERS });
    return undefined;
  }
  if (db === undefined) throw new Error(`PGlite thread: "${message.op}" before "open"`);
  switch (message.op) {
    case 'query':
      return (await db.query(String(message.sql), message.params ?? [])).rows;
    case 'exec':
      await db.exec(String(message.sql));
      return undefined;
    case 'close':
      await db.close();
      db = undefined;
      return undefined;
    default:
      throw new Error(`PGlite thread: unknown operation "${message.op}"`);
  }
}

let queue = Promise.resolve();
port.on('message', (message) => {
  queue = queue.then(async () => {
    try {
      port.postMessage({ id: message.id, rows: await perform(message) });
    } catch (error) {
      port.postMessage({ id: message.id, error: plainError(error) });
    }
  });
});
