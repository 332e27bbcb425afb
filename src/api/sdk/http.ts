/**
 * The SDK's HTTP transport: JSON over the global `fetch` (or one given), with
 * a per-request timeout, a response-size bound, and server errors turned into
 * `MeridianApiError`. Browser-safe.
 */
import { MAX_SDK_RESPONSE_CHARS } from '../limits.ts';
import { isErrorBody, MeridianApiError, MeridianClientError } from './errors.ts';

/** Default time a request may take, connection included. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;
export type QueryValue = string | number | boolean | undefined;

export interface HttpOptions {
  readonly fetch?: FetchFunction;
  /** Sent with every request (e.g. an Authorization header for a proxy in front of the node). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export class HttpTransport {
  readonly baseUrl: string;
  readonly #fetch: FetchFunction;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: HttpOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    const fetchFunction = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (fetchFunction === undefined) {
      throw new MeridianClientError('NO_FETCH', 'this environment has no global fetch', {
        hint: 'pass options.fetch to the client',
      });
    }
    this.#fetch = fetchFunction;
    this.#headers = options.headers ?? {};
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** GETs JSON. Statuses in `okStatuses` resolve with the body; others throw. */
  get<T>(
    path: string,
    query: Readonly<Record<string, QueryValue>> = {},
    okStatuses: readonly number[] = [200],
  ) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) search.set(name, String(value));
    const queryString = search.toString();
    return this.#request<T>(
      'GET',
      queryString === '' ? path : `${path}?${queryString}`,
      undefined,
      okStatuses,
    );
  }

  post<T>(path: string, body: unknown, okStatuses: readonly number[] = [200, 201, 202]): Promise<T> {
    return this.#request<T>('POST', path, JSON.stringify(body), okStatuses);
  }

  async #request<T>(
    method: string,
    path: string,
    body: string | undefined,
    okStatuses: readonly number[],
  ): Promise<T> {
    const url = this.baseUrl + path;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.#headers,
        },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      if ((cause as { name?: unknown } | null)?.name === 'TimeoutError') {
        throw new MeridianClientError(
          'REQUEST_TIMEOUT',
          `${method} ${url} took longer than ${this.#timeoutMs} ms`,
          {
            cause,
            hint: 'the node may be overloaded; retry, or raise requestTimeoutMs',
          },
        );
      }
      throw new MeridianClientError('NODE_UNREACHABLE', `cannot reach ${url}`, {
        cause,
        hint: 'check the node URL and that the node is running',
      });
    }
    const declaredLength = Number(response.headers.get('content-length') ?? '0');
    if (declaredLength > MAX_SDK_RESPONSE_CHARS) {
      await response.body?.cancel();
      throw tooLarge(url);
    }
    const text = await response.text();
    if (text.length > MAX_SDK_RESPONSE_CHARS) throw tooLarge(url);
    let parsed: unknown;
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text);
    } catch (cause) {
      parsed = undefined;
      if (okStatuses.includes(response.status)) {
        throw new MeridianClientError(
          'BAD_RESPONSE',
          `${method} ${url} answered ${response.status} with non-JSON`,
          {
            cause,
            hint: 'is this URL a Meridian node (and not, say, a proxy error page)?',
          },
        );
      }
    }
    if (okStatuses.includes(response.status)) return parsed as T;
    const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
    const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
    if (isErrorBody(parsed)) throw new MeridianApiError(response.status, parsed, retryAfterSeconds);
    throw new MeridianApiError(
      response.status,
      {
        code: `HTTP_${response.status}`,
        message: `${method} ${url} answered ${response.status} ${response.statusText}`.trim(),
        hint: 'the answer did not carry a Meridian error body; is a proxy in the way?',
      },
      retryAfterSeconds,
    );
  }
}

function tooLarge(url: string): MeridianClientError {
  return new MeridianClientError(
    'RESPONSE_TOO_LARGE',
    `the answer from ${url} is over ${MAX_SDK_RESPONSE_CHARS} characters (MAX_SDK_RESPONSE_CHARS)`,
  );
}
