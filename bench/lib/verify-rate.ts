/**
 * How fast this machine checks Ed25519 signatures right now, with the backend the node uses
 * (`crypto/ed25519.ts`, libsodium): on one core alone, and per core with every core verifying at
 * once. Machines of one kind differ, and one machine drifts (noisy neighbours); a benchmark that
 * reports it in the same run can be read against the physical ceiling of that run, not of another
 * day. The two rates differ: on the 2-core devnet machine each core verified 6-15% less with both
 * busy (e.g. 11.8k vs 13.9k/s), and validators sharing a machine get the all-busy rate.
 */
import { cpus } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { generateSigningKeyPair, sign, verify } from '../../src/crypto/ed25519.ts';

/** Verifies of one signature over a transaction-sized message for about `durationMs`; per second. */
export function measureVerifyRate(durationMs = 1_000): number {
  const keys = generateSigningKeyPair();
  const message = new Uint8Array(160).map((_, i) => i);
  const signature = sign(keys.secretKey, message);
  for (let i = 0; i < 200; i++) verify(keys.publicKey, message, signature); // warm-up
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 100; i++) {
      if (!verify(keys.publicKey, message, signature)) throw new Error('Ed25519 self-check failed');
    }
    count += 100;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

/**
 * A thread's entry: registers tsx (a worker does not inherit the TypeScript loader the benchmark
 * runs under) and loads this file, whose last lines serve the thread.
 */
const THREAD_ENTRY = new URL(
  `data:text/javascript,${encodeURIComponent(
    `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});` +
      `register(); await import(${JSON.stringify(import.meta.url)});`,
  )}`,
);

/**
 * Verifies per second per core while every core verifies at once: one worker thread per core runs
 * `measureVerifyRate`, all starting together once every thread is loaded; the mean of their rates.
 */
export async function measureVerifyRateAllCores(durationMs = 1_000): Promise<number> {
  const workers = cpus().map(() => new Worker(THREAD_ENTRY, { workerData: { durationMs } }));
  try {
    const settled = (worker: Worker, message: string) =>
      new Promise<number>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (value: { ready?: true; rate?: number }) =>
          value.ready || value.rate !== undefined ? resolve(value.rate ?? 0) : reject(new Error(message)),
        );
      });
    await Promise.all(workers.map((w) => settled(w, 'a verify-rate thread did not start')));
    const rates = workers.map((w) => settled(w, 'a verify-rate thread sent no rate'));
    for (const worker of workers) worker.postMessage('go');
    const all = await Promise.all(rates);
    return all.reduce((sum, rate) => sum + rate, 0) / all.length;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// A thread started by measureVerifyRateAllCores: report loaded, measure on 'go', report the rate.
if (!isMainThread && parentPort !== null && typeof workerData?.durationMs === 'number') {
  const port = parentPort;
  port.once('message', () => port.postMessage({ rate: measureVerifyRate(workerData.durationMs) }));
  port.postMessage({ ready: true });
}
