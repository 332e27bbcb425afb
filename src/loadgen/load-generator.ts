/**
 * An open-loop load generator: it offers signed transactions at a fixed rate
 * whatever the network does (so a slow network shows up as latency and a
 * backlog, not as a politely lower offered rate), spread over many senders and
 * over every node's API, in batches (`POST /v1/txs`). It follows commits
 * through `heads` notifications and `GET /v1/blocks/{h}/tx-hashes`, and
 * reports offered vs committed throughput and end-to-end commit latency
 * (submission to the client seeing the block).
 *
 * Transactions are signed before the clock starts, so signing does not
 * compete with the validators during the measurement.
 */
import { WebSocket } from 'ws';
import { MeridianClient } from '../api/sdk.ts';
import { encodeTx, signTx, txHash } from '../chain/transaction.ts';
import { toHex, utf8 } from '../codec/bytes.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../crypto/ed25519.ts';
import { MeridianError } from '../errors.ts';
import { signStatement } from '../modules/membership/statement.ts';
import { nodeFetch } from './node-fetch.ts';

export interface LoadOptions {
  /** API URLs of the nodes to submit to (round-robin by sender). */
  readonly nodes: readonly string[];
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly senders?: number;
  /** After the offering stops, how long to wait for the backlog to commit. */
  readonly drainTimeoutMs?: number;
  readonly onProgress?: (progress: LoadProgress) => void;
  /**
   * An organisation admin that registers the generated senders as members
   * first (needed on a chain that enforces membership, such as the devnet).
   * Without it the senders are used unregistered (an open chain).
   */
  readonly admin?: { readonly keyPair: SigningKeyPair; readonly organization: string };
  /**
   * CPU milliseconds the nodes under test have used so far (e.g. read from /proc for local
   * processes), or undefined when that cannot be read. Sampled when the offering starts and when
   * the run ends, for `LoadResult.cpu`.
   */
  readonly nodesCpuMs?: () => number | undefined;
}

export interface LoadProgress {
  readonly elapsedSeconds: number;
  readonly offered: number;
  readonly committed: number;
}

export interface LoadResult {
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly offered: number;
  /** Offers refused for good (anything but MEMPOOL_FULL, which is retried). */
  readonly rejected: number;
  readonly committed: number;
  readonly offeredTps: number;
  /** Committed transactions per second over the offering window (commits after it count in the backlog). */
  readonly committedTps: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly uncommitted: number;
  readonly viewChanges: number;
  readonly rejections: Readonly<Record<string, number>>;
  /** Requests for a committed block's tx ids that failed (each retried at the next head). */
  readonly followErrors: number;
  /** Offers refused with MEMPOOL_FULL (503, back-pressure) and offered again a second later. */
  readonly retried: number;
  /**
   * Where the CPU went from the first offer to the end of the drain (signing happens before and is
   * not counted): this process's CPU, the nodes' (when `nodesCpuMs` could read it), and the wall time.
   */
  readonly cpu: { readonly clientMs: number; readonly nodesMs: number | undefined; readonly wallMs: number };
}

const TICK_MS = 20;
/** How long a transaction refused with MEMPOOL_FULL waits before it is offered again (the API's Retry-After is 1 s). */
const RETRY_AFTER_MS = 1_000;
const MAX_BATCH = 1_000;

interface PreparedTx {
  readonly hashHex: string;
  readonly encoded: Uint8Array;
  readonly node: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Registers `senders` as members of the admin's organisation, one signed statement each, and waits for it. */
async function registerSenders(
  client: MeridianClient,
  chainId: string,
  admin: NonNullable<LoadOptions['admin']>,
  senders: readonly SigningKeyPair[],
): Promise<void> {
  const first = (await client.account(admin.keyPair.publicKey)).nonce;
  const txs = senders.map((sender, i) => {
    const statement = signStatement(
      {
        chainId,
        organization: admin.organization,
        publicKey: toHex(sender.publicKey),
        kind: 'user',
        name: `load-sender-${i}`,
        roles: ['member'],
      },
      sender,
    );
    const payload = utf8(JSON.stringify({ statement }));
    return signTx(
      {
        chainId,
        sender: admin.keyPair.publicKey,
        nonce: first + i,
        kind: 'membership.registerMember',
        payload,
      },
      admin.keyPair.secretKey,
    );
  });
  for (let i = 0; i < txs.length; i += MAX_BATCH) await client.submitTxBatch(txs.slice(i, i + MAX_BATCH));
  const last = txs.at(-1);
  if (last) {
    const status = await client.waitForTx(toHex(txHash(last.body)), { timeoutMs: 120_000 });
    if (status.receipt?.status !== 'ok') {
      throw new MeridianError(
        'LOAD_SETUP_FAILED',
        `registering the load senders failed: ${status.receipt?.errorCode} ${status.receipt?.errorMessage}`,
        {
          hint: 'pass the key file of an org-admin of the named organisation',
        },
      );
    }
  }
}

async function prepare(chainId: string, options: LoadOptions, client: MeridianClient): Promise<PreparedTx[]> {
  const senders = Array.from({ length: options.senders ?? 256 }, () => generateSigningKeyPair());
  if (options.admin) await registerSenders(client, chainId, options.admin, senders);
  const total = Math.round(options.ratePerSecond * options.durationSeconds);
  const out: PreparedTx[] = [];
  const runId = Math.random().toString(36).slice(2, 8);
  for (let i = 0; i < total; i++) {
    const senderIndex = i % senders.length;
    const sender = senders[senderIndex]!;
    const nonce = Math.floor(i / senders.length);
    const body = {
      chainId,
      sender: sender.publicKey,
      nonce,
      kind: 'kv.put',
      payload: utf8(JSON.stringify({ key: `load/${runId}/${senderIndex}/${nonce}`, value: 'x'.repeat(24) })),
    };
    out.push({
      hashHex: toHex(txHash(body)),
      encoded: encodeTx(signTx(body, sender.secretKey)),
      node: senderIndex % options.nodes.length,
    });
  }
  return out;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const http = nodeFetch();
  const clients = options.nodes.map(
    (url) => new MeridianClient(url, { WebSocket: WebSocket as never, fetch: http.fetch }),
  );
  const watcher = clients[0]!;
  const txs = await prepare((await watcher.status()).chainId, options, watcher);
  const startStatus = await watcher.status();
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let committedInWindow = 0;
  let rejected = 0;
  const rejections: Record<string, number> = {};
  let lastSeenHeight = startStatus.height;
  let windowEnd = Number.POSITIVE_INFINITY;

  // Follow commits: every new head, fetch its tx hashes (catching up on any heads missed). An
  // overloaded node may time a request out: that height is asked again at the next head.
  let following = Promise.resolve();
  let followErrors = 0;
  const follow = (height: number) => {
    following = following.then(async () => {
      while (lastSeenHeight < height) {
        const next = lastSeenHeight + 1;
        let block: Awaited<ReturnType<typeof watcher.blockTxHashes>>;
        try {
          block = await watcher.blockTxHashes(next);
        } catch {
          followErrors++;
          return;
        }
        const seenAt = performance.now();
        for (const hash of block.txHashes) {
          const sent = submittedAt.get(hash);
          if (sent === undefined) continue;
          submittedAt.delete(hash);
          latencies.push(seenAt - sent);
          if (seenAt <= windowEnd) committedInWindow++;
        }
        lastSeenHeight = next;
      }
    });
  };
  const unsubscribe = watcher.subscribe('heads', {}, (head) => follow((head as { height: number }).height));

  const clientCpuAtStart = process.cpuUsage();
  const nodesCpuAtStart = options.nodesCpuMs?.();
  const start = performance.now();
  let offered = 0;
  let retried = 0;
  // Refused with MEMPOOL_FULL (503): offered again after RETRY_AFTER_MS, as a well-behaved client does;
  // its latency still counts from its first offer.
  const retryQueue: { tx: PreparedTx; dueAt: number }[] = [];
  const offerDeadline = start + options.durationSeconds * 1000 + (options.drainTimeoutMs ?? 15_000);
  const inFlight = new Set<Promise<void>>();
  await new Promise<void>((resolveOffering) => {
    const tick = () => {
      const now = performance.now();
      const elapsed = (now - start) / 1000;
      const target = Math.min(txs.length, Math.floor(elapsed * options.ratePerSecond));
      const perNode = new Map<number, PreparedTx[]>();
      const queue = (tx: PreparedTx) => {
        const list = perNode.get(tx.node) ?? [];
        list.push(tx);
        perNode.set(tx.node, list);
      };
      while (retryQueue.length > 0 && retryQueue[0]!.dueAt <= now) queue(retryQueue.shift()!.tx);
      for (; offered < target; offered++) queue(txs[offered]!);
      for (const [node, list] of perNode) {
        for (let i = 0; i < list.length; i += MAX_BATCH) {
          const batch = list.slice(i, i + MAX_BATCH);
          const sentAt = performance.now();
          for (const tx of batch) if (!submittedAt.has(tx.hashHex)) submittedAt.set(tx.hashHex, sentAt);
          const request = clients[node]!.submitTxBatch(batch.map((tx) => tx.encoded)).then(
            ({ results }) => {
              results.forEach((result, j) => {
                if (result.status !== 'rejected') return;
                if (result.error.code === 'MEMPOOL_FULL') {
                  retried++;
                  retryQueue.push({ tx: batch[j]!, dueAt: performance.now() + RETRY_AFTER_MS });
                  return;
                }
                rejected++;
                rejections[result.error.code] = (rejections[result.error.code] ?? 0) + 1;
                submittedAt.delete(batch[j]!.hashHex);
              });
            },
            (error: unknown) => {
              rejected += batch.length;
              const code = (error as { code?: string }).code ?? 'REQUEST_FAILED';
              rejections[code] = (rejections[code] ?? 0) + batch.length;
              for (const tx of batch) submittedAt.delete(tx.hashHex);
            },
          );
          inFlight.add(request);
          void request.finally(() => inFlight.delete(request));
        }
      }
      options.onProgress?.({ elapsedSeconds: elapsed, offered, committed: latencies.length });
      const retrying = (retryQueue.length > 0 || inFlight.size > 0) && performance.now() < offerDeadline;
      if (offered >= txs.length && !retrying) resolveOffering();
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
  await Promise.all(inFlight);
  windowEnd = start + options.durationSeconds * 1000 + 1_000;
  const drainDeadline = performance.now() + (options.drainTimeoutMs ?? 15_000);
  while (submittedAt.size > 0 && performance.now() < drainDeadline) {
    await new Promise((r) => setTimeout(r, 100));
    options.onProgress?.({
      elapsedSeconds: (performance.now() - start) / 1000,
      offered,
      committed: latencies.length,
    });
  }
  unsubscribe();
  await following;
  const clientCpu = process.cpuUsage(clientCpuAtStart);
  const nodesCpuAtEnd = options.nodesCpuMs?.();
  const cpu = {
    clientMs: (clientCpu.user + clientCpu.system) / 1000,
    nodesMs:
      nodesCpuAtStart === undefined || nodesCpuAtEnd === undefined
        ? undefined
        : nodesCpuAtEnd - nodesCpuAtStart,
    wallMs: performance.now() - start,
  };
  const endStatus = await watcher.status();
  for (const client of clients) client.close();
  http.close();
  const sorted = latencies.slice().sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    ratePerSecond: options.ratePerSecond,
    durationSeconds: options.durationSeconds,
    offered,
    rejected,
    committed: latencies.length,
    offeredTps: round(offered / options.durationSeconds),
    committedTps: round(committedInWindow / options.durationSeconds),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? Number.NaN),
    },
    uncommitted: submittedAt.size,
    viewChanges: endStatus.view - startStatus.view,
    rejections,
    followErrors,
    retried,
    cpu,
  };
}
