/**
 * How a thrown error becomes an HTTP response. Expected failures
 * (`MeridianError`) keep their code, message and hint; fastify's own request
 * errors (schema validation, body too large, bad JSON) get stable codes of
 * ours; anything else is a bug: 500 `INTERNAL`, no stack or message leaked,
 * and the caller logs it with the stack.
 */
import { MeridianError, NotFoundError, StoreError } from '../errors.ts';
import type { ErrorJson } from './schemas.ts';

export interface HttpError {
  readonly status: number;
  readonly body: ErrorJson;
  readonly headers: Record<string, string>;
  /** True for a bug (not an expected failure): log it with its stack. */
  readonly unexpected: boolean;
}

/** Codes that mean "the node cannot take this right now": 503 with Retry-After. */
const UNAVAILABLE_CODES = new Set(['MEMPOOL_FULL', 'NODE_SYNCING', 'NODE_UNAVAILABLE', 'SHUTTING_DOWN']);
/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_UNAVAILABLE_SECONDS = 1;

/** The HTTP status for an expected failure's code. */
export function httpStatusForCode(code: string): number {
  if (code === 'NOT_FOUND' || code.endsWith('_NOT_FOUND')) return 404;
  if (code === 'RATE_LIMITED') return 429;
  if (UNAVAILABLE_CODES.has(code) || code.endsWith('_UNAVAILABLE')) return 503;
  return 400;
}

/** What fastify's own client errors (FST_ERR_*) become. */
const FASTIFY_CODES: Record<string, { code: string; hint: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'BODY_TOO_LARGE',
    hint: 'a request body holds one transaction; see docs/limits.md (MAX_API_BODY_BYTES)',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    hint: 'send the body as JSON with content-type: application/json',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'BAD_JSON', hint: 'send a valid JSON body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'BAD_JSON', hint: 'send a JSON body, e.g. {"tx":"0x…"}' },
};

interface FastifyValidationIssue {
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

interface FastifyLikeError {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: unknown;
  readonly validation?: readonly FastifyValidationIssue[];
  readonly validationContext?: string;
}

/** The field a validation issue is about, as `context/path` (e.g. `body/tx`, `params/hash`). */
function issuePath(context: string, issue: FastifyValidationIssue): string {
  let path = issue.instancePath ?? '';
  const missing = issue.params?.missingProperty;
  if (typeof missing === 'string') path += `/${missing}`;
  return `${context}${path}`;
}

export function toHttpError(error: unknown, requestId?: string): HttpError {
  if (error instanceof MeridianError) {
    const status =
      error instanceof NotFoundError
        ? 404
        : error instanceof StoreError
          ? 503
          : httpStatusForCode(error.code);
    const headers: Record<string, string> =
      status === 503 ? { 'retry-after': String(RETRY_AFTER_UNAVAILABLE_SECONDS) } : {};
    return { status, body: error.toJSON(), headers, unexpected: false };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError;
  if (Array.isArray(e.validation) && e.validation.length > 0) {
    const context = e.validationContext ?? 'request';
    const issue = e.validation[0]!;
    const path = issuePath(context, issue);
    return {
      status: 400,
      body: {
        code: 'BAD_REQUEST',
        message: `${path} ${issue.message ?? 'is invalid'}`,
        hint: 'the expected shape of every route is in /openapi.json',
        details: { path },
      },
      headers: {},
      unexpected: false,
    };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const known = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
    const isJsonSyntax = error instanceof SyntaxError;
    return {
      status,
      body: {
        code: known?.code ?? (isJsonSyntax ? 'BAD_JSON' : 'BAD_REQUEST'),
        message: typeof e.message === 'string' ? e.message : 'bad request',
        hint: known?.hint ?? (isJsonSyntax ? 'send a valid JSON body' : 'see /openapi.json'),
      },
      headers: {},
      unexpected: false,
    };
  }
  return {
    status: 500,
    body: {
      code: 'INTERNAL',
      message: 'the node failed to handle this request',
      hint: 'this is a bug in the node; its log has the details under this request id',
      ...(requestId === undefined ? {} : { details: { requestId } }),
    },
    headers: {},
    unexpected: true,
  };
}
