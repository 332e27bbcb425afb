/**
 * The SDK's own behaviour against the real server: subscriptions over one
 * multiplexed socket, reconnect with resubscribe, server refusals surfaced
 * as MeridianApiError, waitForTx over WebSocket, client-side errors, and that
 * nothing the SDK loads needs Node (the console bundles it for browsers).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { toHex } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import type { MeridianError } from '../errors.ts';
import {
  type BlockSummaryJson,
  type EventNotificationJson,
  MeridianApiError,
  MeridianClient,
  MeridianClientError,
  type SocketState,
} from './sdk.ts';
import { startTestServer, type TestServer } from './testing/harness.ts';

const signer = generateSigningKeyPair();

/** Resolves when `predicate` holds for a value pushed into the returned `push`. */
function collector<T>() {
  const items: T[] = [];
  const waiters: { predicate: (items: T[]) => boolean; resolve: () => void }[] = [];
  return {
    items,
    push(item: T) {
      items.push(item);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(items)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    until(predicate: (items: T[]) => boolean): Promise<void> {
      if (predicate(items)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

describe('subscribe', () => {
  let t: TestServer;
  const states = collector<SocketState>();
  beforeAll(async () => {
    t = await startTestServer(
      { ws: { maxSubscriptionsPerConnection: 3 } },
      { onSocketStateChange: states.push },
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('heads and events arrive typed over one socket; unsubscribe ends them and closes the idle socket', async () => {
    const heads = collector<BlockSummaryJson>();
    const events = collector<EventNotificationJson>();
    const acks = collector<string>();
    const stopHeads = t.client.subscribe('heads', {}, heads.push, { onSubscribed: () => acks.push('heads') });
    const stopEvents = t.client.subscribe('events', { module: 'kv' }, events.push, {
      onSubscribed: () => acks.push('events'),
    });
    await acks.until((items) => items.length === 2);
    expect(t.server.app.websocketServer.clients.size).toBe(1);
    const { hash } = await t.client.sendTx({ kind: 'kv.put', payload: { key: 'a', value: 1 }, signer });
    const block = t.node.commit();
    await heads.until((items) => items.some((h) => h.height === block.header.height));
    await events.until((items) => items.some((e) => e.txHash === hash));
    expect(events.items.at(-1)).toMatchObject({ module: 'kv', name: 'put', data: { key: 'a', value: 1 } });
    stopHeads();
    stopEvents();
    stopEvents(); // idempotent
    await states.until((s) => s.at(-1) === 'closed');
  });

  it('waitForTx resolves from the tx subscription, also when the tx had already committed', async () => {
    const { hash } = await t.client.sendTx({ kind: 'kv.put', payload: { key: 'w', value: 2 }, signer });
    const waiting = t.client.waitForTx(hash);
    await states.until((s) => s.at(-1) === 'open');
    t.node.commit();
    const status = await waiting;
    expect(status).toMatchObject({ hash, status: 'committed', receipt: { status: 'ok' } });
    // The push leaves the body out (the caller has it); txStatus still returns it.
    expect(status.transaction).toBeUndefined();
    expect((await t.client.txStatus(hash)).transaction).toMatchObject({ hash });
    expect(await t.client.waitForTx(hash)).toMatchObject({ hash, status: 'committed' });
  });

  it('waitForTx rejects with TX_WAIT_TIMEOUT for a tx that never commits', async () => {
    const error = await t.client
      .waitForTx(toHex(new Uint8Array(32).fill(9)), { timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeridianClientError);
    expect(error).toMatchObject({ code: 'TX_WAIT_TIMEOUT' });
  });

  it('a subscription the server refuses reaches onError as MeridianApiError and ends', async () => {
    const stops = [1, 2, 3].map(() => t.client.subscribe('heads', {}, () => {}));
    const refused = new Promise<MeridianError>((resolve) => {
      t.client.subscribe('viewChanges', {}, () => {}, { onError: resolve });
    });
    const error = await refused;
    expect(error).toBeInstanceOf(MeridianApiError);
    expect(error).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', status: undefined });
    for (const stop of stops) stop();
  });

  it('after the socket drops, the client reconnects and resubscribes by itself', async () => {
    const heads = collector<BlockSummaryJson>();
    const errors = collector<MeridianError>();
    const acks = collector<true>();
    const stop = t.client.subscribe('heads', {}, heads.push, {
      onError: errors.push,
      onSubscribed: () => acks.push(true),
    });
    await acks.until((items) => items.length === 1);
    const first = t.node.commit();
    await heads.until((items) => items.some((h) => h.height === first.header.height));

    for (const socket of t.server.app.websocketServer.clients) socket.terminate();
    await errors.until((items) => items.length === 1);
    expect(errors.items[0]).toBeInstanceOf(MeridianClientError);
    expect(errors.items[0]).toMatchObject({ code: 'SUBSCRIPTION_DISCONNECTED' });
    await acks.until((items) => items.length === 2); // resubscribed on a new socket
    const second = t.node.commit();
    await heads.until((items) => items.some((h) => h.height === second.header.height));
    stop();
  });

  it('subscribe without a WebSocket constructor throws NO_WEBSOCKET', () => {
    const client = new MeridianClient(t.url, { WebSocket: null });
    expect(() => client.subscribe('heads', {}, () => {})).toThrow(
      expect.objectContaining({ code: 'NO_WEBSOCKET' }),
    );
  });
});

describe('client-side errors', () => {
  it('an unreachable node is NODE_UNREACHABLE with a hint', async () => {
    const t = await startTestServer();
    const url = t.url;
    await t.close();
    const client = new MeridianClient(url, { WebSocket });
    const error = await client.status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeridianClientError);
    expect(error).toMatchObject({ code: 'NODE_UNREACHABLE', hint: expect.any(String) });
  });

  it('a non-Meridian error page becomes MeridianApiError HTTP_<status>', async () => {
    const fakeFetch = async () =>
      new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' });
    const client = new MeridianClient('http://node.invalid/', { fetch: fakeFetch, WebSocket: null });
    expect(client.baseUrl).toBe('http://node.invalid');
    const error = await client.status().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP_502', status: 502 });
  });
});

describe('browser safety', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, '../..');
  const packageJson = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
    imports: Record<string, { browser: string }>;
  };
  const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  /** Runtime imports (type-only ones vanish in the bundle), including re-exports and dynamic imports. */
  const IMPORT =
    /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

  it('nothing the SDK loads at runtime imports node:* or a Node-only package', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const offending: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(IMPORT)) {
        const specifier = (match[1] ?? match[2])!;
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
        else if (specifier.startsWith('#')) visit(resolve(root, packageJson.imports[specifier]!.browser));
        else if (nodeBuiltins.has(specifier) || specifier.startsWith('node:')) {
          offending.push(`${relative(root, file)} imports ${specifier}`);
        } else
          packages.add(
            specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!,
          );
      }
    };
    visit(resolve(here, 'sdk.ts'));
    expect(offending).toEqual([]);
    expect(seen.size).toBeGreaterThan(5); // the walk really followed the imports
    expect([...seen].map((f) => relative(root, f))).toContain('src/api/sdk/client.ts');
    for (const serverOnly of ['ws', 'fastify', '@fastify/websocket', 'pino', 'prom-client']) {
      expect(packages.has(serverOnly), serverOnly).toBe(false);
    }
  });
});
