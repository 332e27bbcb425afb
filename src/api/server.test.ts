/**
 * Every HTTP route, exercised through the SDK against the real server on an
 * ephemeral port, with a fake node holding real signed transactions, real
 * headers and a real state trie. Each answer is also checked against its
 * TypeBox schema.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTx, signTx, txHash } from '../chain/transaction.ts';
import { fromHex, toHex, utf8 } from '../codec/bytes.ts';
import { generateSigningKeyPair, verify } from '../crypto/ed25519.ts';
import { verifyProof } from '../trie/index.ts';
import {
  Account,
  Block,
  BlockSummary,
  Health,
  NodeStatus,
  PeerInfo,
  StateProof,
  SubmitTxResponse,
  TxStatus,
  ValidatorInfo,
} from './schemas.ts';
import { MeridianApiError } from './sdk.ts';
import { FAKE_CHAIN_ID } from './testing/fake-node.ts';
import { startTestServer, type TestServer } from './testing/harness.ts';

function conforms(schema: TSchema, value: unknown): void {
  const errors = [...Value.Errors(schema, value)].map((e) => `${e.path} ${e.message}`);
  expect(errors).toEqual([]);
}

let t: TestServer;
const alice = generateSigningKeyPair();
const bob = generateSigningKeyPair();

beforeAll(async () => {
  t = await startTestServer({}, { WebSocket: null });
});
afterAll(async () => {
  await t.close();
});

describe('node routes', () => {
  it('GET /v1/status answers the schema and nothing more (extra node fields are dropped)', async () => {
    const status = await t.client.status();
    conforms(NodeStatus, status);
    expect(status.chainId).toBe(FAKE_CHAIN_ID);
    expect(status).not.toHaveProperty('internalSecret');
    const raw = await (await fetch(`${t.url}/v1/status`)).text();
    expect(raw).not.toContain('must-not-leak');
  });

  it('GET /v1/health is 200 when healthy and 503 (same body shape) when not', async () => {
    const healthy = await t.client.health();
    conforms(Health, healthy);
    expect(healthy.ok).toBe(true);
    t.node.healthy = false;
    try {
      const response = await fetch(`${t.url}/v1/health`);
      expect(response.status).toBe(503);
      const body = await response.json();
      conforms(Health, body);
      expect(await t.client.health()).toMatchObject({ ok: false, checks: { consensus: { ok: false } } });
    } finally {
      t.node.healthy = true;
    }
  });

  it('GET /v1/validators and /v1/peers list the fake network', async () => {
    const validators = await t.client.validators();
    expect(validators).toHaveLength(4);
    for (const v of validators) conforms(ValidatorInfo, v);
    expect(validators.filter((v) => v.isPrimary)).toHaveLength(1);
    const peers = await t.client.peers();
    expect(peers).toHaveLength(3);
    for (const p of peers) conforms(PeerInfo, p);
  });
});

describe('transactions', () => {
  it('sendTx fetches chain id and nonce, signs, and the node admits it (202, pending)', async () => {
    const result = await t.client.sendTx({
      kind: 'kv.put',
      payload: { key: 'greeting', value: 'hello' },
      signer: alice,
    });
    conforms(SubmitTxResponse, result);
    expect(result.status).toBe('pending');
    const pending = await t.client.txStatus(result.hash);
    expect(pending).toEqual({ hash: result.hash, status: 'pending' });

    // A second send without a nonce takes the next one although the first has not committed.
    const second = await t.client.sendTx({ kind: 'kv.put', payload: { key: 'n', value: 2 }, signer: alice });
    t.node.commit();
    const committed = await t.client.txStatus(second.hash);
    conforms(TxStatus, committed);
    expect(committed.status).toBe('committed');
    expect(committed.transaction?.nonce).toBe(1);
    expect(committed.transaction?.payloadJson).toEqual({ key: 'n', value: 2 });
    expect(committed.receipt).toMatchObject({ status: 'ok', result: { stored: 'kv/n' } });
    expect(committed.receipt?.events).toEqual([{ module: 'kv', name: 'put', data: { key: 'n', value: 2 } }]);
    expect((await t.client.account(alice.publicKey)).nonce).toBe(2);
  });

  it('submitTx takes a SignedTx or its bytes; submitting twice is a duplicate, not an error', async () => {
    const body = {
      chainId: FAKE_CHAIN_ID,
      sender: bob.publicKey,
      nonce: 0,
      kind: 'kv.put',
      payload: utf8('{"key":"b"}'),
    };
    const signed = signTx(body, bob.secretKey);
    const first = await t.client.submitTx(signed);
    expect(first).toEqual({ hash: toHex(txHash(body)), status: 'pending' });
    expect(await t.client.submitTx(encodeTx(signed))).toEqual({ hash: first.hash, status: 'duplicate' });
    const raw = await fetch(`${t.url}/v1/tx`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: toHex(encodeTx(signed)) }),
    });
    expect(raw.status).toBe(202);
  });

  it('a batch admits each transaction in order and reports a refusal without stopping the rest', async () => {
    const carol = generateSigningKeyPair();
    const make = (nonce: number, key = carol) =>
      signTx(
        {
          chainId: FAKE_CHAIN_ID,
          sender: carol.publicKey,
          nonce,
          kind: 'kv.put',
          payload: utf8(`{"key":"c${nonce}"}`),
        },
        key.secretKey,
      );
    const good0 = make(0);
    const forged = make(1, alice);
    const good1 = make(1);
    const { results } = await t.client.submitTxBatch([good0, forged, good1, good0]);
    expect(results.map((r) => r.status)).toEqual(['pending', 'rejected', 'pending', 'duplicate']);
    expect(results[1]).toMatchObject({ error: { code: 'TX_BAD_SIGNATURE' } });
    expect(results[0]).toMatchObject({ hash: toHex(txHash(good0.body)) });
  });

  it('a bad signature comes back as MeridianApiError 400 TX_BAD_SIGNATURE with a hint', async () => {
    const body = {
      chainId: FAKE_CHAIN_ID,
      sender: bob.publicKey,
      nonce: 5,
      kind: 'kv.put',
      payload: utf8('{}'),
    };
    const forged = signTx(body, alice.secretKey);
    const error = await t.client.submitTx(forged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeridianApiError);
    expect(error).toMatchObject({ status: 400, code: 'TX_BAD_SIGNATURE' });
    expect((error as MeridianApiError).hint).toMatch(/sign/);
  });

  it('a transaction for another chain is TX_WRONG_CHAIN (400)', async () => {
    const error = await t.client
      .sendTx({ kind: 'kv.put', payload: { key: 'x' }, signer: bob, chainId: 'other-chain', nonce: 9 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: 'TX_WRONG_CHAIN' });
  });

  it('a full mempool is 503 MEMPOOL_FULL with Retry-After', async () => {
    t.node.mempoolCapacity = 0;
    try {
      const body = {
        chainId: FAKE_CHAIN_ID,
        sender: bob.publicKey,
        nonce: 7,
        kind: 'kv.put',
        payload: utf8('{}'),
      };
      const tx = toHex(encodeTx(signTx(body, bob.secretKey)));
      const response = await fetch(`${t.url}/v1/tx`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tx }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ code: 'MEMPOOL_FULL', hint: expect.any(String) });
      const error = await t.client.submitTx(fromHex(tx)).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 503, code: 'MEMPOOL_FULL', retryAfterSeconds: 1 });
    } finally {
      t.node.mempoolCapacity = 1_000;
    }
  });

  it('an unknown transaction hash is 200 with status unknown', async () => {
    const hash = toHex(new Uint8Array(32).fill(7));
    expect(await t.client.txStatus(hash)).toEqual({ hash, status: 'unknown' });
  });

  it('waitForTx without WebSockets polls until the transaction commits', async () => {
    const { hash } = await t.client.sendTx({
      kind: 'kv.put',
      payload: { key: 'polled', value: true },
      signer: alice,
    });
    const waiting = t.client.waitForTx(hash, { pollIntervalMs: 10 });
    t.node.commit();
    const status = await waiting;
    expect(status).toMatchObject({ hash, status: 'committed', receipt: { status: 'ok' } });
    // The same shape as the subscription's push: no transaction body.
    expect(status.transaction).toBeUndefined();
  });
});

describe('blocks', () => {
  it('latestBlock, block(height), block(hash) and block(bytes) agree; the certificate signs the header hash', async () => {
    t.node.commit();
    const latest = await t.client.latestBlock();
    conforms(Block, latest);
    expect(latest.header.height).toBe(t.node.head.header.height);
    expect(await t.client.block(latest.header.height)).toEqual(latest);
    expect(await t.client.block(latest.header.hash)).toEqual(latest);
    expect(await t.client.block(fromHex(latest.header.hash))).toEqual(latest);
    const certificate = latest.certificate!;
    expect(certificate.headerHash).toBe(latest.header.hash);
    for (const s of certificate.signatures) {
      expect(verify(fromHex(s.validator), fromHex(latest.header.hash), fromHex(s.signature))).toBe(true);
    }
  });

  it('the genesis block has a null certificate', async () => {
    const genesis = await t.client.block(0);
    conforms(Block, genesis);
    expect(genesis.certificate).toBeNull();
  });

  it('an absent block is 404 BLOCK_NOT_FOUND with a hint naming the head', async () => {
    const error = await t.client.block(999_999).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, code: 'BLOCK_NOT_FOUND' });
    expect((error as MeridianApiError).hint).toContain(`height ${t.node.head.header.height}`);
    const byHash = await t.client.block(toHex(new Uint8Array(32))).catch((e: unknown) => e);
    expect(byHash).toMatchObject({ status: 404, code: 'BLOCK_NOT_FOUND' });
  });

  it('recentBlocks pages newest first, with limit and before', async () => {
    t.node.commit();
    t.node.commit();
    const head = t.node.head.header.height;
    const page = await t.client.recentBlocks(2);
    for (const s of page) conforms(BlockSummary, s);
    expect(page.map((s) => s.height)).toEqual([head, head - 1]);
    const older = await t.client.recentBlocks(2, head - 1);
    expect(older.map((s) => s.height)).toEqual([head - 2, head - 3]);
    expect((await t.client.recentBlocks()).length).toBe(Math.min(20, head + 1));
  });
});

describe('module queries', () => {
  it('passes the JSON parameters to the module and returns its result; unknown queries are 404 with the known ones', async () => {
    expect(await t.client.query('kv', 'echo', { a: 1 })).toMatchObject({ params: { a: 1 } });
    const error = await t.client.query('kv', 'nope').catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 404,
      code: 'QUERY_NOT_FOUND',
      hint: expect.stringContaining('kv/echo'),
    });
  });
});

describe('block transaction hashes', () => {
  it("lists a committed block's transaction hashes in order, and 404s past the head", async () => {
    const { hash } = await t.client.sendTx({
      kind: 'kv.put',
      payload: { key: 'th', value: 1 },
      signer: alice,
    });
    t.node.commit();
    const status = await t.client.txStatus(hash);
    const listed = await t.client.blockTxHashes(status.height!);
    expect(listed.txHashes).toContain(hash);
    expect(listed.hash).toBe(status.blockHash);
    const error = await t.client.blockTxHashes(status.height! + 1000).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, code: 'BLOCK_NOT_FOUND' });
  });
});

describe('state and accounts', () => {
  it('state(text key, prove) returns the value with a proof that verifies against the certified header', async () => {
    const { hash } = await t.client.sendTx({
      kind: 'kv.put',
      payload: { key: 'docs/hello world', value: { ok: 1 } },
      signer: bob,
    });
    t.node.commit();
    expect((await t.client.txStatus(hash)).status).toBe('committed');
    const proof = await t.client.state('kv/docs/hello world', { prove: true });
    conforms(StateProof, proof);
    expect(proof.valueJson).toEqual({ ok: 1 });
    expect(proof.header?.height).toBe(proof.height);
    expect(proof.certificate?.headerHash).toBe(proof.header?.hash);
    const value = verifyProof(
      fromHex(proof.header!.stateRoot),
      fromHex(proof.key),
      proof.proof!.map((n) => fromHex(n)),
    );
    expect(value && toHex(value)).toBe(proof.value);
  });

  it('state by 0x key, without proof, and at an older height where the key was absent', async () => {
    const key = toHex(utf8('kv/greeting'));
    const now = await t.client.state(key);
    expect(now.valueJson).toBe('hello');
    expect(now).not.toHaveProperty('proof');
    const atGenesis = await t.client.state(utf8('kv/greeting'), { height: 0, prove: true });
    expect(atGenesis.value).toBeNull();
    expect(atGenesis.height).toBe(0);
  });

  it('state at a height past the head is 404', async () => {
    const error = await t.client.state('kv/greeting', { height: 10_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, code: 'HEIGHT_NOT_FOUND' });
  });

  it('account returns the next nonce (0 for a stranger)', async () => {
    const stranger = generateSigningKeyPair();
    const account = await t.client.account(toHex(stranger.publicKey));
    conforms(Account, account);
    expect(account).toEqual({ publicKey: toHex(stranger.publicKey), nonce: 0 });
  });
});
