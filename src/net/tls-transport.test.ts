/**
 * What only the TLS transport can get wrong: the TLS version, certificates, the
 * hello's binding to the TLS session, and hostile bytes on a real socket. A raw
 * client plays the misbehaving peer.
 */

import { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { deflateRawSync } from 'node:zlib';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterEach, describe, expect, it } from 'vitest';
import { equalBytes, utf8 } from '../codec/bytes.ts';
import type { SigningKeyPair } from '../crypto/ed25519.ts';
import { makeNodeCertificate, type NodeCertificate, peerPublicKey } from './certificate.ts';
import { FrameDecoder, MAX_FRAME_BYTES } from './frame.ts';
import { makeHello, SESSION_BINDING_BYTES, SESSION_BINDING_LABEL } from './handshake.ts';
import type { TransportOptions } from './session-transport.ts';
import { TlsTransport } from './tls-transport.ts';
import type { ListenAddress, NetLogger, PeerDownEvent, RefusalEvent } from './transport.ts';
import { sortedKeyPairs, TEST_CHAIN_ID, waitFor } from './transport-compliance.ts';
import {
  decodeEnvelope,
  type Envelope,
  encodeEnvelopeFrame,
  MAX_HELLO_FRAME_BYTES,
  MAX_MESSAGE_BYTES,
} from './wire.ts';

interface ServerNode {
  transport: TlsTransport;
  address: ListenAddress;
  refusals: RefusalEvent[];
  down: PeerDownEvent[];
  up: string[];
  received: string[];
  logs: { level: string; object: object; message: string }[];
}

const servers: TlsTransport[] = [];
const sockets: TLSSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((t) => t.close()));
});

function recordingLogger(logs: ServerNode['logs']): NetLogger {
  const at = (level: string) => (object: object, message: string) => logs.push({ level, object, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function startServer(
  keyPair: SigningKeyPair,
  allowedKeys: Uint8Array[],
  overrides: Partial<TransportOptions> = {},
): Promise<ServerNode> {
  const logs: ServerNode['logs'] = [];
  const transport = await TlsTransport.create({
    chainId: TEST_CHAIN_ID,
    keyPair,
    allowedKeys,
    logger: recordingLogger(logs),
    reconnect: { initialDelayMs: 20, maxDelayMs: 250 },
    ...overrides,
  });
  servers.push(transport);
  const node: ServerNode = {
    transport,
    address: await transport.start(),
    refusals: [],
    down: [],
    up: [],
    received: [],
    logs,
  };
  transport.onRefusal((event) => node.refusals.push(event));
  transport.onPeerDown((event) => node.down.push(event));
  transport.onPeerUp((event) => node.up.push(event.id));
  transport.onMessage((_from, payload) => node.received.push(new TextDecoder().decode(payload)));
  return node;
}

/** A hand-driven peer on a real TLS socket: it sends whatever bytes a test wants. */
interface RawPeer {
  socket: TLSSocket;
  binding: Uint8Array;
  envelopes: Envelope[];
  closed: Promise<unknown>;
  send(envelope: Envelope): void;
}

async function rawPeer(address: ListenAddress, certificate: NodeCertificate | undefined): Promise<RawPeer> {
  const socket = tlsConnect({
    host: address.host,
    port: address.port,
    ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}),
    minVersion: 'TLSv1.3',
    rejectUnauthorized: false,
  });
  sockets.push(socket);
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  await once(socket, 'secureConnect');
  const envelopes: Envelope[] = [];
  const decoder = new FrameDecoder(MAX_FRAME_BYTES);
  socket.on('data', (chunk: Uint8Array) => decoder.push(chunk, (p) => envelopes.push(decodeEnvelope(p))));
  return {
    socket,
    binding: new Uint8Array(
      socket.exportKeyingMaterial(SESSION_BINDING_BYTES, SESSION_BINDING_LABEL, Buffer.alloc(0)),
    ),
    envelopes,
    closed,
    send: (envelope) => socket.write(encodeEnvelopeFrame(envelope)),
  };
}

function identity(keyPair: SigningKeyPair, chainId = TEST_CHAIN_ID) {
  return { keyPair, chainId, listenHost: '127.0.0.1', listenPort: 1 };
}

/** Waits for the goodbye the server sends before closing; returns its code. */
async function goodbyeCode(peer: RawPeer): Promise<string> {
  await peer.closed;
  const goodbye = peer.envelopes.find((e) => e.type === 'goodbye');
  return goodbye?.type === 'goodbye' ? goodbye.code : 'no goodbye';
}

/** A raw peer that completes the handshake, so the server reports it up. */
/** A server admitting two peer keys, with the good one connected; the bad key is for hostile sessions. */
async function serverWithTwoPeers() {
  const [serverKey, goodKey, badKey] = sortedKeyPairs(3) as [SigningKeyPair, SigningKeyPair, SigningKeyPair];
  const server = await startServer(serverKey, [serverKey.publicKey, goodKey.publicKey, badKey.publicKey]);
  const good = await handshakenPeer(server, goodKey);
  return { server, good, goodKey, badKey };
}

async function handshakenPeer(server: ServerNode, keyPair: SigningKeyPair): Promise<RawPeer> {
  const peer = await rawPeer(server.address, await makeNodeCertificate(keyPair));
  peer.send(makeHello(identity(keyPair), peer.binding));
  await waitFor(() => peer.envelopes.some((e) => e.type === 'welcome'), 'the welcome');
  peer.send({ type: 'welcome' });
  await waitFor(() => server.up.length > 0, 'the server to report the peer up');
  return peer;
}

describe('TlsTransport', () => {
  it('negotiates TLS 1.3 with mutual Ed25519 certificates whose keys are the node keys', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey]);
    const peer = await rawPeer(server.address, await makeNodeCertificate(clientKey));
    expect(peer.socket.getProtocol()).toBe('TLSv1.3');
    expect(peer.socket.getCipher().name).toMatch(/^TLS_(AES_256_GCM_SHA384|AES_128_GCM_SHA256|CHACHA20)/);
    expect(equalBytes(peerPublicKey(peer.socket), serverKey.publicKey)).toBe(true);
    // The server's hello arrives first, naming the same key, signed over this session.
    await waitFor(() => peer.envelopes.length > 0, 'the server hello');
    const hello = peer.envelopes[0]!;
    expect(hello.type).toBe('hello');
    if (hello.type === 'hello') expect(equalBytes(hello.body.publicKey, serverKey.publicKey)).toBe(true);
  });

  it('refuses a client that offers at most TLS 1.2', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey]);
    const certificate = await makeNodeCertificate(clientKey);
    const socket = tlsConnect({
      ...server.address,
      cert: certificate.certPem,
      key: certificate.keyPem,
      maxVersion: 'TLSv1.2',
      rejectUnauthorized: false,
    });
    sockets.push(socket);
    const [error] = (await once(socket, 'error')) as [Error];
    expect(error.message).toMatch(/version|protocol/i);
    await waitFor(() => server.refusals.length > 0, 'the server-side refusal');
    expect(server.refusals[0]).toMatchObject({ by: 'local', code: 'NET_TLS_HANDSHAKE_FAILED' });
  });

  it('refuses a client without a certificate, and one whose certificate is not Ed25519', async () => {
    const [serverKey] = sortedKeyPairs(1) as [SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey]);
    const anonymous = await rawPeer(server.address, undefined);
    await anonymous.closed;
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const ecdsa = await x509.X509CertificateGenerator.createSelfSigned(
      { name: 'CN=not-a-node', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } },
      webcrypto as unknown as Crypto,
    );
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    const ecdsaPeer = await rawPeer(server.address, {
      certPem: ecdsa.toString('pem'),
      keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`,
    });
    await ecdsaPeer.closed;
    await waitFor(() => server.refusals.length === 2, 'both refusals');
    expect(server.refusals.map((r) => r.code).sort()).toEqual([
      'NET_CERT_NOT_ED25519',
      'NET_NO_PEER_CERTIFICATE',
    ]);
    expect(server.up).toEqual([]);
  });

  it('refuses a hello with the wrong chain id', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey]);
    const peer = await rawPeer(server.address, await makeNodeCertificate(clientKey));
    peer.send(makeHello(identity(clientKey, 'another-chain'), peer.binding));
    expect(await goodbyeCode(peer)).toBe('NET_WRONG_CHAIN');
    await waitFor(() => server.refusals.length > 0, 'the refusal');
    expect(server.refusals[0]).toMatchObject({ by: 'local', direction: 'inbound', code: 'NET_WRONG_CHAIN' });
    const logged = server.logs.find((l) => l.message === 'peer refused');
    expect(logged?.level).toBe('warn');
    expect(logged?.object).toMatchObject({
      code: 'NET_WRONG_CHAIN',
      address: expect.stringMatching(/^127\.0\.0\.1:/),
    });
  });

  it('refuses a hello signed by a different key than the certificate', async () => {
    const [serverKey, certKey, otherKey] = sortedKeyPairs(3) as [
      SigningKeyPair,
      SigningKeyPair,
      SigningKeyPair,
    ];
    // Both keys are admitted: the point is that the hello must name the certificate's key.
    const server = await startServer(serverKey, [serverKey.publicKey, certKey.publicKey, otherKey.publicKey]);
    const namesOther = await rawPeer(server.address, await makeNodeCertificate(certKey));
    namesOther.send(makeHello(identity(otherKey), namesOther.binding));
    expect(await goodbyeCode(namesOther)).toBe('NET_HELLO_KEY_MISMATCH');

    const forged = await rawPeer(server.address, await makeNodeCertificate(certKey));
    const honest = makeHello(identity(certKey), forged.binding);
    const byOther = makeHello(identity(otherKey), forged.binding);
    forged.send({ ...honest, signature: byOther.signature });
    expect(await goodbyeCode(forged)).toBe('NET_BAD_HELLO_SIGNATURE');
    expect(server.up).toEqual([]);
  });

  it('refuses a hello replayed from another TLS session', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey]);
    const certificate = await makeNodeCertificate(clientKey);
    const first = await rawPeer(server.address, certificate);
    const recorded = makeHello(identity(clientKey), first.binding);
    const second = await rawPeer(server.address, certificate);
    expect(equalBytes(first.binding, second.binding)).toBe(false);
    second.send(recorded);
    expect(await goodbyeCode(second)).toBe('NET_BAD_HELLO_SIGNATURE');
  });

  it('disconnects a raw TCP client sending garbage, and keeps serving', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey]);
    const garbage = tcpConnect(server.address.port, server.address.host);
    garbage.on('error', () => {});
    await once(garbage, 'connect');
    garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: meridian\r\n\r\n'));
    await once(garbage, 'close');
    await waitFor(() => server.refusals.length > 0, 'the refusal');
    expect(server.refusals[0]).toMatchObject({ code: 'NET_TLS_HANDSHAKE_FAILED' });

    const client = await handshakenPeer(server, clientKey);
    client.send({ type: 'message', payload: utf8('still serving') });
    await waitFor(() => server.received.includes('still serving'), 'the message');
  });

  it('disconnects a peer announcing an oversized or empty frame, before and after the handshake, and keeps serving others', async () => {
    const { server, good, goodKey, badKey } = await serverWithTwoPeers();
    const badCertificate = await makeNodeCertificate(badKey);

    // Before the handshake only hello-sized frames are accepted.
    const early = await rawPeer(server.address, badCertificate);
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, MAX_HELLO_FRAME_BYTES + 1);
    early.socket.write(header);
    expect(await goodbyeCode(early)).toBe('NET_FRAME_TOO_LARGE');

    const empty = await rawPeer(server.address, badCertificate);
    empty.socket.write(new Uint8Array(4));
    expect(await goodbyeCode(empty)).toBe('NET_FRAME_EMPTY');

    // After it, the limit is MAX_FRAME_BYTES.
    server.up.length = 0;
    const late = await handshakenPeer(server, badKey);
    late.socket.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    expect(await goodbyeCode(late)).toBe('NET_FRAME_TOO_LARGE');
    await waitFor(() => server.down.some((d) => d.code === 'NET_FRAME_TOO_LARGE'), 'the peer-down');

    good.send({ type: 'message', payload: utf8('unaffected') });
    await waitFor(() => server.received.includes('unaffected'), 'the good peer message');
    expect(server.transport.send(goodKey.publicKey, utf8('reply'))).toBe(true);
    await waitFor(() => good.envelopes.some((e) => e.type === 'message'), 'the reply');
  });

  it('closes a session whose compressed frame is not DEFLATE or inflates past the limit, and serves the rest', async () => {
    const { server, good, badKey } = await serverWithTwoPeers();
    const text = 'anchored '.repeat(2000);
    good.send({ type: 'deflated', payload: deflateRawSync(utf8(text)) });
    await waitFor(() => server.received.includes(text), 'the compressed message, inflated');

    const garbage = await handshakenPeer(server, badKey);
    garbage.send({ type: 'deflated', payload: utf8('not deflate at all') });
    expect(await goodbyeCode(garbage)).toBe('NET_BAD_COMPRESSION');
    // 16 MiB + 1 of zeros deflate to ~16 KiB: a bomb that would inflate past any message.
    const bomb = await handshakenPeer(server, badKey);
    bomb.send({ type: 'deflated', payload: deflateRawSync(new Uint8Array(MAX_MESSAGE_BYTES + 1)) });
    expect(await goodbyeCode(bomb)).toBe('NET_BAD_COMPRESSION');

    good.send({ type: 'message', payload: utf8('unaffected') });
    await waitFor(() => server.received.includes('unaffected'), 'the good peer message');
  });

  it('decodes frames written one byte at a time and many frames written in one chunk', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey]);
    const peer = await handshakenPeer(server, clientKey);
    peer.socket.setNoDelay(true);
    const split = encodeEnvelopeFrame({ type: 'message', payload: utf8('split into single bytes') });
    for (const byte of split) peer.socket.write(Uint8Array.of(byte));
    const many = Array.from({ length: 500 }, (_, i) =>
      encodeEnvelopeFrame({ type: 'message', payload: utf8(`coalesced-${i}`) }),
    );
    peer.socket.write(Buffer.concat(many));
    await waitFor(() => server.received.length === 501, 'all frames');
    expect(server.received[0]).toBe('split into single bytes');
    expect(server.received.slice(1)).toEqual(Array.from({ length: 500 }, (_, i) => `coalesced-${i}`));
  });

  it('delivers a near-maximal message (a large block) between two transports', async () => {
    const [aKey, bKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const allowed = [aKey.publicKey, bKey.publicKey];
    const a = await startServer(aKey, allowed);
    const b = await startServer(bKey, allowed);
    a.transport.setPeers([{ publicKey: bKey.publicKey, ...b.address }]);
    await waitFor(() => a.up.length === 1 && b.up.length === 1, 'the session');
    const big = new Uint8Array(12 * 1024 * 1024).map((_, i) => i % 251);
    let got: Uint8Array | undefined;
    b.transport.onMessage((_from, payload) => {
      got = payload;
    });
    expect(a.transport.send(bKey.publicKey, big)).toBe(true);
    await waitFor(() => got !== undefined, 'the large message');
    expect(got!.length).toBe(big.length);
    expect(equalBytes(got!, big)).toBe(true);
  });

  it('closes a handshake that stalls, and bounds how many may be in progress', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey], {
      handshakeTimeoutMs: 500,
      maxPendingHandshakes: 2,
    });
    const certificate = await makeNodeCertificate(clientKey);
    const silent = [await rawPeer(server.address, certificate), await rawPeer(server.address, certificate)];
    const third = await rawPeer(server.address, certificate);
    await third.closed; // over the limit: dropped at once
    expect(third.envelopes).toEqual([]);
    expect(server.logs.some((l) => (l.object as { code?: string }).code === 'NET_TOO_MANY_HANDSHAKES')).toBe(
      true,
    );
    for (const peer of silent) expect(await goodbyeCode(peer)).toBe('NET_HANDSHAKE_TIMEOUT');
    expect(server.refusals.map((r) => r.code)).toEqual(['NET_HANDSHAKE_TIMEOUT', 'NET_HANDSHAKE_TIMEOUT']);
  });

  it('pings an open session, measures the round trip, and drops a peer that goes silent', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey], {
      pingIntervalMs: 50,
      idleTimeoutMs: 400,
    });
    const peer = await handshakenPeer(server, clientKey);
    // Answer pings for a while: the server learns the round-trip time.
    const answer = setInterval(() => {
      for (const e of peer.envelopes.splice(0))
        if (e.type === 'ping') peer.send({ type: 'pong', nonce: e.nonce });
    }, 10);
    await waitFor(() => server.transport.peers()[0]?.rttMs !== undefined, 'a measured round trip');
    clearInterval(answer);
    // Now silent: the server gives up on it.
    expect(await goodbyeCode(peer)).toBe('NET_PEER_TIMEOUT');
    await waitFor(() => server.down.length === 1, 'the peer-down');
    expect(server.down[0]!.code).toBe('NET_PEER_TIMEOUT');
  });

  it('keeps the newer of two sessions a peer dialled (a redial), and reports the switch', async () => {
    const [serverKey, clientKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
    const server = await startServer(serverKey, [serverKey.publicKey, clientKey.publicKey]);
    const first = await handshakenPeer(server, clientKey);
    server.up.length = 0;
    const second = await handshakenPeer(server, clientKey);
    expect(await goodbyeCode(first)).toBe('NET_DUPLICATE_SESSION');
    expect(server.down.map((d) => d.code)).toEqual(['NET_DUPLICATE_SESSION']);
    expect(server.transport.peers().filter((p) => p.connected)).toHaveLength(1);
    expect(server.transport.send(clientKey.publicKey, utf8('on the new session'))).toBe(true);
    await waitFor(() => second.envelopes.some((e) => e.type === 'message'), 'delivery on the kept session');
  });
});
