/**
 * Aggregation of many simulation runs into the numbers the CLI prints.
 */

import type { SimulationResult } from './simulation.ts';

export interface SimulationSummary {
  runs: number;
  violations: number;
  failingSeeds: number[];
  committedBlocks: number;
  viewChanges: number;
  messages: Record<string, number>;
  primaryCrashes: number;
  maxRecoveryMs: number;
  maxLivenessMs: number;
  verifications: number;
  events: number;
}

export function emptySummary(): SimulationSummary {
  return {
    runs: 0,
    violations: 0,
    failingSeeds: [],
    committedBlocks: 0,
    viewChanges: 0,
    messages: {},
    primaryCrashes: 0,
    maxRecoveryMs: 0,
    maxLivenessMs: 0,
    verifications: 0,
    events: 0,
  };
}

export function addResult(summary: SimulationSummary, result: SimulationResult): void {
  summary.runs++;
  summary.violations += result.violations.length;
  if (result.violations.length > 0) summary.failingSeeds.push(result.seed);
  summary.committedBlocks += result.committedBlocks;
  summary.viewChanges += result.viewChanges;
  for (const [type, count] of Object.entries(result.messages)) {
    summary.messages[type] = (summary.messages[type] ?? 0) + count;
  }
  summary.primaryCrashes += result.primaryCrashes;
  summary.maxRecoveryMs = Math.max(summary.maxRecoveryMs, result.maxRecoveryMs);
  summary.maxLivenessMs = Math.max(summary.maxLivenessMs, result.livenessMs);
  summary.verifications += result.verifications;
  summary.events += result.events;
}

export function mergeSummaries(into: SimulationSummary, other: SimulationSummary): void {
  into.runs += other.runs;
  into.violations += other.violations;
  into.failingSeeds.push(...other.failingSeeds);
  into.committedBlocks += other.committedBlocks;
  into.viewChanges += other.viewChanges;
  for (const [type, count] of Object.entries(other.messages)) {
    into.messages[type] = (into.messages[type] ?? 0) + count;
  }
  into.primaryCrashes += other.primaryCrashes;
  into.maxRecoveryMs = Math.max(into.maxRecoveryMs, other.maxRecoveryMs);
  into.maxLivenessMs = Math.max(into.maxLivenessMs, other.maxLivenessMs);
  into.verifications += other.verifications;
  into.events += other.events;
}

const TYPE_NAMES: Record<string, string> = {
  prePrepare: 'PRE-PREPARE',
  prepare: 'PREPARE',
  commit: 'COMMIT',
  checkpoint: 'CHECKPOINT',
  viewChange: 'VIEW-CHANGE',
  newView: 'NEW-VIEW',
  heartbeat: 'HEARTBEAT',
  status: 'STATUS',
  fetchBlock: 'FETCH-BLOCK',
  block: 'BLOCK',
};

export function messagesPerBlock(summary: SimulationSummary): Record<string, number> {
  const out: Record<string, number> = {};
  const blocks = Math.max(1, summary.committedBlocks);
  let total = 0;
  for (const [type, count] of Object.entries(summary.messages).sort()) {
    out[TYPE_NAMES[type] ?? type] = Math.round((count / blocks) * 10) / 10;
    total += count;
  }
  out.total = Math.round((total / blocks) * 10) / 10;
  return out;
}
