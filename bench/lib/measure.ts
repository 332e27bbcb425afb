/**
 * Timing for benchmarks: warm up, repeat, report the median (robust against the
 * other processes on a shared 2-core machine). Times are wall-clock via
 * `performance.now()`, in milliseconds.
 */

export interface Timing {
  /** Median of the repeats, ms. */
  readonly medianMs: number;
  /** Every repeat, ms, in run order. */
  readonly samplesMs: readonly number[];
}

export interface MeasureOptions {
  /** Untimed runs first (JIT warm-up). Default 2. */
  readonly warmup?: number;
  /** Timed runs. Default 7. */
  readonly repeats?: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Times a synchronous function. */
export function measure(run: () => unknown, options: MeasureOptions = {}): Timing {
  for (let i = 0; i < (options.warmup ?? 2); i++) run();
  const samplesMs: number[] = [];
  for (let i = 0; i < (options.repeats ?? 7); i++) {
    const start = performance.now();
    run();
    samplesMs.push(performance.now() - start);
  }
  return { medianMs: median(samplesMs), samplesMs };
}

/** Times an asynchronous function (awaited each run). */
export async function measureAsync(
  run: () => Promise<unknown>,
  options: MeasureOptions = {},
): Promise<Timing> {
  for (let i = 0; i < (options.warmup ?? 2); i++) await run();
  const samplesMs: number[] = [];
  for (let i = 0; i < (options.repeats ?? 7); i++) {
    const start = performance.now();
    await run();
    samplesMs.push(performance.now() - start);
  }
  return { medianMs: median(samplesMs), samplesMs };
}

export interface Contender {
  /** One timed run (sync or async; awaited either way). */
  readonly run: () => unknown;
  /** Timed runs for this contender (default: the group's `repeats`). Slow peers can take fewer. */
  readonly repeats?: number;
}

/**
 * Times several contenders INTERLEAVED: round after round, each contender runs
 * once (in rotating order), so load from other processes on a shared machine
 * hits all of them alike and the ratios stay meaningful. Each contender first
 * warms up for `warmupMs` (at least one run) so the JIT has optimised it.
 */
export async function measureInterleaved<K extends string>(
  contenders: Record<K, Contender>,
  options: { repeats?: number; warmupMs?: number } = {},
): Promise<Record<K, Timing>> {
  const names = Object.keys(contenders) as K[];
  const repeats = options.repeats ?? 7;
  const warmupMs = options.warmupMs ?? 300;
  for (const name of names) {
    const start = performance.now();
    let runs = 0;
    do {
      await contenders[name].run();
      runs++;
    } while (performance.now() - start < warmupMs && runs < 200);
  }
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  const wanted = (name: K) => contenders[name].repeats ?? repeats;
  for (let round = 0; names.some((n) => samples[n].length < wanted(n)); round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      if (samples[name].length >= wanted(name)) continue;
      const start = performance.now();
      await contenders[name].run();
      samples[name].push(performance.now() - start);
    }
  }
  const timings = names.map((n): [K, Timing] => [n, { medianMs: median(samples[n]), samplesMs: samples[n] }]);
  return Object.fromEntries(timings) as unknown as Record<K, Timing>;
}
