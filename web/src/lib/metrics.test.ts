import { describe, expect, it } from 'vitest';
import {
  histogramDelta,
  histogramMean,
  histogramQuantile,
  metricSum,
  metricValue,
  parsePrometheusText,
  readHistogram,
} from './metrics.ts';

const scrape = (count: number, sum: number, buckets: number[]) => `
# HELP meridian_height Height of the last committed block
# TYPE meridian_height gauge
meridian_height 42
meridian_txs_per_second 12.5
meridian_consensus_messages_sent_total{type="prepare"} 10
meridian_consensus_messages_sent_total{type="commit"} 7
meridian_commit_latency_seconds_bucket{le="0.1"} ${buckets[0]}
meridian_commit_latency_seconds_bucket{le="0.5"} ${buckets[1]}
meridian_commit_latency_seconds_bucket{le="1"} ${buckets[2]}
meridian_commit_latency_seconds_bucket{le="+Inf"} ${buckets[3]}
meridian_commit_latency_seconds_sum ${sum}
meridian_commit_latency_seconds_count ${count}
weird line without a value
`;

describe('parsePrometheusText', () => {
  it('reads gauges, labelled counters and skips comments and junk', () => {
    const samples = parsePrometheusText(scrape(0, 0, [0, 0, 0, 0]));
    expect(metricValue(samples, 'meridian_height')).toBe(42);
    expect(metricValue(samples, 'meridian_txs_per_second')).toBe(12.5);
    expect(metricSum(samples, 'meridian_consensus_messages_sent_total')).toBe(17);
    expect(metricValue(samples, 'nope')).toBeUndefined();
  });
  it('unescapes label values', () => {
    const [sample] = parsePrometheusText('m{path="a\\"b\\\\c"} 1');
    expect(sample?.labels.path).toBe('a"b\\c');
  });
});

describe('histograms', () => {
  const first = readHistogram(
    parsePrometheusText(scrape(10, 2, [4, 8, 10, 10])),
    'meridian_commit_latency_seconds',
  )!;
  const second = readHistogram(
    parsePrometheusText(scrape(20, 7, [4, 12, 18, 20])),
    'meridian_commit_latency_seconds',
  )!;

  it('reads buckets in order with +Inf last', () => {
    expect(first.buckets.map((b) => b.le)).toEqual([0.1, 0.5, 1, Number.POSITIVE_INFINITY]);
    expect(first.count).toBe(10);
  });
  it('takes the difference of two scrapes', () => {
    const delta = histogramDelta(first, second);
    expect(delta.count).toBe(10);
    expect(delta.sum).toBe(5);
    expect(delta.buckets.map((b) => b.count)).toEqual([0, 4, 8, 10]);
    expect(histogramMean(delta)).toBe(0.5);
  });
  it('treats a counter reset as a fresh start', () => {
    expect(histogramDelta(second, first)).toBe(first);
  });
  it('interpolates quantiles inside buckets', () => {
    const delta = histogramDelta(first, second);
    // rank 5 of 10: 4 in (0.1, 0.5], then 4 in (0.5, 1]: 5 is 1/4 into the second.
    expect(histogramQuantile(delta, 0.5)).toBeCloseTo(0.625);
    expect(histogramQuantile(delta, 1)).toBe(1);
    expect(histogramQuantile({ buckets: [], sum: 0, count: 0 }, 0.5)).toBeUndefined();
  });
  it('answers the highest finite bound for the +Inf bucket', () => {
    const h = {
      buckets: [
        { le: 1, count: 1 },
        { le: Number.POSITIVE_INFINITY, count: 3 },
      ],
      sum: 9,
      count: 3,
    };
    expect(histogramQuantile(h, 0.9)).toBe(1);
  });
});
