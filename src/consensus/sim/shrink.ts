/**
 * Shrinking a failing seed: replay it with fewer faults until it no longer
 * fails, keep the smallest failing variant, and return its trace up to the
 * first violation. Greedy and deterministic (each variant is itself a pure
 * function of the seed and the kept faults).
 */

import { runSimulation, type SimulationOptions, type SimulationResult } from './simulation.ts';

export interface ShrinkResult {
  readonly seed: number;
  readonly original: SimulationResult;
  readonly shrunk: SimulationResult;
  /** Indices of the fault events still needed. */
  readonly keptFaults: readonly number[];
  readonly keptByzantine: boolean;
  readonly attempts: number;
}

function fails(result: SimulationResult, kind: string): boolean {
  return result.violations.some((v) => v.kind === kind);
}

export function shrinkSeed(options: SimulationOptions, maxAttempts = 64): ShrinkResult {
  const original = runSimulation({ ...options, trace: false });
  const kind = original.violations[0]?.kind;
  if (!kind) {
    return {
      seed: options.seed,
      original,
      shrunk: original,
      keptFaults: [],
      keptByzantine: true,
      attempts: 1,
    };
  }
  const kept = new Set(original.faultSchedule.map((_, i) => i));
  let keepByzantine = true;
  let attempts = 1;
  const attempt = (candidate: Set<number>, byzantine: boolean): boolean => {
    attempts++;
    const result = runSimulation({
      ...options,
      trace: false,
      keepFault: (i) => candidate.has(i),
      keepByzantine: byzantine,
    });
    return fails(result, kind);
  };
  if (attempt(kept, false)) keepByzantine = false;
  for (const index of [...kept]) {
    if (attempts >= maxAttempts) break;
    const candidate = new Set(kept);
    candidate.delete(index);
    if (attempt(candidate, keepByzantine)) kept.delete(index);
  }
  const shrunk = runSimulation({
    ...options,
    trace: true,
    keepFault: (i) => kept.has(i),
    keepByzantine,
  });
  return {
    seed: options.seed,
    original,
    shrunk,
    keptFaults: [...kept].sort((a, b) => a - b),
    keptByzantine: keepByzantine,
    attempts,
  };
}

/** The trace lines up to (and just after) the first violation, at most `limit` of them. */
export function traceUntilViolation(result: SimulationResult, limit = 400): string[] {
  const first = result.violations[0];
  const until = first ? first.timeMs : Number.POSITIVE_INFINITY;
  const lines = result.trace.filter((line) => Number(line.trim().split('ms')[0]) <= until);
  return lines.slice(-limit);
}
