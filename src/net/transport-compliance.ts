/**
 * The behaviour every `Transport` implementation must show, as a vitest suite.
 * `transport.test.ts` runs it against `TlsTransport` (real sockets on
 * 127.0.0.1) and `MemoryTransport`. A new implementation passes this suite
 * before anything uses it.
 *
 * No timing assertions: tests wait for events with generous timeouts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compareBytes, equalBytes, toHex, utf8 } from '../codec/bytes.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../crypto/ed25519.ts';
import type { CompressionPolicy } from './compression.ts';
import type { ListenAddress, PeerDownEvent, RefusalEvent, Transport } from './transport.ts';
import { MAX_MESSAGE_BYTES } from './wire.ts';

export const TEST_CHAIN_ID = 'compliance-test-chain';

export interface TestTransportOptions {
  readonly keyPair: SigningKeyPair;
  readonly allowedKeys: readonly Uint8Array[];
  readonly chainId?: string;
  /** 0 (default) = any; reuse a port to restart a node at the same address. */
  readonly listenPort?: number;
  readonly maxQueueFrames?: number;
  readonly maxQueueBytes?: number;
  /** `TransportOptions.compression` (default: the transport's default policy). */
  readonly compression?: CompressionPolicy | false;
}

/** How a suite run makes transports; `close` releases whatever they share. */
export interface TransportTestNetwork {
  /** A new, not yet started transport. Implementations should use short reconnect delays. */
  create(options: TestTransportOptions): Promise<Transport>;
  close(): Promise<void>;
}

const WAIT_MS = 20_000;

/** Polls `condition` until true; fails with `what` after a generous timeout (not a timing assertion). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Key pairs sorted by public key: index 0 has the lowest key (and so dials everyone else). */
export function sortedKeyPairs(count: number): SigningKeyPair[] {
  return Array.from({ length: count }, () => generateSigningKeyPair()).sort((a, b) =>
    compareBytes(a.publicKey, b.publicKey),
  );
}

interface Received {
  from: string;
  text: string;
}

interface TestNode {
  keyPair: SigningKeyPair;
  transport: Transport;
  address: ListenAddress;
  received: Received[];
  down: PeerDownEvent[];
  refusals: RefusalEvent[];
  upCount: number;
}

function isConnected(node: TestNode, other: TestNode): boolean {
  return node.transport.peers().some((p) => p.connected && equalBytes(p.publicKey, other.keyPair.publicKey));
}

function connectedCount(node: TestNode): number {
  return node.transport.peers().filter((p) => p.connected).length;
}

export function runTransportComplianceSuite(
  name: string,
  makeNetwork: () => TransportTestNetwork | Promise<TransportTestNetwork>,
): void {
  describe(`Transport compliance: ${name}`, () => {
    let network: TransportTestNetwork | undefined;
    const nodes: TestNode[] = [];

    afterEach(async () => {
      await Promise.all(nodes.splice(0).map((node) => node.transport.close()));
      await network?.close();
      network = undefined;
    });

    async function net(): Promise<TransportTestNetwork> {
      network ??= await makeNetwork();
      return network;
    }

    async function startNode(options: TestTransportOptions): Promise<TestNode> {
      const transport = await (await net()).create(options);
      const node: TestNode = {
        keyPair: options.keyPair,
        transport,
        address: { host: '', port: 0 },
        received: [],
        down: [],
        refusals: [],
        upCount: 0,
      };
      transport.onMessage((from, payload) => {
        node.received.push({ from: toHex(from), text: new TextDecoder().decode(payload) });
      });
      transport.onPeerUp(() => {
        node.upCount++;
      });
      transport.onPeerDown((event) => node.down.push(event));
      transport.onRefusal((event) => node.refusals.push(event));
      node.address = await transport.start();
      nodes.push(node);
      return node;
    }

    function peersOf(all: TestNode[], self: TestNode) {
      return all
        .filter((other) => other !== self)
        .map((other) => ({ publicKey: other.keyPair.publicKey, ...other.address }));
    }

    /** `count` mutually admitted nodes, each told every other's address, all connected. */
    async function mesh(
      count: number,
      extra: Partial<TestTransportOptions> = {},
    ): Promise<{ nodes: TestNode[]; keys: SigningKeyPair[] }> {
      const keys = sortedKeyPairs(count);
      const allowedKeys = keys.map((k) => k.publicKey);
      const started: TestNode[] = [];
      for (const keyPair of keys) started.push(await startNode({ keyPair, allowedKeys, ...extra }));
      for (const node of started) node.transport.setPeers(peersOf(started, node));
      await waitFor(() => started.every((node) => connectedCount(node) === count - 1), 'the mesh to connect');
      return { nodes: started, keys };
    }

    it('three nodes exchange messages in both directions, in order per pair', async () => {
      const { nodes: trio } = await mesh(3);
      const perPair = 200;
      for (let i = 0; i < perPair; i++) {
        for (const sender of trio) {
          for (const receiver of trio) {
            if (sender === receiver) continue;
            const text = `${toHex(sender.keyPair.publicKey)}#${i}`;
            expect(sender.transport.send(receiver.keyPair.publicKey, utf8(text))).toBe(true);
          }
        }
      }
      await waitFor(() => trio.every((node) => node.received.length === 2 * perPair), 'every message');
      for (const receiver of trio) {
        for (const sender of trio) {
          if (sender === receiver) continue;
          const id = toHex(sender.keyPair.publicKey);
          const texts = receiver.received.filter((m) => m.from === id).map((m) => m.text);
          expect(texts).toEqual(Array.from({ length: perPair }, (_, i) => `${id}#${i}`));
        }
      }
      const info = trio[0]!.transport
        .peers()
        .find((p) => equalBytes(p.publicKey, trio[1]!.keyPair.publicKey))!;
      expect(info.messagesOut).toBe(perPair);
      expect(info.messagesIn).toBe(perPair);
      expect(info.bytesOut).toBeGreaterThan(0);
      expect(info.bytesIn).toBeGreaterThan(0);
      expect(info.lastSeenMs).toBeTypeOf('number');
      // Hex ids work as well as bytes.
      expect(trio[2]!.transport.send(toHex(trio[0]!.keyPair.publicKey), utf8('by-hex'))).toBe(true);
      await waitFor(() => trio[0]!.received.some((m) => m.text === 'by-hex'), 'the hex-addressed message');
    });

    it('broadcast reaches every connected peer exactly once', async () => {
      const { nodes: trio } = await mesh(3);
      expect(trio[1]!.transport.broadcast(utf8('to-all'))).toBe(2);
      await waitFor(
        () => [trio[0]!, trio[2]!].every((node) => node.received.some((m) => m.text === 'to-all')),
        'the broadcast',
      );
      expect(trio[1]!.received).toEqual([]);
      for (const node of [trio[0]!, trio[2]!]) {
        expect(node.received.filter((m) => m.text === 'to-all')).toHaveLength(1);
      }
    });

    it('keeps exactly one session per pair, dialled by the lower key', async () => {
      const { nodes: trio } = await mesh(3);
      for (const node of trio) {
        for (const info of node.transport.peers()) {
          const lowerIsMe = compareBytes(node.keyPair.publicKey, info.publicKey) < 0;
          expect(info.direction).toBe(lowerIsMe ? 'outbound' : 'inbound');
        }
        expect(node.upCount).toBe(2);
      }
    });

    it('refuses a non-admitted key that dials in, and neither side reports it up', async () => {
      const [intruderKey, memberKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
      const member = await startNode({ keyPair: memberKey, allowedKeys: [memberKey.publicKey] });
      const intruder = await startNode({
        keyPair: intruderKey,
        allowedKeys: [intruderKey.publicKey, memberKey.publicKey],
      });
      // The intruder has the lower key, so it dials.
      intruder.transport.setPeers([{ publicKey: memberKey.publicKey, ...member.address }]);
      await waitFor(() => member.refusals.length > 0 && intruder.refusals.length > 0, 'the refusal');
      expect(member.refusals[0]).toMatchObject({
        by: 'local',
        direction: 'inbound',
        code: 'NET_PEER_NOT_ADMITTED',
      });
      expect(equalBytes(member.refusals[0]!.publicKey!, intruderKey.publicKey)).toBe(true);
      expect(intruder.refusals[0]).toMatchObject({
        by: 'remote',
        direction: 'outbound',
        code: 'NET_PEER_NOT_ADMITTED',
      });
      expect(member.upCount + intruder.upCount).toBe(0);
      expect(member.transport.send(intruderKey.publicKey, utf8('x'))).toBe(false);
      expect(intruder.transport.send(memberKey.publicKey, utf8('x'))).toBe(false);
    });

    it('refuses a dialled node whose key is not the one it was dialled for', async () => {
      const [dialerKey, expectedKey, impostorKey] = sortedKeyPairs(3) as [
        SigningKeyPair,
        SigningKeyPair,
        SigningKeyPair,
      ];
      const allowedKeys = [dialerKey.publicKey, expectedKey.publicKey];
      const dialer = await startNode({ keyPair: dialerKey, allowedKeys });
      const impostor = await startNode({
        keyPair: impostorKey,
        allowedKeys: [...allowedKeys, impostorKey.publicKey],
      });
      // The dialer believes `expectedKey` listens where the impostor does.
      dialer.transport.setPeers([{ publicKey: expectedKey.publicKey, ...impostor.address }]);
      await waitFor(() => dialer.refusals.length > 0, 'the refusal');
      expect(dialer.refusals[0]).toMatchObject({ by: 'local', direction: 'outbound' });
      expect(['NET_UNEXPECTED_PEER_KEY', 'NET_PEER_NOT_ADMITTED']).toContain(dialer.refusals[0]!.code);
      expect(equalBytes(dialer.refusals[0]!.publicKey!, impostorKey.publicKey)).toBe(true);
      expect(dialer.upCount + impostor.upCount).toBe(0);
    });

    it('refuses a peer on another chain', async () => {
      const [aKey, bKey] = sortedKeyPairs(2) as [SigningKeyPair, SigningKeyPair];
      const allowedKeys = [aKey.publicKey, bKey.publicKey];
      const a = await startNode({ keyPair: aKey, allowedKeys, chainId: 'chain-a' });
      const b = await startNode({ keyPair: bKey, allowedKeys, chainId: 'chain-b' });
      a.transport.setPeers([{ publicKey: bKey.publicKey, ...b.address }]);
      await waitFor(() => a.refusals.length > 0 && b.refusals.length > 0, 'the refusal');
      expect(a.refusals.some((r) => r.by === 'local' && r.code === 'NET_WRONG_CHAIN')).toBe(true);
      expect(b.refusals.some((r) => r.by === 'local' && r.code === 'NET_WRONG_CHAIN')).toBe(true);
      expect(a.upCount + b.upCount).toBe(0);
    });

    it('disconnects a peer whose key is removed from the admitted keys, and readmits it later', async () => {
      const { nodes: trio, keys } = await mesh(3);
      const [first, second, third] = trio as [TestNode, TestNode, TestNode];
      first.transport.setAllowedKeys([keys[0]!.publicKey, keys[1]!.publicKey]);
      await waitFor(() => first.down.length > 0 && third.down.length > 0, 'the disconnect');
      expect(first.down[0]).toMatchObject({ code: 'NET_PEER_NOT_ADMITTED' });
      expect(equalBytes(first.down[0]!.publicKey, keys[2]!.publicKey)).toBe(true);
      expect(third.down[0]).toMatchObject({ code: 'NET_PEER_NOT_ADMITTED' });
      expect(isConnected(first, third)).toBe(false);
      expect(first.transport.send(keys[2]!.publicKey, utf8('x'))).toBe(false);
      // The rest of the network is untouched.
      expect(first.transport.send(keys[1]!.publicKey, utf8('still-here'))).toBe(true);
      await waitFor(() => second.received.some((m) => m.text === 'still-here'), 'the message to a kept peer');
      expect(isConnected(second, third)).toBe(true);

      first.transport.setAllowedKeys(keys.map((k) => k.publicKey));
      await waitFor(() => isConnected(first, third) && isConnected(third, first), 'the readmitted peer');
      expect(first.transport.send(keys[2]!.publicKey, utf8('welcome-back'))).toBe(true);
      await waitFor(
        () => third.received.some((m) => m.text === 'welcome-back'),
        'the message after readmission',
      );
    });

    it('reconnects automatically after a peer restarts at the same address', async () => {
      const { nodes: trio, keys } = await mesh(3);
      const middle = trio[1]!;
      await middle.transport.close();
      nodes.splice(nodes.indexOf(middle), 1);
      await waitFor(
        () => [trio[0]!, trio[2]!].every((node) => node.down.length === 1),
        'the others to see the peer down',
      );
      const restarted = await startNode({
        keyPair: keys[1]!,
        allowedKeys: keys.map((k) => k.publicKey),
        listenPort: middle.address.port,
      });
      expect(restarted.address.port).toBe(middle.address.port);
      restarted.transport.setPeers(peersOf([trio[0]!, restarted, trio[2]!], restarted));
      // keys[0] redials the restarted node (its key is lower); the restarted node dials keys[2].
      await waitFor(
        () =>
          connectedCount(restarted) === 2 &&
          isConnected(trio[0]!, restarted) &&
          isConnected(trio[2]!, restarted),
        'the reconnection',
      );
      expect(restarted.transport.send(keys[0]!.publicKey, utf8('back'))).toBe(true);
      expect(trio[2]!.transport.send(keys[1]!.publicKey, utf8('hello-again'))).toBe(true);
      await waitFor(
        () => trio[0]!.received.some((m) => m.text === 'back'),
        'a message from the restarted node',
      );
      await waitFor(() => restarted.received.some((m) => m.text === 'hello-again'), 'a message to it');
    });

    it('reports back-pressure: send returns false once the queue is full, and what was accepted arrives in order', async () => {
      const maxQueueFrames = 16;
      const { nodes: pair } = await mesh(2, { maxQueueFrames, maxQueueBytes: 1024 * 1024 });
      const [sender, receiver] = pair as [TestNode, TestNode];
      const payloadBytes = 1024;
      let accepted = 0;
      // A synchronous burst: nothing can leave the queue until this loop yields.
      for (let i = 0; i < 10_000; i++) {
        const text = `${i}:`.padEnd(payloadBytes, '.');
        if (!sender.transport.send(receiver.keyPair.publicKey, utf8(text))) break;
        accepted++;
      }
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThanOrEqual(maxQueueFrames);
      const info = sender.transport.peers()[0]!;
      expect(info.droppedQueueFull).toBe(1);
      expect(info.queuedFrames).toBe(accepted);
      await waitFor(() => receiver.received.length === accepted, 'the accepted messages');
      expect(receiver.received.map((m) => Number(m.text.split(':')[0]))).toEqual(
        Array.from({ length: accepted }, (_, i) => i),
      );
      // Once drained, the queue accepts again.
      await waitFor(() => sender.transport.peers()[0]!.queuedFrames === 0, 'the queue to drain');
      expect(sender.transport.send(receiver.keyPair.publicKey, utf8('after'))).toBe(true);
      await waitFor(() => receiver.received.some((m) => m.text === 'after'), 'the message after the burst');
    });

    it('bounds the queue by bytes as well as frames', async () => {
      const { nodes: pair } = await mesh(2, { maxQueueFrames: 10_000, maxQueueBytes: 64 * 1024 });
      const [sender, receiver] = pair as [TestNode, TestNode];
      let accepted = 0;
      // Random bytes: compression (which would shrink the frames) cannot help them.
      for (let i = 0; i < 100; i++) {
        const payload = crypto.getRandomValues(new Uint8Array(16 * 1024));
        if (!sender.transport.send(receiver.keyPair.publicKey, payload)) break;
        accepted++;
      }
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThan(4);
      await waitFor(() => receiver.received.length === accepted, 'the accepted messages');
    });

    /** What `sender` has written to `receiver` so far, in bytes (frames included). */
    const bytesSent = (sender: TestNode, receiver: TestNode) =>
      sender.transport.peers().find((p) => p.id === toHex(receiver.keyPair.publicKey))?.bytesOut ?? 0;

    it('sends a big compressible payload compressed and a small one plain, and delivers both as sent', async () => {
      const { nodes: pair } = await mesh(2);
      const [sender, receiver] = pair as [TestNode, TestNode];
      const big = 'a block of provenance anchors '.repeat(3000);
      const before = bytesSent(sender, receiver);
      expect(sender.transport.send(receiver.keyPair.publicKey, utf8(big))).toBe(true);
      expect(sender.transport.broadcast(utf8('small'))).toBe(1);
      await waitFor(() => receiver.received.length === 2, 'both messages');
      expect(receiver.received.map((r) => r.text)).toEqual([big, 'small']);
      expect(bytesSent(sender, receiver) - before).toBeLessThan(big.length / 4);
    });

    it('sends every payload plain when compression is off', async () => {
      const { nodes: pair } = await mesh(2, { compression: false });
      const [sender, receiver] = pair as [TestNode, TestNode];
      const big = 'a block of provenance anchors '.repeat(3000);
      const before = bytesSent(sender, receiver);
      sender.transport.send(receiver.keyPair.publicKey, utf8(big));
      await waitFor(() => receiver.received.length === 1, 'the message');
      expect(receiver.received[0]!.text).toBe(big);
      expect(bytesSent(sender, receiver) - before).toBeGreaterThan(big.length);
    });

    it('rejects an oversized payload with a typed error, and keeps going after a throwing handler', async () => {
      const { nodes: pair } = await mesh(2);
      const [sender, receiver] = pair as [TestNode, TestNode];
      expect(() =>
        sender.transport.send(receiver.keyPair.publicKey, new Uint8Array(MAX_MESSAGE_BYTES + 1)),
      ).toThrow(expect.objectContaining({ code: 'NET_MESSAGE_TOO_LARGE' }));
      receiver.transport.onMessage(() => {
        throw new Error('handler bug');
      });
      sender.transport.send(receiver.keyPair.publicKey, utf8('one'));
      sender.transport.send(receiver.keyPair.publicKey, utf8('two'));
      await waitFor(() => receiver.received.length === 2, 'both messages despite the throwing handler');
      expect(isConnected(receiver, sender)).toBe(true);
    });

    it('close() says goodbye: the peer sees a shutdown, and close is idempotent', async () => {
      const { nodes: pair } = await mesh(2);
      const [a, b] = pair as [TestNode, TestNode];
      await Promise.all([a.transport.close(), a.transport.close()]);
      await waitFor(() => b.down.length === 1, 'the peer-down');
      expect(b.down[0]!.code).toBe('NET_SHUTDOWN');
      expect(b.transport.send(a.keyPair.publicKey, utf8('x'))).toBe(false);
    });
  });
}
