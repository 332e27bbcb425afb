/**
 * The API's own Prometheus metrics, registered in the node's registry so that
 * `/metrics` shows them next to the node's. Registering twice in one registry
 * (a server restarted in the same process) reuses the existing metrics.
 */
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

export interface ApiMetrics {
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly rateLimited: Counter;
  readonly wsConnections: Gauge;
  readonly wsSubscriptions: Gauge;
  readonly wsDropped: Counter<'reason'>;
}

function reuse<M extends Metric<string>>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function apiMetrics(registry: Registry): ApiMetrics {
  const registers = [registry];
  return {
    httpRequests: reuse(
      registry,
      'meridian_api_http_requests_total',
      () =>
        new Counter({
          name: 'meridian_api_http_requests_total',
          help: 'HTTP requests answered, by method, route pattern and status',
          labelNames: ['method', 'route', 'status'] as const,
          registers,
        }),
    ),
    rateLimited: reuse(
      registry,
      'meridian_api_rate_limited_total',
      () =>
        new Counter({
          name: 'meridian_api_rate_limited_total',
          help: 'Requests refused with 429 by the per-address rate limit',
          registers,
        }),
    ),
    wsConnections: reuse(
      registry,
      'meridian_api_ws_connections',
      () =>
        new Gauge({
          name: 'meridian_api_ws_connections',
          help: 'Open WebSocket subscription connections',
          registers,
        }),
    ),
    wsSubscriptions: reuse(
      registry,
      'meridian_api_ws_subscriptions',
      () =>
        new Gauge({
          name: 'meridian_api_ws_subscriptions',
          help: 'Live WebSocket subscriptions over all connections',
          registers,
        }),
    ),
    wsDropped: reuse(
      registry,
      'meridian_api_ws_dropped_total',
      () =>
        new Counter({
          name: 'meridian_api_ws_dropped_total',
          help: 'WebSocket connections closed by the server, by reason',
          labelNames: ['reason'] as const,
          registers,
        }),
    ),
  };
}
