/**
 * `npm run sim -- --seeds 1000 --nodes 4 --byzantine 1 --faults all [--json]`
 *
 * Runs the deterministic simulator over a range of seeds and prints a
 * summary; a progress bar goes to stderr. With `--json` the last stdout line
 * is one JSON object. A failing seed is shrunk (replayed with fewer faults
 * while it still fails) and its event trace printed; the exit code is 1.
 * `--jobs N` splits the seeds over N child processes (default: 1).
 *
 * The only `node:` imports of consensus/ live here (the CLI entry).
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { shrinkSeed, traceUntilViolation } from './shrink.ts';
import { FAULT_KINDS, type FaultKind, runSimulation, type SimulationOptions } from './simulation.ts';
import {
  addResult,
  emptySummary,
  mergeSummaries,
  messagesPerBlock,
  type SimulationSummary,
} from './summary.ts';

interface CliOptions {
  seeds: number;
  seedStart: number;
  nodes: number;
  byzantine: number;
  faults: string;
  json: boolean;
  jobs: number;
  livenessBoundMs: number;
  realCrypto: boolean;
  wire: boolean;
  unsafe?: string;
  shrink: boolean;
  trace?: number;
  progress: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function parseFaults(text: string): Set<FaultKind> {
  if (text === 'all') return new Set(FAULT_KINDS);
  if (text === 'none' || text === '') return new Set();
  const out = new Set<FaultKind>();
  for (const part of text.split(',')) {
    if (!(FAULT_KINDS as readonly string[]).includes(part)) {
      throw new InvalidArgumentError(
        `unknown fault "${part}"; use all, none or a list of ${FAULT_KINDS.join(',')}`,
      );
    }
    out.add(part as FaultKind);
  }
  return out;
}

function optionsFor(cli: CliOptions, seed: number): SimulationOptions {
  return {
    seed,
    nodes: cli.nodes,
    byzantine: cli.byzantine,
    faults: parseFaults(cli.faults),
    livenessBoundMs: cli.livenessBoundMs,
    realCrypto: cli.realCrypto,
    // Exercise the wire codec on every tenth seed even without --wire.
    wire: cli.wire || seed % 10 === 0,
    ...(cli.unsafe === 'commit-2f' ? { unsafe: { commitWithTwoF: true } } : {}),
    ...(cli.unsafe === 'skip-reproposal' ? { unsafe: { skipReproposal: true } } : {}),
  };
}

function runRange(cli: CliOptions, from: number, count: number, onRun: () => void): SimulationSummary {
  const summary = emptySummary();
  for (let seed = from; seed < from + count; seed++) {
    addResult(summary, runSimulation(optionsFor(cli, seed)));
    onRun();
  }
  return summary;
}

async function runParallel(cli: CliOptions, onRun: () => void): Promise<SimulationSummary> {
  const jobs = Math.max(1, Math.min(cli.jobs, cli.seeds));
  if (jobs === 1) return runRange(cli, cli.seedStart, cli.seeds, onRun);
  const summary = emptySummary();
  const per = Math.ceil(cli.seeds / jobs);
  const self = fileURLToPath(import.meta.url);
  const children: Promise<void>[] = [];
  for (let j = 0; j < jobs; j++) {
    const from = cli.seedStart + j * per;
    const count = Math.min(per, cli.seedStart + cli.seeds - from);
    if (count <= 0) continue;
    children.push(
      new Promise((resolve, reject) => {
        const child = fork(self, [], {
          env: { ...process.env, MERIDIAN_SIM_CHILD: JSON.stringify({ cli, from, count }) },
        });
        child.on('message', (message: { type: string; summary?: SimulationSummary }) => {
          if (message.type === 'run') onRun();
          if (message.type === 'done' && message.summary) mergeSummaries(summary, message.summary);
        });
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`)),
        );
      }),
    );
  }
  await Promise.all(children);
  summary.failingSeeds.sort((a, b) => a - b);
  return summary;
}

function printSummary(cli: CliOptions, summary: SimulationSummary, elapsedMs: number): void {
  const f = Math.floor((cli.nodes - 1) / 3);
  const perBlock = messagesPerBlock(summary);
  const lines = [
    `runs                 ${summary.runs} (seeds ${cli.seedStart}..${cli.seedStart + cli.seeds - 1}, N=${cli.nodes}, f=${f}, byzantine ${parseFaults(cli.faults).has('byzantine') ? Math.min(cli.byzantine, f) : 0}, faults ${cli.faults})`,
    `committed blocks     ${summary.committedBlocks} (${(summary.committedBlocks / Math.max(1, summary.runs)).toFixed(1)} per run)`,
    `view changes         ${summary.viewChanges} (views installed, summed over correct replicas)`,
    `messages per block   ${Object.entries(perBlock)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `primary crashes      ${summary.primaryCrashes}; worst recovery (crash -> next commit) ${summary.maxRecoveryMs} ms virtual`,
    `liveness             slowest heal -> all transactions committed everywhere: ${summary.maxLivenessMs} ms virtual (bound ${cli.livenessBoundMs} ms)`,
    `signature checks     ${summary.verifications} (${(summary.verifications / Math.max(1, summary.committedBlocks)).toFixed(1)} per block)`,
    `violations           ${summary.violations}${summary.failingSeeds.length > 0 ? ` (seeds ${summary.failingSeeds.slice(0, 20).join(', ')})` : ''}`,
    `wall time            ${(elapsedMs / 1000).toFixed(1)} s`,
  ];
  for (const line of lines) console.log(line);
}

function reportFailures(cli: CliOptions, summary: SimulationSummary): void {
  for (const seed of summary.failingSeeds.slice(0, 3)) {
    const result = cli.shrink ? shrinkSeed(optionsFor(cli, seed)) : undefined;
    const shrunk = result?.shrunk ?? runSimulation({ ...optionsFor(cli, seed), trace: true });
    console.log(`\n=== seed ${seed} fails: replay with --seed-start ${seed} --seeds 1 ===`);
    for (const v of (result?.original ?? shrunk).violations.slice(0, 5)) {
      console.log(`  ${v.kind} at ${v.timeMs} ms: ${v.message}`);
    }
    if (result) {
      console.log(
        `  shrunk in ${result.attempts} replays: ${result.keptFaults.length}/${result.original.faultSchedule.length} fault events kept, byzantine tricks ${result.keptByzantine ? 'kept' : 'removed'}`,
      );
      for (const i of result.keptFaults)
        console.log(`    fault ${JSON.stringify(result.original.faultSchedule[i])}`);
    }
    for (const b of shrunk.byzantine) console.log(`  ${b}`);
    console.log('  trace of the shrunk run up to the first violation:');
    for (const line of traceUntilViolation(shrunk, 300)) console.log(`  ${line}`);
  }
}

async function main(): Promise<void> {
  const childSpec = process.env.MERIDIAN_SIM_CHILD;
  if (childSpec) {
    const { cli, from, count } = JSON.parse(childSpec) as { cli: CliOptions; from: number; count: number };
    const summary = runRange(cli, from, count, () => process.send?.({ type: 'run' }));
    process.send?.({ type: 'done', summary }, () => process.exit(0));
    return;
  }
  const program = new Command()
    .name('sim')
    .description('Deterministic PBFT simulator: seeded faults, Byzantine replicas, invariant checkers')
    .option('--seeds <n>', 'number of seeds to run', positiveInt, 100)
    .option('--seed-start <s>', 'first seed', positiveInt, 1)
    .option('--nodes <n>', 'replicas (N = 3f+1)', positiveInt, 4)
    .option('--byzantine <b>', 'Byzantine replicas (at most f)', positiveInt, 1)
    .option('--faults <list>', `all, none, or a comma list of ${FAULT_KINDS.join(',')}`, 'all')
    .option('--json', 'last stdout line is a JSON summary', false)
    .option('--jobs <n>', 'child processes to split the seeds over', positiveInt, 1)
    .option(
      '--liveness-bound-ms <ms>',
      'virtual time after the heal within which everything must commit',
      positiveInt,
      60_000,
    )
    .option('--real-crypto', 'sign with Ed25519 instead of the keyed-hash stand-in (slow)', false)
    .option('--wire', 'encode and decode every message', false)
    .option('--unsafe <variant>', 'deliberately broken protocol: commit-2f or skip-reproposal')
    .option('--no-shrink', 'do not shrink failing seeds')
    .option('--no-progress', 'no progress bar')
    .parse();
  const cli = program.opts<CliOptions>();
  if (cli.nodes < 1) throw new InvalidArgumentError('--nodes must be at least 1');
  parseFaults(cli.faults);
  const started = performance.now();
  const bar = cli.progress
    ? new SingleBar({
        stream: process.stderr,
        hideCursor: true,
        noTTYOutput: true,
        notTTYSchedule: 5_000,
        format: 'sim [{bar}] {value}/{total} seeds | {eta}s left',
      })
    : undefined;
  bar?.start(cli.seeds, 0);
  let done = 0;
  const summary = await runParallel(cli, () => bar?.update(++done));
  bar?.stop();
  printSummary(cli, summary, performance.now() - started);
  if (summary.failingSeeds.length > 0) reportFailures(cli, summary);
  if (cli.json) {
    console.log(
      JSON.stringify({
        runs: summary.runs,
        violations: summary.violations,
        committed_blocks: summary.committedBlocks,
        view_changes: summary.viewChanges,
        max_recovery_ms: summary.maxRecoveryMs,
        messages_per_block: messagesPerBlock(summary),
        max_liveness_ms: summary.maxLivenessMs,
        failing_seeds: summary.failingSeeds,
      }),
    );
  }
  process.exitCode = summary.violations > 0 ? 1 : 0;
}

await main();
