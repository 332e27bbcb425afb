/**
 * A `fetch` for the SDK over `node:http` with keep-alive connections, for clients that send
 * hundreds of requests a second from Node (the load generator). Node's global `fetch` spends about
 * 300 µs of CPU per request here, `node:http` about 40 µs: on a machine shared with the validators,
 * the difference is CPU the network under test does not get.
 *
 * Contract: what the SDK's `HttpTransport` uses of `fetch` — method, headers, a string body and an
 * abort signal in; a `Response` with status, headers and the whole body out. A body over
 * `maxBodyBytes` is refused (the request is destroyed) before it is all read, so memory stays
 * bounded; smaller ones over the SDK's bound still get its RESPONSE_TOO_LARGE. An aborted request
 * rejects with the signal's reason (a `TimeoutError` for `AbortSignal.timeout`).
 */
import { Agent, request } from 'node:http';
import { MAX_SDK_RESPONSE_CHARS } from '../api/limits.ts';
import type { FetchFunction } from '../api/sdk/http.ts';

/** Bytes of a response body at most: the SDK's character bound, four bytes per character. */
const DEFAULT_MAX_BODY_BYTES = 4 * MAX_SDK_RESPONSE_CHARS;

export interface NodeFetch {
  readonly fetch: FetchFunction;
  /** Closes the kept-alive connections. */
  close(): void;
}

export function nodeFetch(options: { maxSockets?: number; maxBodyBytes?: number } = {}): NodeFetch {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const fetch: FetchFunction = (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input);
      if (url.protocol !== 'http:') {
        reject(new TypeError(`nodeFetch speaks http: only, not ${url.protocol}`));
        return;
      }
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const body = init.body === undefined || init.body === null ? undefined : String(init.body);
      const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        outgoing.destroy();
        reject(error);
      };
      const outgoing = request(url, { method: init.method ?? 'GET', headers, agent }, (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) fail(new Error(`the response body is over ${maxBodyBytes} bytes`));
          else chunks.push(chunk);
        });
        incoming.on('error', fail);
        incoming.on('end', () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (value !== undefined)
              responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          const status = incoming.statusCode ?? 0;
          const nullBody = status === 204 || status === 304;
          resolve(
            new Response(nullBody ? null : Buffer.concat(chunks), {
              status,
              statusText: incoming.statusMessage ?? '',
              headers: responseHeaders,
            }),
          );
        });
      });
      const onAbort = () => fail(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      outgoing.on('error', fail);
      outgoing.end(body);
    });
  return { fetch, close: () => agent.destroy() };
}
