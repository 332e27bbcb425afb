/**
 * `npm run bench:net` — one-way throughput between two nodes on loopback.
 *
 * Compares, in the same run:
 *   - `TlsTransport`: the production path (TLS 1.3, RLP envelope, frame, queue,
 *     back-pressure), sender respecting `send() === false` by yielding;
 *   - raw `node:tls`: the same certificates and 4-byte length prefix, written
 *     straight to the socket with `write()`/'drain' and decoded with
 *     `FrameDecoder` — the ceiling the transport's own overhead is measured against;
 *   - `MemoryTransport`: the in-process test transport (no crypto, no kernel).
 *
 * Payloads of 1 KiB, 64 KiB and 1 MiB, with message compression off (these
 * payloads are one repeated byte). Reports frames/s and MB/s (10^6 bytes
 * of payload per second) from the first send to the last delivery, best of
 * `--repeats` (default 3).
 *
 * Then message compression (seed 003 §4.3.1) against plain messages, on what
 * validators really send: a gossip batch of 1,000 signed kv.put transactions
 * (a block carries the same bytes) and a PBFT vote. Reports bytes on the wire
 * per message and the CPU both ends spent per message.
 *
 * Writes bench/reports/net.md (or `--report <file>`).
 * Other options: `--sizes 1024,65536`, `--megabytes 256` (payload per row),
 * `--only <text>` (implementations whose name contains it).
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { encodeTx, signTx } from '../src/chain/transaction.ts';
import { utf8 } from '../src/codec/bytes.ts';
import { encodeMessage } from '../src/consensus/pbft/messages.ts';
import { generateSigningKeyPair, sign } from '../src/crypto/ed25519.ts';
import { makeNodeCertificate, type NodeCertificate } from '../src/net/certificate.ts';
import { DEFAULT_COMPRESSION } from '../src/net/compression.ts';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from '../src/net/frame.ts';
import { MemoryHub, MemoryTransport } from '../src/net/memory-transport.ts';
import type { TransportOptions } from '../src/net/session-transport.ts';
import { TlsTransport } from '../src/net/tls-transport.ts';
import type { Transport } from '../src/net/transport.ts';
import { encodeNodeMessage } from '../src/node/wire.ts';
import { formatNumber, renderTable } from './lib/table.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const REPORT = option('--report') ?? 'bench/reports/net.md';
const REPEATS = Number(option('--repeats') ?? 3);
/** Bytes moved per measurement, per payload size (so every row takes a similar time). */
const TOTAL_BYTES = Number(option('--megabytes') ?? 256) * 1024 * 1024;
const SIZES = (option('--sizes') ?? '1024,65536,1048576').split(',').map(Number);
/** Runs only implementations whose name contains this text (e.g. `--only Tls`). */
const ONLY = option('--only');
const CHAIN_ID = 'bench-net';

interface Row {
  implementation: string;
  payloadBytes: number;
  frames: number;
  seconds: number;
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Sends `frames` copies of `payload` a → b through a Transport, honouring back-pressure; resolves when all arrived. */
async function pump(a: Transport, b: Transport, payload: Uint8Array, frames: number): Promise<number> {
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const off = b.onMessage(() => {
      if (++received === frames) {
        off();
        resolve();
      }
    });
  });
  const started = performance.now();
  let sent = 0;
  while (sent < frames) {
    if (a.send(b.publicKey, payload)) sent++;
    else await yieldToIo();
  }
  await done;
  return (performance.now() - started) / 1000;
}

async function transportPair(
  kind: 'tls' | 'memory',
  compression: TransportOptions['compression'] = false,
): Promise<[Transport, Transport]> {
  const keys = [generateSigningKeyPair(), generateSigningKeyPair()];
  const allowedKeys = keys.map((k) => k.publicKey);
  const hub = new MemoryHub();
  const make = (index: number) => {
    const options: TransportOptions = { chainId: CHAIN_ID, keyPair: keys[index]!, allowedKeys, compression };
    return kind === 'tls'
      ? TlsTransport.create(options)
      : Promise.resolve(new MemoryTransport({ ...options, hub }));
  };
  const a = await make(0);
  const b = await make(1);
  const [addressA, addressB] = [await a.start(), await b.start()];
  a.setPeers([{ publicKey: b.publicKey, ...addressB }]);
  b.setPeers([{ publicKey: a.publicKey, ...addressA }]);
  while (!a.peers().some((p) => p.connected) || !b.peers().some((p) => p.connected)) await yieldToIo();
  return [a, b];
}

/** The ceiling: the same bytes over a bare TLS 1.3 socket, no envelope, no queue. */
async function rawTls(
  certificates: [NodeCertificate, NodeCertificate],
  payloadBytes: number,
  frames: number,
) {
  const tlsOptions = (c: NodeCertificate) => ({
    cert: c.certPem,
    key: c.keyPem,
    minVersion: 'TLSv1.3' as const,
    rejectUnauthorized: false,
  });
  let received = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const server = createServer({ ...tlsOptions(certificates[1]), requestCert: true }, (socket) => {
    const decoder = new FrameDecoder(MAX_FRAME_BYTES);
    socket.on('data', (chunk: Uint8Array) =>
      decoder.push(chunk, () => {
        if (++received === frames) resolveDone();
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client: TLSSocket = connect({ ...tlsOptions(certificates[0]), host: '127.0.0.1', port });
  await once(client, 'secureConnect');
  client.setNoDelay(true);
  const frame = encodeFrame(new Uint8Array(payloadBytes).fill(0xab));
  const started = performance.now();
  for (let sent = 0; sent < frames; sent++) {
    if (!client.write(frame)) await once(client, 'drain');
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  server.close();
  return seconds;
}

async function main(): Promise<void> {
  const certificates: [NodeCertificate, NodeCertificate] = [
    await makeNodeCertificate(generateSigningKeyPair()),
    await makeNodeCertificate(generateSigningKeyPair()),
  ];
  const rows: Row[] = [];
  for (const payloadBytes of SIZES) {
    const frames = Math.max(64, Math.floor(TOTAL_BYTES / payloadBytes));
    const best = async (implementation: string, run: () => Promise<number>) => {
      if (ONLY !== undefined && !implementation.includes(ONLY)) return;
      let seconds = Number.POSITIVE_INFINITY;
      for (let r = 0; r < REPEATS; r++) seconds = Math.min(seconds, await run());
      rows.push({ implementation, payloadBytes, frames, seconds });
      process.stderr.write(
        `bench:net ${implementation} ${payloadBytes} B: ${formatNumber(frames / seconds)} frames/s\n`,
      );
    };
    await best('TlsTransport', async () => {
      const [a, b] = await transportPair('tls');
      try {
        return await pump(a, b, new Uint8Array(payloadBytes).fill(0xab), frames);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
    await best('raw node:tls (ceiling)', () => rawTls(certificates, payloadBytes, frames));
    await best('MemoryTransport', async () => {
      const [a, b] = await transportPair('memory');
      try {
        return await pump(a, b, new Uint8Array(payloadBytes).fill(0xab), frames);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }
  const table = renderTable(
    ['implementation', 'payload', 'frames', 'frames/s', 'MB/s', 'vs raw TLS'],
    rows.map((row) => {
      const raw = rows.find(
        (r) => r.payloadBytes === row.payloadBytes && r.implementation.startsWith('raw'),
      )!;
      return [
        row.implementation,
        row.payloadBytes >= 1024 * 1024
          ? `${row.payloadBytes / 1024 / 1024} MiB`
          : `${row.payloadBytes / 1024} KiB`,
        String(row.frames),
        formatNumber(row.frames / row.seconds),
        formatNumber((row.frames * row.payloadBytes) / row.seconds / 1e6),
        raw === undefined ? '-' : `${formatNumber(raw.seconds / row.seconds)}x`,
      ];
    }),
  );
  console.log(table);
  const compressionTable = await compressionComparison();
  console.log(compressionTable);
  const report = [
    '# bench:net — one-way throughput, two nodes on 127.0.0.1',
    '',
    `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), best of ${REPEATS}, ` +
      `${TOTAL_BYTES / 1024 / 1024} MiB of payload per row. MB/s counts payload bytes (10^6/s).`,
    '',
    table,
    '',
    'TlsTransport adds to raw TLS: a fresh frame per message (raw TLS reuses one), a second copy of the payload',
    'when the receiver decodes the RLP envelope, the send queue, and a sender that yields whenever `send()`',
    'reports back-pressure. Delivery is measured at the receiving handler. The machine is shared: rerun before',
    'trusting small differences.',
    '',
    '## Message compression vs plain messages (seed 003 §4.3.1)',
    '',
    `What validators really send, ${COMPRESSION_MESSAGES} messages per row over TlsTransport: a gossip batch of`,
    '1,000 signed kv.put transactions from 256 senders (a block carries the same bytes) and a PBFT vote. The',
    `default policy compresses payloads of ${DEFAULT_COMPRESSION.minBytes} bytes or more with raw DEFLATE (level 1) when that saves an`,
    'eighth; a vote stays plain. CPU is both ends together (one process), per message.',
    '',
    compressionTable,
    '',
    'On loopback the saved bytes buy nothing and the CPU is the whole cost; between organisations, over a',
    'WAN link, the saved bytes are what sets the pace. `p2pCompressMinBytes: 0` in node.json turns it off.',
    '',
  ].join('\n');
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, report);
}

const COMPRESSION_MESSAGES = 400;

/** A gossip batch of 1,000 signed kv.put transactions, as `bench:load` makes them. */
function gossipBatch(): Uint8Array {
  const senders = Array.from({ length: 256 }, () => generateSigningKeyPair());
  const txs = Array.from({ length: 1_000 }, (_, index) => {
    const sender = senders[index % senders.length]!;
    const body = {
      chainId: 'meridian-devnet',
      sender: sender.publicKey,
      nonce: Math.floor(index / senders.length),
      kind: 'kv.put',
      payload: utf8(JSON.stringify({ key: `load/${index}`, value: 'x'.repeat(24) })),
    };
    return encodeTx(signTx(body, sender.secretKey));
  });
  return encodeNodeMessage({ type: 'txs', txs });
}

/** A signed PBFT COMMIT vote as it goes on the wire. */
function vote(): Uint8Array {
  const keys = generateSigningKeyPair();
  const body = { type: 'commit' as const, view: 3, height: 1_234, headerHash: new Uint8Array(32).fill(9) };
  const message = { signer: 1, body, signature: sign(keys.secretKey, utf8('vote')) };
  return encodeNodeMessage({ type: 'consensus', message: encodeMessage(message) });
}

/** Plain vs compressed messages over TlsTransport: wire bytes and CPU per message. */
async function compressionComparison(): Promise<string> {
  const rows: string[][] = [];
  for (const [what, payload] of [
    ['gossip batch, 1,000 txs', gossipBatch()],
    ['PBFT commit vote', vote()],
  ] as const) {
    for (const [mode, compression] of [
      ['plain', false],
      ['deflate (default policy)', DEFAULT_COMPRESSION],
    ] as const) {
      const [a, b] = await transportPair('tls', compression);
      try {
        await pump(a, b, payload, 20); // warm-up
        const wireBefore = a.peers()[0]!.bytesOut;
        const cpuBefore = process.cpuUsage();
        const seconds = await pump(a, b, payload, COMPRESSION_MESSAGES);
        const cpu = process.cpuUsage(cpuBefore);
        const wire = (a.peers()[0]!.bytesOut - wireBefore) / COMPRESSION_MESSAGES;
        rows.push([
          what,
          mode,
          String(payload.length),
          formatNumber(wire, 0),
          `${formatNumber((100 * wire) / payload.length, 0)}%`,
          formatNumber((cpu.user + cpu.system) / COMPRESSION_MESSAGES, 0),
          formatNumber(COMPRESSION_MESSAGES / seconds),
        ]);
        process.stderr.write(
          `bench:net compression ${what} ${mode}: ${formatNumber(wire, 0)} B on the wire\n`,
        );
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    }
  }
  return renderTable(
    [
      'message',
      'sent',
      'payload B',
      'wire B per message',
      'wire / payload',
      'CPU µs per message',
      'messages/s',
    ],
    rows,
  );
}

await main();
