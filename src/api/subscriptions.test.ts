/**
 * The WebSocket subscription protocol, spoken raw against the real server:
 * subscribe / unsubscribe, pushes of heads, transactions (after commit and at
 * once when already committed), filtered events and view changes, error
 * replies, and the bounds (message size, subscriptions per connection,
 * connections, slow consumers). Absence of a push is checked by ordering: a
 * later request's reply arrives after anything pushed before it.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { MAX_WS_MESSAGE_BYTES } from './limits.ts';
import { BlockSummary, TxStatus } from './schemas.ts';
import { startTestServer, type TestServer } from './testing/harness.ts';
import { type Received, TestSocket } from './testing/ws-client.ts';
import { WS_CLOSE_GOING_AWAY, WS_CLOSE_SLOW_CONSUMER, WS_CLOSE_TRY_AGAIN_LATER } from './ws-messages.ts';

const signer = generateSigningKeyPair();

/** Asserts nothing else was pushed: the reply to a fresh request comes next. */
async function expectNothingPushed(socket: TestSocket, sentinelId: string): Promise<void> {
  expect(await socket.request({ op: 'subscribe', id: sentinelId, topic: 'viewChanges' })).toEqual({
    id: sentinelId,
    type: 'subscribed',
  });
  expect(await socket.request({ op: 'unsubscribe', id: sentinelId })).toEqual({
    id: sentinelId,
    type: 'unsubscribed',
  });
}

async function droppedCount(t: TestServer, reason: string): Promise<number> {
  const metric = t.node.metrics.getSingleMetric('meridian_api_ws_dropped_total');
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('subscriptions', () => {
  let t: TestServer;
  let ws: TestSocket;
  beforeAll(async () => {
    t = await startTestServer({ ws: { maxSubscriptionsPerConnection: 4 } });
    ws = await TestSocket.open(t.url);
  });
  afterAll(async () => {
    ws.close();
    await t.close();
  });

  it('heads: subscribed, then every committed block’s summary', async () => {
    expect(await ws.request({ op: 'subscribe', id: 'h', topic: 'heads' })).toEqual({
      id: 'h',
      type: 'subscribed',
    });
    const block = t.node.commit();
    const push = await ws.next();
    expect(push).toMatchObject({ id: 'h', type: 'data' });
    expect(Value.Check(BlockSummary, push.data)).toBe(true);
    expect(push.data).toMatchObject({ height: block.header.height, hash: block.header.hash, txCount: 0 });
  });

  it('unsubscribe stops the pushes', async () => {
    expect(await ws.request({ op: 'unsubscribe', id: 'h' })).toEqual({ id: 'h', type: 'unsubscribed' });
    t.node.commit();
    await expectNothingPushed(ws, 'sentinel-1');
  });

  it('unsubscribing an unknown id is answered too (idempotent)', async () => {
    expect(await ws.request({ op: 'unsubscribe', id: 'never' })).toEqual({
      id: 'never',
      type: 'unsubscribed',
    });
  });

  it('tx: the committed status is pushed when the tx commits, then the subscription ends', async () => {
    const { hash } = await t.client.sendTx({ kind: 'kv.put', payload: { key: 'k', value: 1 }, signer });
    expect(await ws.request({ op: 'subscribe', id: 'tx-1', topic: 'tx', hash })).toEqual({
      id: 'tx-1',
      type: 'subscribed',
    });
    const block = t.node.commit();
    const push = await ws.next();
    expect(push).toMatchObject({ id: 'tx-1', type: 'data' });
    expect(Value.Check(TxStatus, push.data)).toBe(true);
    expect(push.data).toMatchObject({
      hash,
      status: 'committed',
      height: block.header.height,
      blockHash: block.header.hash,
      receipt: { status: 'ok', events: [{ module: 'kv', name: 'put' }] },
    });
    expect(push.data).not.toHaveProperty('transaction');
    expect(await ws.next()).toEqual({ id: 'tx-1', type: 'unsubscribed' });
  });

  it('tx: an already committed tx is pushed at once; uppercase hex is the same tx', async () => {
    const committedHash = t.node.head.transactions[0]!.hash;
    const upper = `0x${committedHash.slice(2).toUpperCase()}`;
    expect(await ws.request({ op: 'subscribe', id: 'tx-2', topic: 'tx', hash: upper })).toEqual({
      id: 'tx-2',
      type: 'subscribed',
    });
    expect(await ws.next()).toMatchObject({
      id: 'tx-2',
      type: 'data',
      data: { hash: committedHash, status: 'committed' },
    });
    expect(await ws.next()).toEqual({ id: 'tx-2', type: 'unsubscribed' });
  });

  it('declares what it forwards, so the node builds only wanted tx and event notifications', async () => {
    const interest = t.node.lastInterest!;
    const hash = `0x${'ab'.repeat(32)}`;
    expect(interest.events()).toBe(false);
    expect(interest.tx(hash)).toBe(false);
    await ws.request({ op: 'subscribe', id: 'ev', topic: 'events' });
    await ws.request({ op: 'subscribe', id: 'one-tx', topic: 'tx', hash });
    expect(interest.events()).toBe(true);
    expect(interest.tx(hash)).toBe(true);
    await ws.request({ op: 'unsubscribe', id: 'ev' });
    await ws.request({ op: 'unsubscribe', id: 'one-tx' });
    expect(interest.events()).toBe(false);
    expect(interest.tx(hash)).toBe(false);
  });

  it('events: filtered by module and name', async () => {
    await ws.request({ op: 'subscribe', id: 'kv-put', topic: 'events', module: 'kv', name: 'put' });
    await ws.request({ op: 'subscribe', id: 'other', topic: 'events', module: 'catalog' });
    const { hash } = await t.client.sendTx({
      kind: 'kv.put',
      payload: { key: 'e', value: { deep: [1] } },
      signer,
    });
    const block = t.node.commit();
    expect(await ws.next()).toEqual({
      id: 'kv-put',
      type: 'data',
      data: {
        module: 'kv',
        name: 'put',
        data: { key: 'e', value: { deep: [1] } },
        txHash: hash,
        height: block.header.height,
      },
    });
    await expectNothingPushed(ws, 'sentinel-2');
    await ws.request({ op: 'unsubscribe', id: 'kv-put' });
    await ws.request({ op: 'unsubscribe', id: 'other' });
  });

  it('viewChanges: the new view and its primary', async () => {
    await ws.request({ op: 'subscribe', id: 'views', topic: 'viewChanges' });
    t.node.changeView();
    expect(await ws.next()).toEqual({
      id: 'views',
      type: 'data',
      data: { view: t.node.view, primary: toHex(t.node.primary.publicKey), atMs: expect.any(Number) },
    });
    await ws.request({ op: 'unsubscribe', id: 'views' });
  });

  it('pushes go through their schema: fields the schema does not name are dropped', async () => {
    await ws.request({ op: 'subscribe', id: 'h2', topic: 'heads' });
    const summary = {
      height: 99,
      hash: toHex(new Uint8Array(32)),
      timestampMs: 1,
      proposer: toHex(new Uint8Array(32)),
      view: 0,
      txCount: 0,
    };
    t.node.emit({ type: 'head', block: { ...summary, secret: 'x' } as typeof summary });
    expect(await ws.next()).toEqual({ id: 'h2', type: 'data', data: summary });
    await ws.request({ op: 'unsubscribe', id: 'h2' });
  });

  it('malformed messages get error replies naming the problem, and the connection stays usable', async () => {
    expect(await ws.request('{not json')).toMatchObject({
      id: null,
      type: 'error',
      error: { code: 'BAD_JSON' },
    });
    expect(await ws.request([1, 2])).toMatchObject({
      id: null,
      type: 'error',
      error: { code: 'BAD_MESSAGE' },
    });
    expect(await ws.request({ op: 'publish', id: 'p' })).toMatchObject({
      id: 'p',
      error: { code: 'BAD_MESSAGE' },
    });
    const unknownTopic = await ws.request({ op: 'subscribe', id: 'u', topic: 'blocks' });
    expect(unknownTopic).toMatchObject({
      id: 'u',
      type: 'error',
      error: { code: 'BAD_MESSAGE', hint: expect.any(String) },
    });
    expect(unknownTopic.error?.message).toContain('topic');
    const badHash = await ws.request({ op: 'subscribe', id: 'b', topic: 'tx', hash: '0x12' });
    expect(badHash.error?.message).toContain('/hash');
    const extra = await ws.request({ op: 'subscribe', id: 'x', topic: 'heads', extra: true });
    expect(extra).toMatchObject({ id: 'x', error: { code: 'BAD_MESSAGE' } });
    const longId = await ws.request({ op: 'subscribe', id: 'i'.repeat(65), topic: 'heads' });
    expect(longId).toMatchObject({ id: null, error: { code: 'BAD_MESSAGE' } });
    ws.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await ws.next()).toMatchObject({ id: null, error: { code: 'BAD_MESSAGE' } });
    await expectNothingPushed(ws, 'still-works');
  });

  it('a reused id is SUBSCRIPTION_EXISTS; past the per-connection limit, TOO_MANY_SUBSCRIPTIONS', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids)
      expect(await ws.request({ op: 'subscribe', id, topic: 'heads' })).toEqual({ id, type: 'subscribed' });
    expect(await ws.request({ op: 'subscribe', id: 'a', topic: 'heads' })).toMatchObject({
      id: 'a',
      type: 'error',
      error: { code: 'SUBSCRIPTION_EXISTS' },
    });
    expect(await ws.request({ op: 'subscribe', id: 'e', topic: 'heads' })).toMatchObject({
      id: 'e',
      type: 'error',
      error: { code: 'TOO_MANY_SUBSCRIPTIONS', hint: expect.any(String) },
    });
    // Freeing one makes room again.
    await ws.request({ op: 'unsubscribe', id: 'a' });
    expect(await ws.request({ op: 'subscribe', id: 'e', topic: 'heads' })).toEqual({
      id: 'e',
      type: 'subscribed',
    });
    for (const id of ['b', 'c', 'd', 'e']) await ws.request({ op: 'unsubscribe', id });
  });

  it('a message over MAX_WS_MESSAGE_BYTES closes the connection with 1009', async () => {
    const big = await TestSocket.open(t.url);
    big.send({ op: 'subscribe', id: 'x'.repeat(MAX_WS_MESSAGE_BYTES), topic: 'heads' });
    expect((await big.closed).code).toBe(1009);
  });
});

describe('connection bounds', () => {
  it('past maxConnections a new connection is closed with 1013', async () => {
    const t = await startTestServer({ ws: { maxConnections: 2 } });
    try {
      const first = await TestSocket.open(t.url);
      const second = await TestSocket.open(t.url);
      expect(await first.request({ op: 'subscribe', id: '1', topic: 'heads' })).toMatchObject({
        type: 'subscribed',
      });
      expect(await second.request({ op: 'subscribe', id: '2', topic: 'heads' })).toMatchObject({
        type: 'subscribed',
      });
      const third = await TestSocket.open(t.url);
      const closed = await third.closed;
      expect(closed.code).toBe(WS_CLOSE_TRY_AGAIN_LATER);
      expect(closed.reason).toContain('too many connections');
      expect(await droppedCount(t, 'too_many_connections')).toBe(1);
      first.close();
      second.close();
    } finally {
      await t.close();
    }
  });

  it('a client that stops reading is dropped with 4001 once its send buffer is full', async () => {
    const maxSendBufferBytes = 256 * 1024;
    const t = await startTestServer({ ws: { maxSendBufferBytes } });
    try {
      const slow = await TestSocket.open(t.url);
      const healthy = await TestSocket.open(t.url);
      await slow.request({ op: 'subscribe', id: 'all', topic: 'events' });
      await healthy.request({ op: 'subscribe', id: 'all', topic: 'events' });
      slow.socket.pause(); // stops reading: the kernel buffers fill, then the server's queue grows
      const data = 'x'.repeat(64 * 1024);
      let pushed = 0;
      // Bounded: well past what kernel buffers can hold, so the server must have dropped by then.
      while ((await droppedCount(t, 'slow_consumer')) === 0 && pushed < 4000) {
        for (let i = 0; i < 16; i++, pushed++) {
          t.node.emit({
            type: 'event',
            module: 'm',
            name: 'n',
            data,
            txHash: toHex(new Uint8Array(32)),
            height: pushed,
          });
        }
        await nextTurn();
      }
      expect(await droppedCount(t, 'slow_consumer')).toBe(1);
      slow.socket.resume();
      const closed = await slow.closed;
      expect(closed.code).toBe(WS_CLOSE_SLOW_CONSUMER);
      expect(closed.reason).toContain('slow consumer');
      // The reader that kept up is still served.
      let last: Received | undefined;
      for (let i = 0; i < pushed; i++) last = await healthy.next();
      expect(last).toMatchObject({ id: 'all', type: 'data', data: { height: pushed - 1 } });
      expect(await healthy.request({ op: 'unsubscribe', id: 'all' })).toEqual({
        id: 'all',
        type: 'unsubscribed',
      });
      healthy.close();
    } finally {
      await t.close();
    }
  });

  it('closing the server closes subscribers with 1001 and detaches from the node', async () => {
    const t = await startTestServer();
    const ws = await TestSocket.open(t.url);
    await ws.request({ op: 'subscribe', id: 'h', topic: 'heads' });
    expect(t.node.listenerCount).toBe(1);
    await t.close();
    expect((await ws.closed).code).toBe(WS_CLOSE_GOING_AWAY);
    expect(t.node.listenerCount).toBe(0);
  });
});
