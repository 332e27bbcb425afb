/**
 * The node's HTTP/JSON + WebSocket API server (fastify + @fastify/websocket).
 *
 * `createApiServer(node, options)` builds the server around a `NodeApi` and
 * returns `{ start, close, app }`; nothing listens until `start()`. Every
 * route comes from the route table in routes.ts, which also generates
 * `/openapi.json`. Requests are validated and responses serialised through
 * the TypeBox schemas (schemas.ts), so a response cannot leak fields the
 * schema does not name. Errors always answer with the `Error` body
 * (http-errors.ts). The web console's built files are served at `/` when
 * `staticDir` is given.
 *
 * Bounds: request body size, URL parameter length, a per-address request
 * rate, and the WebSocket limits of subscriptions.ts; see docs/limits.md.
 */
import type { AddressInfo } from 'node:net';
import websocket from '@fastify/websocket';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import Fastify, { type FastifyInstance, type FastifySchema, LogController } from 'fastify';
import type { Logger } from 'pino';
import { assert } from '../errors.ts';
import { corsHook } from './cors.ts';
import { toHttpError } from './http-errors.ts';
import {
  DEFAULT_RATE_LIMIT_BURST,
  DEFAULT_RATE_LIMIT_PER_SECOND,
  DEFAULT_WS_MAX_CONNECTIONS,
  DEFAULT_WS_MAX_SEND_BUFFER_BYTES,
  DEFAULT_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
  MAX_API_BODY_BYTES,
  MAX_URL_PARAM_CHARS,
  MAX_WS_MESSAGE_BYTES,
} from './limits.ts';
import { apiMetrics } from './metrics.ts';
import type { NodeApi } from './node-api.ts';
import { type OpenApiDocument, openApiDocument } from './openapi.ts';
import { RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import type { RouteSpec } from './route-spec.ts';
import { apiRoutes } from './routes.ts';
import { type ProvenanceApi, provenanceRoutes } from './routes-provenance.ts';
import { ErrorBody } from './schemas.ts';
import { StaticFiles } from './static-files.ts';
import { SubscriptionHub, type SubscriptionLimits } from './subscriptions.ts';

export interface ApiServerOptions {
  /** Interface to listen on, e.g. '127.0.0.1' (local only) or '0.0.0.0'. */
  readonly host: string;
  /** TCP port; 0 picks a free one (see the URL `start()` returns). */
  readonly port: number;
  /** Where request errors and server events are logged; silent when omitted. */
  readonly logger?: Logger;
  /** The web console's built files (e.g. web/dist), served at `/` with a single-page-app fallback. */
  readonly staticDir?: string;
  /** Browser origins allowed to call the API (CORS), e.g. ['http://localhost:5173']; '*' allows any. Default: none. */
  readonly corsOrigins?: readonly string[];
  /** Largest request body in bytes. Default MAX_API_BODY_BYTES (one hex-encoded transaction). */
  readonly maxBodyBytes?: number;
  /** Per-client-address request rate; `false` turns it off. Default 100/s with bursts of 200. */
  readonly rateLimit?: RateLimitOptions | false;
  /** WebSocket bounds; each defaults to the DEFAULT_WS_* constant of limits.ts. */
  readonly ws?: Partial<SubscriptionLimits>;
  /**
   * Also check every JSON answer against its schema before sending it (serialisation alone
   * drops unknown fields but does not check values): an answer that breaks the contract
   * becomes a logged 500. For tests and development; it costs a schema walk per response.
   */
  readonly validateResponses?: boolean;
  /** Serves the provenance routes (`/v1/provenance/...`) over this facade when given. */
  readonly provenance?: ProvenanceApi;
}

export interface ApiServer {
  /** Listens; resolves with the base URL (e.g. `http://127.0.0.1:8545`). Call once. */
  start(): Promise<{ url: string }>;
  /** Closes WebSocket subscribers (1001), stops listening and waits for in-flight requests. */
  close(): Promise<void>;
  /** The fastify instance, for tests and for the node to add hooks before `start()`. */
  readonly app: FastifyInstance;
}

const API_PREFIXES = ['/v1/', '/metrics', '/openapi.json'];

function isApiPath(path: string): boolean {
  return path === '/v1' || API_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** fastify's per-status response schemas: JSON bodies through their schema, every error through `Error`. */
function responseSchemas(route: RouteSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { '4xx': ErrorBody, '5xx': ErrorBody };
  for (const [status, response] of Object.entries(route.responses)) {
    const isJson = (response.contentType ?? 'application/json') === 'application/json';
    if (response.schema !== undefined && isJson && response.freeForm !== true) out[status] = response.schema;
  }
  return out;
}

type ResponseCheck = (payload: unknown, what: string) => void;

/** Per-status checkers of a route's JSON answers; a mismatch is a broken contract (InvariantViolation). */
function responseChecks(route: RouteSpec): Map<number, ResponseCheck> {
  const checks = new Map<number, ResponseCheck>();
  const add = (status: number, schema: TSchema) => {
    const checker = TypeCompiler.Compile(schema);
    checks.set(status, (payload, what) => {
      const first = checker.Errors(payload).First();
      if (first !== undefined)
        assert(false, `answer of ${what} breaks its schema: ${first.path} ${first.message}`);
    });
  };
  for (const [status, response] of Object.entries(route.responses)) {
    const isJson = (response.contentType ?? 'application/json') === 'application/json';
    if (response.schema !== undefined && isJson && response.freeForm !== true)
      add(Number(status), response.schema);
  }
  for (const status of [400, 404, 413, 415, 426, 429, 500, 503])
    if (!checks.has(status)) add(status, ErrorBody);
  return checks;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function createApiServer(node: NodeApi, options: ApiServerOptions): ApiServer {
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: options.maxBodyBytes ?? MAX_API_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_URL_PARAM_CHARS },
    // Per-request lines are ours (debug level, in onResponse below), not fastify's info-level pair.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;

  const metrics = apiMetrics(node.metrics);
  const hub = new SubscriptionHub(
    node,
    {
      maxConnections: options.ws?.maxConnections ?? DEFAULT_WS_MAX_CONNECTIONS,
      maxSubscriptionsPerConnection:
        options.ws?.maxSubscriptionsPerConnection ?? DEFAULT_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSendBufferBytes: options.ws?.maxSendBufferBytes ?? DEFAULT_WS_MAX_SEND_BUFFER_BYTES,
    },
    app.log,
    metrics,
  );

  let openApi: OpenApiDocument | undefined;
  const routes: RouteSpec[] = apiRoutes({
    node,
    openApi: () => {
      openApi ??= openApiDocument(routes, {
        title: 'Meridian node API',
        version: node.status().version,
        description:
          'HTTP/JSON and WebSocket API of a Meridian node. Bytes are 0x-prefixed hex; errors carry a ' +
          'stable code, a message and a hint.',
      });
      return openApi;
    },
    acceptWebSocket: (socket) => hub.accept(socket),
  });
  if (options.provenance !== undefined) routes.push(...provenanceRoutes(options.provenance));

  const corsOrigins = options.corsOrigins ?? [];
  if (corsOrigins.length > 0) app.addHook('onRequest', corsHook(corsOrigins));

  if (options.rateLimit !== false) {
    const limiter = new RateLimiter(
      options.rateLimit ?? { perSecond: DEFAULT_RATE_LIMIT_PER_SECOND, burst: DEFAULT_RATE_LIMIT_BURST },
    );
    app.addHook('onRequest', async (request, reply) => {
      const waitSeconds = limiter.take(request.ip);
      if (waitSeconds === 0) return;
      metrics.rateLimited.inc();
      reply.code(429).header('retry-after', String(waitSeconds));
      return reply.send({
        code: 'RATE_LIMITED',
        message: `too many requests from ${request.ip}`,
        hint: `retry after ${waitSeconds} s; use the WebSocket subscriptions instead of polling`,
      });
    });
  }

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'api request',
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const http = toHttpError(error, request.id);
    if (http.unexpected)
      request.log.error({ err: error, url: request.url }, 'api request failed unexpectedly');
    reply.code(http.status).headers(http.headers).send(http.body);
  });

  const staticFiles = options.staticDir === undefined ? undefined : new StaticFiles(options.staticDir);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (staticFiles !== undefined && !isApiPath(path) && (await staticFiles.serve(request, reply)))
      return reply;
    reply.code(404);
    return {
      code: 'ROUTE_NOT_FOUND',
      message: `no route ${request.method} ${path}`,
      hint: 'the API routes are listed at /openapi.json',
    };
  });

  app.register(websocket, {
    options: { maxPayload: MAX_WS_MESSAGE_BYTES },
    preClose: async function preClose(this: FastifyInstance) {
      await hub.close();
      this.websocketServer.close();
    },
  });
  app.register(async (scope) => {
    for (const route of routes) {
      const checks = options.validateResponses ? responseChecks(route) : undefined;
      const schema: FastifySchema & Record<string, unknown> = {
        operationId: route.operationId,
        summary: route.summary,
        tags: [...route.tags],
        response: responseSchemas(route),
        ...(route.params === undefined ? {} : { params: route.params }),
        ...(route.querystring === undefined ? {} : { querystring: route.querystring }),
        ...(route.body === undefined ? {} : { body: route.body }),
      };
      scope.route({
        method: route.method,
        url: route.url,
        schema,
        handler: route.handler,
        ...(route.wsHandler === undefined ? {} : { wsHandler: route.wsHandler }),
        ...(checks === undefined
          ? {}
          : {
              preSerialization: async (
                _request: unknown,
                reply: { statusCode: number },
                payload: unknown,
              ) => {
                checks.get(reply.statusCode)?.(payload, `${route.method} ${route.url} ${reply.statusCode}`);
                return payload;
              },
            }),
      });
    }
  });

  let started = false;
  return {
    app,
    async start() {
      assert(!started, 'createApiServer(...).start() called twice');
      started = true;
      hub.start();
      await app.listen({ host: options.host, port: options.port });
      const { port } = app.server.address() as AddressInfo;
      const url = `http://${urlHost(options.host)}:${port}`;
      app.log.info({ url }, 'api listening');
      return { url };
    },
    async close() {
      await app.close();
    },
  };
}
