/**
 * The caller's side of a PGlite worker thread (`pglite-worker.mjs`): requests go out as
 * messages and come back in order as rows or errors.
 *
 * Contract:
 * - A database error comes back as an `Error` with the same message and the database's string
 *   fields (`code`, `detail`, `constraint`, …), so `sql-errors.ts` maps it as it would PGlite's own.
 * - If the thread dies, every pending and later request fails with `PGLITE_THREAD_EXITED` in `code`.
 * - The thread keeps the process alive only while a request is pending: a store nobody closed
 *   never holds a finished process open, and an awaited statement always completes.
 */
import { Worker } from 'node:worker_threads';

type Request =
  | { readonly op: 'open'; readonly dataDir: string }
  | { readonly op: 'query'; readonly sql: string; readonly params: unknown[] }
  | { readonly op: 'exec'; readonly sql: string }
  | { readonly op: 'close' };

interface Reply {
  readonly id: number;
  readonly rows?: Record<string, unknown>[];
  readonly error?: Record<string, string>;
}

interface Pending {
  readonly resolve: (rows: Record<string, unknown>[] | undefined) => void;
  readonly reject: (error: Error) => void;
}

function rebuildError(fields: Record<string, string>): Error {
  const error = new Error(fields.message);
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'message') Object.defineProperty(error, key, { value, enumerable: key !== 'name' });
  }
  return error;
}

export class PgliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #exited: Error | undefined;

  constructor() {
    // No inherited flags: the worker is plain JavaScript, and the parent's (a TypeScript loader,
    // `--input-type`, profiler options) may not apply to a worker at all.
    this.#worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { execArgv: [] });
    this.#worker.unref();
    this.#worker.on('message', (reply: Reply) => this.#settle(reply));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the PGlite thread exited with code ${code}`)));
  }

  request(request: Request): Promise<Record<string, unknown>[] | undefined> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ id, ...request });
      } catch (error) {
        // A parameter that cannot be copied to the thread (DataCloneError): nothing was sent.
        this.#settle({ id, error: { name: 'DataCloneError', message: (error as Error).message } });
      }
    });
  }

  /** Stops the thread (after `close` has closed the database, or to abandon it). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #settle(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.error) pending.reject(rebuildError(reply.error));
    else pending.resolve(reply.rows);
  }

  #fail(cause: Error): void {
    if (this.#exited) return;
    this.#exited = Object.assign(new Error(`PGlite thread: ${cause.message}`), {
      code: 'PGLITE_THREAD_EXITED',
      cause,
    });
    for (const pending of this.#pending.values()) pending.reject(this.#exited);
    this.#pending.clear();
  }
}
