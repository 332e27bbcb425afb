/**
 * Test support only: starts the real API server on 127.0.0.1 with an
 * ephemeral port around a `FakeNode`, plus an SDK client (using `ws`'s
 * WebSocket) pointed at it.
 */
import { WebSocket } from 'ws';
import { MeridianClient, type MeridianClientOptions } from '../sdk.ts';
import { type ApiServer, type ApiServerOptions, createApiServer } from '../server.ts';
import { FakeNode } from './fake-node.ts';

export interface TestServer {
  readonly node: FakeNode;
  readonly server: ApiServer;
  readonly url: string;
  readonly client: MeridianClient;
  close(): Promise<void>;
}

export async function startTestServer(
  options: Partial<ApiServerOptions> = {},
  clientOptions: MeridianClientOptions = {},
  node: FakeNode = new FakeNode(),
): Promise<TestServer> {
  const server = createApiServer(node, {
    host: '127.0.0.1',
    port: 0,
    rateLimit: false,
    validateResponses: true,
    ...options,
  });
  const { url } = await server.start();
  const client = new MeridianClient(url, {
    WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    ...clientOptions,
  });
  return {
    node,
    server,
    url,
    client,
    async close() {
      client.close();
      await server.close();
    },
  };
}
