/**
 * Hostile and malformed input against a running 4-validator devnet, through the
 * two doors a node has: its node-to-node TLS port and its HTTP API. Each bad
 * input is refused with a typed error and a log line, and the network keeps
 * committing afterwards.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeridianApiError } from '../../src/api/sdk.ts';
import { encodeTx, signTx, txHash } from '../../src/chain/transaction.ts';
import { fromHexFixed, toHex, utf8 } from '../../src/codec/bytes.ts';
import { encodeMessage } from '../../src/consensus/pbft/messages.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/crypto/ed25519.ts';
import { decryptKeyFile, parseKeyFile } from '../../src/crypto/keyfile.ts';
import { TlsTransport } from '../../src/net/tls-transport.ts';
import type { RefusalEvent } from '../../src/net/transport.ts';
import { encodeNodeMessage } from '../../src/node/wire.ts';
import { eventually, startTestDevnet, type TestDevnet } from '../support/devnet.ts';

let net: TestDevnet;
const user = generateSigningKeyPair();

beforeAll(async () => {
  net = await startTestDevnet({ openMembership: true }); // throwaway senders
}, 90_000);

afterAll(async () => {
  await net?.stop();
});

function log(index: number): string {
  return readFileSync(net.layout.nodes[index]!.logFile, 'utf8');
}

async function validatorKey(index: number): Promise<SigningKeyPair> {
  const passphrase = readFileSync(join(net.dir, 'passphrase'), 'utf8');
  const file = parseKeyFile(readFileSync(join(net.layout.nodes[index]!.dir, 'key.json'), 'utf8'));
  return (await decryptKeyFile(file, passphrase)).signing;
}

/**
 * Connects to validator 0 as `keyPair` on `chainId`. Sessions are dialled by the lower key of a pair, so
 * the test transport both dials validator 0 and listens on `listenPort` (validator 3's port when it
 * impersonates validator 3, which validator 0 then dials itself).
 */
async function dialValidator0(keyPair: SigningKeyPair, chainId: string, listenPort = 0) {
  const target = net.layout.nodes[0]!;
  const transport = await TlsTransport.create({
    chainId,
    keyPair,
    allowedKeys: [fromHexFixed(target.publicKey, 32)],
    listenHost: '127.0.0.1',
    listenPort,
  });
  await transport.start();
  const refusals: RefusalEvent[] = [];
  transport.onRefusal((e) => refusals.push(e));
  let up = false;
  transport.onPeerUp(() => {
    up = true;
  });
  transport.onPeerDown((e) =>
    refusals.push({
      by: 'remote',
      direction: 'outbound',
      remoteAddress: '',
      publicKey: e.publicKey,
      code: e.code,
      reason: e.reason,
    }),
  );
  transport.setPeers([
    { publicKey: fromHexFixed(target.publicKey, 32), host: '127.0.0.1', port: target.p2pPort },
  ]);
  return { transport, refusals, isUp: () => up };
}

async function committedHeight(): Promise<number> {
  return (await net.clients[0]!.status()).height;
}

async function sendAndCommit(label: string): Promise<string> {
  const { hash } = await net.clients[1]!.sendTx({
    kind: 'kv.put',
    payload: { key: `ok-${label}`, value: 'v' },
    signer: user,
  });
  const status = await net.clients[1]!.waitForTx(hash, { timeoutMs: 30_000 });
  expect(status.status).toBe('committed');
  // The block's transaction list (what load generators follow) names it at its index.
  const listed = await net.clients[1]!.blockTxHashes(status.height!);
  expect(listed.txHashes[status.index!]).toBe(hash);
  expect(listed.hash).toBe(status.blockHash);
  return hash;
}

describe('the node-to-node port', () => {
  it('refuses a node whose key is not a validator at the TLS handshake, and logs it', async () => {
    // A stranger key that sorts below validator 0's, so that the stranger is the side that dials.
    let strangerKey = generateSigningKeyPair();
    while (toHex(strangerKey.publicKey) > net.layout.nodes[0]!.publicKey)
      strangerKey = generateSigningKeyPair();
    const stranger = await dialValidator0(strangerKey, net.layout.chainId);
    try {
      const refusal = await eventually(
        async () => stranger.refusals.find((r) => r.code === 'NET_PEER_NOT_ADMITTED'),
        45_000,
        'a not-admitted refusal',
      );
      expect(refusal.reason).toContain('not admitted');
      expect(stranger.isUp()).toBe(false);
      await eventually(
        async () => (log(0).includes('NET_PEER_NOT_ADMITTED') ? true : undefined),
        10_000,
        'the log line',
      );
      // The validators' own sessions are unaffected.
      await eventually(
        async () =>
          (await net.clients[0]!.peers()).filter((p) => p.connected).length === 3 ? true : undefined,
        30_000,
        'validator 0 connected to the other three',
      );
    } finally {
      await stranger.transport.close();
    }
  }, 60_000);

  it('refuses a validator key on the wrong chain id', async () => {
    await net.processes.kill(3, 'SIGKILL');
    const impostor = await dialValidator0(
      await validatorKey(3),
      'some-other-chain',
      net.layout.nodes[3]!.p2pPort,
    );
    try {
      // Other validators dialling the impostor's port are refused by it too; look for validator 0's verdict.
      // Whichever side dials (validator 0 redials validator 3's port with a back-off of up to 10 s).
      const refusal = await eventually(
        async () => impostor.refusals.find((r) => r.code === 'NET_WRONG_CHAIN'),
        45_000,
        'a wrong-chain refusal',
      );
      expect(refusal.reason).toContain('some-other-chain');
    } finally {
      await impostor.transport.close();
    }
  }, 60_000);

  it('survives malformed frames, oversized items, foreign signers and bad signatures from an admitted peer', async () => {
    // Validator 3 is down (previous test); its key dials in as a misbehaving peer.
    const peer = await dialValidator0(
      await validatorKey(3),
      net.layout.chainId,
      net.layout.nodes[3]!.p2pPort,
    );
    const v0 = fromHexFixed(net.layout.nodes[0]!.publicKey, 32);
    try {
      await eventually(async () => (peer.isUp() ? true : undefined), 20_000, 'the session');
      // Not a node message at all.
      peer.transport.send(v0, Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
      // A gossip frame whose transaction is over MAX_TX_BYTES.
      peer.transport.send(v0, encodeNodeMessage({ type: 'txs', txs: [] }).slice(0, 3));
      const bigTx = new Uint8Array(600 * 1024);
      peer.transport.send(v0, encodeNodeMessage({ type: 'txs', txs: [bigTx] }));
      // A consensus message claiming to be signed by validator 1, sent by validator 3's session.
      const forged = {
        body: { type: 'heartbeat' as const, view: 0, height: 1 },
        signer: 1,
        signature: new Uint8Array(64),
      };
      peer.transport.send(v0, encodeNodeMessage({ type: 'consensus', message: encodeMessage(forged) }));
      // A STATUS "from validator 3" (the session's own key) with a garbage signature.
      const status = {
        type: 'status' as const,
        view: 0,
        changingView: false,
        committedHeight: 0,
        stableHeight: 0,
      };
      const badSignature = { body: status, signer: 3, signature: new Uint8Array(64).fill(7) };
      peer.transport.send(v0, encodeNodeMessage({ type: 'consensus', message: encodeMessage(badSignature) }));
      await eventually(
        async () => {
          const text = log(0);
          return text.includes('malformed frame from peer') &&
            text.includes('not signed by the peer that sent it') &&
            text.includes('signature does not verify')
            ? true
            : undefined;
        },
        20_000,
        'log lines for each bad frame',
      ).catch((error: unknown) => {
        console.log(
          log(0)
            .split('\n')
            .filter((l) => l.includes('"level":40'))
            .join('\n'),
        );
        throw error;
      });
    } finally {
      await peer.transport.close();
    }
    // Raw TCP garbage with an absurd length prefix: dropped, nothing else happens.
    await new Promise<void>((resolve) => {
      const socket = connect(net.layout.nodes[0]!.p2pPort, '127.0.0.1', () =>
        socket.end(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3)),
      );
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    net.processes.startNode(3);
    const before = await committedHeight();
    await sendAndCommit('after-bad-frames');
    await eventually(
      async () => ((await committedHeight()) > before ? true : undefined),
      20_000,
      'validator 0 to commit',
    );
  }, 120_000);
});

describe('the API', () => {
  it('refuses a bad signature, a foreign chain id, a replay, an oversized and a malformed transaction, each with its code', async () => {
    const replayed = await sendAndCommit('to-replay');
    const expectCode = async (promise: Promise<unknown>, code: string) => {
      const error = await promise.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MeridianApiError);
      expect(error).toMatchObject({ code });
    };
    const nonce = (await net.clients[1]!.account(toHex(user.publicKey))).nonce;
    const body = {
      chainId: net.layout.chainId,
      sender: user.publicKey,
      nonce,
      kind: 'kv.put',
      payload: utf8('{"key":"x","value":"y"}'),
    };
    const forged = signTx(body, generateSigningKeyPair().secretKey);
    await expectCode(net.clients[1]!.submitTx(forged), 'TX_BAD_SIGNATURE');
    await expectCode(
      net.clients[1]!.submitTx(signTx({ ...body, chainId: 'other-chain' }, user.secretKey)),
      'TX_WRONG_CHAIN',
    );
    const original = await net.clients[1]!.txStatus(replayed);
    const replay = signTx(
      {
        ...body,
        nonce: original.transaction!.nonce,
        payload: fromHexFixed(original.transaction!.payload, (original.transaction!.payload.length - 2) / 2),
      },
      user.secretKey,
    );
    expect(toHex(txHash(replay.body))).toBe(replayed);
    await expectCode(net.clients[1]!.submitTx(replay), 'TX_NONCE_TOO_LOW');
    const huge = encodeTx(signTx({ ...body, payload: new Uint8Array(400 * 1024) }, user.secretKey));
    const response = await fetch(`${net.layout.nodes[1]!.apiUrl}/v1/tx`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: `${toHex(huge)}${'ab'.repeat(200 * 1024)}` }),
    });
    expect([400, 413]).toContain(response.status);
    await expectCode(net.clients[1]!.submitTx(Uint8Array.of(1, 2, 3)), 'RLP_INVALID');
    await eventually(
      async () =>
        ['TX_BAD_SIGNATURE', 'TX_WRONG_CHAIN', 'TX_NONCE_TOO_LOW'].every((c) => log(1).includes(c))
          ? true
          : undefined,
      10_000,
      'log lines for each refusal',
    );
    await sendAndCommit('after-bad-txs');
  }, 90_000);

  it('holds a transaction behind a nonce gap without treating it as work: no view change, then it commits', async () => {
    const gapped = generateSigningKeyPair(); // an open chain: any key may send
    const body = (nonce: number) => ({
      chainId: net.layout.chainId,
      sender: gapped.publicKey,
      nonce,
      kind: 'kv.put',
      payload: utf8(JSON.stringify({ key: `gap-${nonce}`, value: 'v' })),
    });
    const before = await net.clients[0]!.status();
    const second = await net.clients[1]!.submitTx(signTx(body(1), gapped.secretKey));
    expect(second.status).toBe('pending');
    // Longer than requestTimeoutMs (3 s): a replica that counted it as work would suspect the primary.
    await new Promise((r) => setTimeout(r, 4_500));
    expect((await net.clients[0]!.status()).view).toBe(before.view);
    expect((await net.clients[1]!.txStatus(second.hash)).status).toBe('pending');
    await net.clients[1]!.submitTx(signTx(body(0), gapped.secretKey));
    const status = await net.clients[1]!.waitForTx(second.hash, { timeoutMs: 30_000 });
    expect(status.status).toBe('committed');
  }, 60_000);
});
