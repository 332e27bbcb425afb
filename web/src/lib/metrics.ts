/**
 * Reading a node's `/metrics` (Prometheus text exposition format 0.0.4) in the
 * browser: samples by name and labels, histograms, and what changed between
 * two scrapes (a histogram's delta is the distribution of what was observed in
 * between, e.g. the commit latency of the transactions committed in that time).
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Most lines read from one exposition (a node's is a few hundred). */
export const MAX_METRIC_LINES = 20_000;

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Every sample line; comments, blank and malformed lines are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && i < MAX_METRIC_LINES; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    if (match[3] !== undefined) {
      for (const label of match[3].matchAll(LABEL)) labels[label[1]!] = unescapeLabel(label[2]!);
    }
    const value = parseValue(match[4]!);
    if (Number.isNaN(value)) continue;
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** The value of an unlabelled (or first matching) sample, if present. */
export function metricValue(samples: readonly Sample[], name: string): number | undefined {
  return samples.find((s) => s.name === name)?.value;
}

/** The sum of a metric over all its label sets (e.g. a counter split by type). */
export function metricSum(samples: readonly Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
}

export interface Histogram {
  /** Cumulative counts by upper bound, ascending; the last bound is +Infinity. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

export function readHistogram(samples: readonly Sample[], name: string): Histogram | undefined {
  const buckets = samples
    .filter((s) => s.name === `${name}_bucket` && s.labels.le !== undefined)
    .map((s) => ({ le: parseValue(s.labels.le!), count: s.value }))
    .sort((a, b) => a.le - b.le);
  const sum = metricValue(samples, `${name}_sum`);
  const count = metricValue(samples, `${name}_count`);
  if (buckets.length === 0 || sum === undefined || count === undefined) return undefined;
  return { buckets, sum, count };
}

/**
 * What was observed between two scrapes of the same histogram. A counter that
 * went down means the node restarted: then `later` alone is the best estimate.
 */
export function histogramDelta(earlier: Histogram, later: Histogram): Histogram {
  if (later.count < earlier.count || later.buckets.length !== earlier.buckets.length) return later;
  return {
    buckets: later.buckets.map((b, i) => ({ le: b.le, count: b.count - (earlier.buckets[i]?.count ?? 0) })),
    sum: later.sum - earlier.sum,
    count: later.count - earlier.count,
  };
}

/** Mean of the observations, or undefined when there were none. */
export function histogramMean(h: Histogram): number | undefined {
  return h.count > 0 ? h.sum / h.count : undefined;
}

/**
 * The q-quantile (0 < q < 1), interpolated linearly inside its bucket as
 * Prometheus' `histogram_quantile` does; the +Inf bucket answers with the
 * highest finite bound. Undefined when there were no observations.
 */
export function histogramQuantile(h: Histogram, q: number): number | undefined {
  if (h.count <= 0) return undefined;
  const rank = q * h.count;
  let previousBound = 0;
  let previousCount = 0;
  for (const bucket of h.buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return previousBound;
      const inBucket = bucket.count - previousCount;
      if (inBucket <= 0) return bucket.le;
      return previousBound + ((bucket.le - previousBound) * (rank - previousCount)) / inBucket;
    }
    previousBound = Number.isFinite(bucket.le) ? bucket.le : previousBound;
    previousCount = bucket.count;
  }
  return previousBound;
}
