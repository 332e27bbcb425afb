/**
 * The simulator as a test: hundreds of seeds with every fault and f
 * Byzantine replicas must give zero violations; the same seed must replay
 * exactly; deliberately broken protocols must be caught (the checkers can
 * fail); a few seeds run with real Ed25519 and the wire codec.
 */

import { describe, expect, it } from 'vitest';
import { Checkers } from './checkers.ts';
import { Cluster } from './cluster.ts';
import { shrinkSeed } from './shrink.ts';
import { FAULT_KINDS, runSimulation, SIM_PARAMETERS, type SimulationOptions } from './simulation.ts';

const ALL = new Set(FAULT_KINDS);

function sweep(base: Omit<SimulationOptions, 'seed'>, from: number, count: number) {
  return sweepSeeds(
    base,
    Array.from({ length: count }, (_, i) => from + i),
  );
}

function sweepSeeds(base: Omit<SimulationOptions, 'seed'>, seeds: readonly number[]) {
  const failures: string[] = [];
  let blocks = 0;
  let viewChanges = 0;
  for (const seed of seeds) {
    const r = runSimulation({
      ...base,
      seed,
      wire: seed % 10 === 0,
      checkRestoreEvery: seed % 5 === 0 ? 13 : undefined,
    });
    blocks += r.committedBlocks;
    viewChanges += r.viewChanges;
    for (const v of r.violations.slice(0, 2))
      failures.push(`seed ${seed}: ${v.kind}: ${v.message.slice(0, 300)}`);
  }
  return { failures, blocks, viewChanges };
}

describe('deterministic simulation', () => {
  it('N=4, 1 Byzantine, all faults: 200 seeds, zero violations', () => {
    const { failures, blocks, viewChanges } = sweep({ nodes: 4, byzantine: 1, faults: ALL }, 1, 200);
    expect(failures).toEqual([]);
    expect(blocks).toBeGreaterThan(2000);
    expect(viewChanges).toBeGreaterThan(100); // the faults really do force view changes
  }, 300_000);

  it('N=7, 2 Byzantine, all faults: 100 seeds, zero violations', () => {
    const { failures, blocks } = sweep({ nodes: 7, byzantine: 2, faults: ALL }, 1001, 100);
    expect(failures).toEqual([]);
    expect(blocks).toBeGreaterThan(1000);
  }, 300_000);

  it('stays safe on the seeds where a forged NEW-VIEW quorum made a new view drop a committed block', () => {
    // Found with the forgeNewView trait on the code that verified VIEW-CHANGEs by signature alone.
    const { failures } = sweepSeeds({ nodes: 4, byzantine: 1, faults: ALL }, [708, 803, 942]);
    expect(failures).toEqual([]);
  });

  it('a seed replays exactly', () => {
    const a = runSimulation({ seed: 4242, nodes: 4, byzantine: 1, faults: ALL, trace: true });
    const b = runSimulation({ seed: 4242, nodes: 4, byzantine: 1, faults: ALL, trace: true });
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b.trace).toEqual(a.trace);
    expect(b.messages).toEqual(a.messages);
  });

  it('runs with real Ed25519 signatures and every message through the wire codec', () => {
    for (const seed of [7, 8]) {
      const r = runSimulation({
        seed,
        nodes: 4,
        byzantine: 1,
        faults: ALL,
        realCrypto: true,
        wire: true,
        txCount: 15,
      });
      expect(r.violations).toEqual([]);
      expect(r.committedBlocks).toBeGreaterThan(0);
    }
  }, 120_000);

  it('without faults nothing changes view and a block costs PBFT messages only', () => {
    const r = runSimulation({
      seed: 3,
      nodes: 4,
      byzantine: 0,
      faults: new Set(),
      randomParameters: false,
      txCount: 40,
    });
    expect(r.violations).toEqual([]);
    expect(r.viewChanges).toBe(0);
    // One PRE-PREPARE to each of 3 backups per block.
    expect(r.messages.prePrepare).toBe(3 * r.committedBlocks);
  });
});

describe('the checkers can fail', () => {
  it('committing with 2f COMMITs instead of 2f+1 is caught (certificates do not verify)', () => {
    const r = runSimulation({
      seed: 1,
      nodes: 4,
      byzantine: 1,
      faults: ALL,
      unsafe: { commitWithTwoF: true },
    });
    expect(r.violations.some((v) => v.kind === 'certificate')).toBe(true);
  });

  it('a new primary that does not re-propose prepared blocks is caught', () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const r = runSimulation({
        seed,
        nodes: 4,
        byzantine: 1,
        faults: ALL,
        unsafe: { skipReproposal: true },
      });
      for (const v of r.violations) kinds.add(v.kind);
    }
    expect(kinds.size).toBeGreaterThan(0);
  });

  it('agreement and validity checks fire on conflicting or invented commits', () => {
    const cluster = new Cluster(
      { nodes: 4, seed: 1, parameters: SIM_PARAMETERS },
      { send: () => {}, timerSet: () => {} },
    );
    const checkers = new Checkers(
      () => true,
      () => cluster.validators,
      cluster.crypto.verify,
    );
    const header = { ...cluster.genesis, height: 1 };
    const cert = { view: 0, height: 1, headerHash: new Uint8Array(32), votes: [] };
    checkers.submitted.add(1);
    checkers.onCommit(0, { header, txs: [] }, cert, 0);
    checkers.onCommit(
      1,
      { header: { ...header, timestampMs: 5 }, txs: [Uint8Array.of(0, 0, 0, 0, 0, 9)] },
      cert,
      0,
    );
    const kinds = checkers.violations.map((v) => v.kind);
    expect(kinds).toContain('agreement');
    expect(kinds).toContain('certificate');
    checkers.onCommit(
      2,
      { header: { ...header, height: 2, timestampMs: 6 }, txs: [Uint8Array.of(0, 0, 0, 0, 0, 9)] },
      cert,
      0,
    );
    expect(checkers.violations.map((v) => v.kind)).toContain('validity');
  });

  it('a failing seed shrinks to fewer faults that still fail, with a trace', () => {
    const result = shrinkSeed(
      { seed: 1, nodes: 4, byzantine: 1, faults: ALL, unsafe: { skipReproposal: true } },
      8,
    );
    expect(result.original.violations.length).toBeGreaterThan(0);
    expect(result.shrunk.violations.length).toBeGreaterThan(0);
    expect(result.keptFaults.length).toBeLessThan(result.original.faultSchedule.length);
    expect(result.shrunk.trace.length).toBeGreaterThan(0);
  }, 120_000);
});
