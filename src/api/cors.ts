/**
 * CORS for a console served from another origin (e.g. the Vite dev server).
 * Only origins on the allowlist get `Access-Control-Allow-Origin`; the default
 * list is empty, so a browser page of another origin cannot read responses.
 * `'*'` in the list allows every origin (fine for a read-mostly public API
 * without cookies, which this is).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = 'content-type';
const EXPOSED_HEADERS = 'retry-after';
/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export type CorsHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * An onRequest hook: sets the CORS response headers for allowed origins and
 * answers preflight (OPTIONS) requests itself (204 when allowed, 403 when not).
 */
export function corsHook(allowedOrigins: readonly string[]): CorsHook {
  const allowAny = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins);
  return async (request, reply) => {
    const origin = request.headers.origin;
    const isAllowed = origin !== undefined && (allowAny || allowed.has(origin));
    if (isAllowed) {
      reply.header('access-control-allow-origin', allowAny ? '*' : origin);
      reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      if (!allowAny) reply.header('vary', 'origin');
    }
    const isPreflight =
      request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (!isPreflight) return;
    if (!isAllowed) {
      await reply.code(403).send({
        code: 'CORS_ORIGIN_NOT_ALLOWED',
        message: `origin ${origin ?? '(none)'} may not call this API from a browser`,
        hint: 'add the origin to the node’s API corsOrigins',
      });
      return;
    }
    reply.header('access-control-allow-methods', ALLOWED_METHODS);
    reply.header('access-control-allow-headers', ALLOWED_HEADERS);
    reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS));
    await reply.code(204).send();
  };
}
