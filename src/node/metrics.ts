/**
 * Prometheus metrics of one node (served at `/metrics`). Names follow the
 * Prometheus conventions: `_total` counters, base units (seconds, bytes).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class NodeMetrics {
  readonly registry = new Registry();
  readonly height = new Gauge({
    name: 'meridian_height',
    help: 'Height of the last committed block',
    registers: [this.registry],
  });
  readonly view = new Gauge({
    name: 'meridian_view',
    help: 'Current consensus view',
    registers: [this.registry],
  });
  readonly viewChanges = new Counter({
    name: 'meridian_view_changes_total',
    help: 'New views installed',
    registers: [this.registry],
  });
  readonly txsCommitted = new Counter({
    name: 'meridian_txs_committed_total',
    help: 'Transactions committed',
    registers: [this.registry],
  });
  readonly txsPerSecond = new Gauge({
    name: 'meridian_txs_per_second',
    help: 'Committed transactions per second over the last 10 seconds',
    registers: [this.registry],
  });
  readonly commitLatency = new Histogram({
    name: 'meridian_commit_latency_seconds',
    help: 'From a transaction entering this node to its block committing here',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly blockTxs = new Histogram({
    name: 'meridian_block_transactions',
    help: 'Transactions per committed block',
    buckets: [0, 1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
    registers: [this.registry],
  });
  readonly mempoolSize = new Gauge({
    name: 'meridian_mempool_transactions',
    help: 'Transactions in the mempool',
    registers: [this.registry],
  });
  readonly mempoolBytes = new Gauge({
    name: 'meridian_mempool_bytes',
    help: 'Bytes in the mempool',
    registers: [this.registry],
  });
  readonly peersConnected = new Gauge({
    name: 'meridian_peers_connected',
    help: 'Validators with a live session',
    registers: [this.registry],
  });
  readonly consensusMessagesSent = new Counter({
    name: 'meridian_consensus_messages_sent_total',
    help: 'Consensus messages sent, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly misbehaviour = new Counter({
    name: 'meridian_peer_misbehaviour_total',
    help: 'Provable or observed peer misbehaviour, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly txsRejected = new Counter({
    name: 'meridian_txs_rejected_total',
    help: 'Transactions refused at admission, by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });

  readonly #recent: { atMs: number; count: number }[] = [];

  /**
   * Adds the process's own metrics (resident memory, heap, CPU seconds, event-loop
   * lag, GC pauses; prom-client's defaults). Once per process: a node process calls
   * it at start; in-process test nodes leave it out.
   */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Records a committed block for the tx/s window. */
  recordCommit(txCount: number, nowMs: number): void {
    this.txsCommitted.inc(txCount);
    this.blockTxs.observe(txCount);
    this.#recent.push({ atMs: nowMs, count: txCount });
    while (this.#recent.length > 0 && this.#recent[0]!.atMs < nowMs - 10_000) this.#recent.shift();
    const total = this.#recent.reduce((sum, e) => sum + e.count, 0);
    this.txsPerSecond.set(total / 10);
  }
}
