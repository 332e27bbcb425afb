/**
 * Errors the SDK throws. `MeridianApiError` is the server's own answer (its
 * `Error` body: code, message, hint) with the HTTP status; `MeridianClientError`
 * is a failure on this side of the wire (node unreachable, timeout, a
 * response that is not what the API promises). Both are `MeridianError`s,
 * so callers branch on `code` either way.
 */
import { MeridianError } from '../../errors.ts';
import type { ErrorJson } from '../schemas.ts';

export class MeridianApiError extends MeridianError {
  /** The HTTP status, or undefined for an error reported over the WebSocket. */
  readonly status: number | undefined;
  /** From `Retry-After` on 429 and 503 answers: wait this long before trying again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number | undefined, body: ErrorJson, retryAfterSeconds?: number) {
    super(body.code, body.message, {
      ...(body.hint === undefined ? {} : { hint: body.hint }),
      ...(body.details === undefined ? {} : { details: body.details }),
    });
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class MeridianClientError extends MeridianError {}

/** True for a value shaped like the API's `Error` body. */
export function isErrorBody(value: unknown): value is ErrorJson {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string';
}
