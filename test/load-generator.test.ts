/**
 * The load generator (`meridian bench load`, `npm run bench:load`) against a real 4-validator
 * devnet: what it offers commits, what it reports matches what the chain holds, and it says where
 * the CPU went.
 */
import { cpus } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processCpuMs } from '../bench/lib/process-cpu.ts';
import { runLoad } from '../src/loadgen/load-generator.ts';
import { startTestDevnet, type TestDevnet } from './support/devnet.ts';

let net: TestDevnet;

beforeAll(async () => {
  net = await startTestDevnet({ openMembership: true }); // the generator's senders are new keys
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

describe('runLoad', () => {
  it('offers at the asked rate, follows every commit and accounts the CPU of client and nodes', async () => {
    const nodesCpuMs = () =>
      net.layout.nodes.reduce(
        (sum, n) => sum + (processCpuMs(net.processes.pidOf(n.index)) ?? Number.NaN),
        0,
      );
    const before = await net.clients[0]!.status();
    const result = await runLoad({
      nodes: net.layout.nodes.map((n) => n.apiUrl),
      ratePerSecond: 100,
      durationSeconds: 3,
      senders: 16,
      nodesCpuMs,
    });
    expect(result).toMatchObject({ offered: 300, committed: 300, uncommitted: 0, rejected: 0 });
    expect(result.committedTps).toBeGreaterThan(50);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p99);
    expect(result.latencyMs.p99).toBeLessThanOrEqual(result.latencyMs.max);

    // Every transaction it counted as committed is in a block the chain now holds.
    const after = await net.clients[0]!.status();
    let inBlocks = 0;
    for (let h = before.height + 1; h <= after.height; h++) {
      inBlocks += (await net.clients[0]!.blockTxHashes(h)).txHashes.length;
    }
    expect(inBlocks).toBe(300);

    // CPU from the first offer to the end of the drain: the run took at least the offering window,
    // and both this process (HTTP, following) and the four validators (admission, consensus) worked.
    expect(result.cpu.wallMs).toBeGreaterThanOrEqual(3_000);
    expect(result.cpu.clientMs).toBeGreaterThan(0);
    expect(result.cpu.nodesMs).toBeGreaterThan(0);
    expect(result.cpu.nodesMs!).toBeLessThanOrEqual(cpus().length * result.cpu.wallMs * 1.05); // no more than the machine has
  }, 120_000);

  it('leaves the nodes’ CPU unknown when it cannot be read', async () => {
    const result = await runLoad({
      nodes: [net.layout.nodes[0]!.apiUrl],
      ratePerSecond: 20,
      durationSeconds: 1,
      senders: 4,
      nodesCpuMs: () => undefined,
    });
    expect(result.committed).toBe(20);
    expect(result.cpu.nodesMs).toBeUndefined();
    expect(result.cpu.clientMs).toBeGreaterThan(0);
  }, 60_000);
});
