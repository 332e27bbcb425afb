/**
 * `npm run example:agency` — seed 003 §5.1's multi-agency approval of a
 * construction project, end to end on a real network (see scenario.ts for the
 * story). It uses the devnet of `npm start` when one is running
 * (`.meridian/devnet`, or `--dir <devnet dir>`), else starts its own
 * 4-validator devnet in a temporary directory and stops it at the end.
 *
 *   npm run example:agency                         # the story
 *   npm run example:agency -- --measure 400        # then 400 contract calls, to measure calls/s
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { MeridianClient } from '../../src/api/sdk.ts';
import { encodeTx, signTx, txHash } from '../../src/chain/transaction.ts';
import { toHex, utf8 } from '../../src/codec/bytes.ts';
import { decryptKeyFile, parseKeyFile } from '../../src/crypto/keyfile.ts';
import { CALL_OVERHEAD_GAS, MAX_BLOCK_CONTRACT_GAS } from '../../src/modules/contract/contract-module.ts';
import { type DevnetLayout, DevnetProcesses, prepareDevnet, waitForApi } from '../../src/node/devnet.ts';
import { CONTRACT, runAgencyScenario } from './scenario.ts';

/** Gas limit of each measured call: a submit uses about 40 k; the block budget reserves limit + overhead. */
const MEASURE_GAS_LIMIT = 200_000;
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/v1/status`)).ok;
  } catch {
    return false;
  }
}

/** A running devnet to use, or one started here (stopped by the returned function). */
async function devnet(): Promise<{ dir: string; layout: DevnetLayout; stop: () => Promise<void> }> {
  const dir = option('--dir') ?? '.meridian/devnet';
  const layoutFile = join(dir, 'devnet.json');
  if (existsSync(layoutFile)) {
    const layout = JSON.parse(readFileSync(layoutFile, 'utf8')) as DevnetLayout;
    if (await answers(layout.nodes[0]!.apiUrl)) {
      console.log(`using the running devnet in ${dir} (${layout.nodes[0]!.apiUrl})`);
      return { dir, layout, stop: async () => {} };
    }
    if (option('--dir')) throw new Error(`the devnet in ${dir} is not running: start it with \`npm start\``);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'meridian-agency-'));
  let base = 40_000 + Math.floor(Math.random() * 400) * 50;
  while (!(await Promise.all([0, 1, 2, 3, 20, 21, 22, 23].map((d) => portFree(base + d)))).every(Boolean))
    base += 50;
  console.log(`starting a 4-validator devnet in ${tmp} ...`);
  const layout = await prepareDevnet({
    dir: tmp,
    validators: 4,
    apiBasePort: base,
    p2pBasePort: base + 20,
    keyFileLogN: 10,
  });
  const processes = new DevnetProcesses(layout);
  await processes.start();
  await Promise.all(layout.nodes.map((n) => waitForApi(n.apiUrl, 60_000)));
  console.log(`devnet up after ${elapsed()}`);
  return {
    dir: tmp,
    layout,
    stop: async () => {
      await processes.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

async function adminKey(layout: DevnetLayout, organization: string) {
  const admin = layout.admins?.find((a) => a.organization === organization);
  if (!admin || !layout.passphraseFile)
    throw new Error(`this devnet has no ${organization} admin key (an open devnet?); use \`npm start\``);
  const passphrase = readFileSync(layout.passphraseFile, 'utf8').replace(/\r?\n$/, '');
  return (await decryptKeyFile(parseKeyFile(readFileSync(admin.keyFile, 'utf8')), passphrase)).signing;
}

/**
 * Throughput of contract calls through the network: `count` new applications
 * from one applicant, submitted in waves of what one block's contract budget
 * holds (the proposer does not yet cut batches by that budget: a bigger wave
 * would have its excess fail with BLOCK_GAS_EXHAUSTED), each wave waited for.
 * Counts only calls whose receipt is ok.
 */
async function measure(
  client: MeridianClient,
  applicant: Awaited<ReturnType<typeof adminKey>>,
  count: number,
) {
  const chainId = (await client.status()).chainId;
  let nonce = (await client.account(applicant.publicKey)).nonce;
  const wave = Math.floor(MAX_BLOCK_CONTRACT_GAS / (MEASURE_GAS_LIMIT + CALL_OVERHEAD_GAS));
  const hashes: string[] = [];
  const startMs = performance.now();
  for (let sent = 0; sent < count; sent += wave) {
    const txs = Array.from({ length: Math.min(wave, count - sent) }, (_, i) => {
      const body = {
        chainId,
        sender: applicant.publicKey,
        nonce: nonce++,
        kind: 'contract.call',
        payload: utf8(
          JSON.stringify({
            name: CONTRACT,
            method: 'submit',
            args: {
              projectName: `load ${sent + i}`,
              location: 'Wuhan',
              documentsHash: `0x${'ab'.repeat(32)}`,
            },
            gasLimit: MEASURE_GAS_LIMIT,
          }),
        ),
      };
      return { hash: toHex(txHash(body)), encoded: encodeTx(signTx(body, applicant.secretKey)) };
    });
    await client.submitTxBatch(txs.map((t) => t.encoded));
    await client.waitForTx(txs.at(-1)!.hash, { timeoutMs: 120_000 });
    hashes.push(...txs.map((t) => t.hash));
  }
  const seconds = (performance.now() - startMs) / 1000;
  const receipts = await Promise.all(hashes.map(async (h) => (await client.txStatus(h)).receipt));
  const ok = receipts.filter((r) => r?.status === 'ok');
  const gas = ok.reduce((sum, r) => sum + (r?.gasUsed ?? 0), 0);
  console.log(
    `\nthroughput: ${ok.length} of ${count} contract calls ok in ${seconds.toFixed(1)} s = ${(ok.length / seconds).toFixed(0)} calls/s ` +
      `(waves of ${wave}, one block budget each; ${Math.round(gas / Math.max(1, ok.length))} gas a call)`,
  );
}

const net = await devnet();
const client = new MeridianClient(net.layout.nodes[0]!.apiUrl, { WebSocket: WebSocket as never });
try {
  const regulator = await adminKey(net.layout, 'regulator');
  const founders = await Promise.all(
    (net.layout.admins ?? [])
      .filter((a) => a.organization !== 'regulator')
      .map((a) => adminKey(net.layout, a.organization)),
  );
  const result = await runAgencyScenario(client, { regulator, founders });
  const gas = result.calls.map((c) => c.gasUsed);
  const ms = result.calls.map((c) => c.commitMs);
  console.log(
    `\ncontract calls: ${result.calls.length}, gas ${Math.min(...gas)}–${Math.max(...gas)} (mean ${Math.round(gas.reduce((a, b) => a + b, 0) / gas.length)}), ` +
      `submit-to-receipt ${Math.round(Math.min(...ms))}–${Math.round(Math.max(...ms))} ms; ${result.events.length} contract events over the WebSocket`,
  );
  const count = Number(option('--measure') ?? 0);
  if (count > 0) await measure(client, result.applicant, count);
  console.log(`\ndone in ${elapsed()}`);
} finally {
  client.close();
  await net.stop();
}
