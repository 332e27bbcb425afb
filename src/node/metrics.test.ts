import { describe, expect, it } from 'vitest';
import { NodeMetrics } from './metrics.ts';

describe('NodeMetrics', () => {
  it('serves the process metrics beside the node metrics once asked to', async () => {
    const metrics = new NodeMetrics();
    const names = async () => (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(await names()).not.toContain('process_resident_memory_bytes');
    metrics.collectProcessMetrics();
    const text = await metrics.registry.metrics();
    for (const name of [
      'meridian_height',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(text).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
  });

  it('averages committed transactions over the last 10 seconds', async () => {
    const metrics = new NodeMetrics();
    metrics.recordCommit(100, 0);
    metrics.recordCommit(50, 5_000);
    expect((await metrics.txsPerSecond.get()).values[0]?.value).toBe(15);
    metrics.recordCommit(10, 12_000); // the first block is now older than 10 s
    expect((await metrics.txsPerSecond.get()).values[0]?.value).toBe(6);
  });
});
