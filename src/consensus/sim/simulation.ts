/**
 * One deterministic simulation run (TigerBeetle VOPR style): a seed fixes the
 * fault schedule, the Byzantine replicas and their tricks, the clients'
 * transactions, and every network decision. The same seed and options replay
 * the same run event for event.
 *
 * A run has a fault phase (`faultPhaseMs`): the network delays, drops,
 * duplicates and reorders messages and partitions replicas; replicas crash
 * (sometimes in the middle of performing a step's outputs) and restart from
 * their WAL; up to f replicas are Byzantine. At the heal time partitions end,
 * drops stop and every crashed replica restarts. Checkers run on every commit;
 * at the end, liveness requires every submitted transaction to be committed at
 * every correct replica within `livenessBoundMs` of the heal time.
 */

import { type ConsensusParameters, DEFAULT_CONSENSUS_PARAMETERS } from '../../chain/genesis.ts';
import { headerHashOf } from '../pbft/messages.ts';
import type { TimerName, UnsafeTestingFlags } from '../pbft/types.ts';
import { BYZANTINE_TRAITS, ByzantineBehaviour, type ByzantineTrait } from './byzantine.ts';
import type { Violation } from './checkers.ts';
import { Cluster, describeMessage, type Envelope } from './cluster.ts';
import { makeTx } from './node.ts';
import { Prng } from './prng.ts';

export const FAULT_KINDS = ['drop', 'duplicate', 'reorder', 'partition', 'crash', 'byzantine'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Consensus parameters scaled to the simulator's millisecond network. */
export const SIM_PARAMETERS: ConsensusParameters = {
  ...DEFAULT_CONSENSUS_PARAMETERS,
  maxBatchCount: 8,
  maxBatchBytes: 16 * 1024,
  maxBatchAgeMs: 20,
  checkpointInterval: 4,
  watermarkWindow: 8,
  heartbeatIntervalMs: 100,
  heartbeatTimeoutMs: 500,
  requestTimeoutMs: 1_500,
  viewChangeTimeoutMs: 1_000,
};

export interface SimulationOptions {
  readonly seed: number;
  readonly nodes: number;
  /** Byzantine replicas (at most f); only used when `faults` has 'byzantine'. */
  readonly byzantine: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly faultPhaseMs?: number;
  readonly txCount?: number;
  readonly livenessBoundMs?: number;
  readonly parameters?: Partial<ConsensusParameters>;
  readonly unsafe?: UnsafeTestingFlags;
  readonly realCrypto?: boolean;
  readonly wire?: boolean;
  readonly trace?: boolean;
  /** Check restore-from-WAL equivalence every this many steps (costly; tests use it on some seeds). */
  readonly checkRestoreEvery?: number;
  /** Draw checkpoint interval, window and batch size from the seed (default true). */
  readonly randomParameters?: boolean;
  /** Shrinking: keep only these scheduled fault events (indices into `faultSchedule`). */
  readonly keepFault?: (index: number) => boolean;
  /** Shrinking: drop the Byzantine replicas' tricks. */
  readonly keepByzantine?: boolean;
}

export interface FaultEvent {
  readonly atMs: number;
  readonly kind: 'drop' | 'duplicate' | 'reorder' | 'partition' | 'heal' | 'crash' | 'restart';
  readonly replica?: number;
  /** Crash the replica that is primary at that moment instead of `replica`. */
  readonly primary?: boolean;
  /** Crash in the middle of a step (cut its outputs). */
  readonly torn?: number;
  readonly groups?: readonly number[];
  readonly rate?: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  readonly committedBlocks: number;
  readonly viewChanges: number;
  readonly maxView: number;
  readonly messages: Readonly<Record<string, number>>;
  readonly primaryCrashes: number;
  readonly maxRecoveryMs: number;
  readonly verifications: number;
  readonly txs: number;
  readonly endTimeMs: number;
  readonly healTimeMs: number;
  /** Virtual time from heal until every transaction was committed everywhere (-1 if never). */
  readonly livenessMs: number;
  readonly faultSchedule: readonly FaultEvent[];
  readonly byzantine: readonly string[];
  readonly events: number;
  readonly trace: readonly string[];
}

type Event =
  | { at: number; seq: number; kind: 'deliver'; envelope: Envelope }
  | { at: number; seq: number; kind: 'timer'; replica: number; name: TimerName; generation: number }
  | { at: number; seq: number; kind: 'fault'; index: number }
  | { at: number; seq: number; kind: 'submit'; id: number }
  | { at: number; seq: number; kind: 'heal' };

class EventHeap {
  private items: Event[] = [];
  get size(): number {
    return this.items.length;
  }
  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(e: Event): void {
    const items = this.items;
    items.push(e);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): Event | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(items[l]!, items[m]!)) m = l;
        if (r < items.length && this.less(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Per-seed consensus parameters: small checkpoint intervals and windows and
 * small batches put many chained heights in flight, so crashes and view
 * changes hit pipelines of several prepared-but-uncommitted heights.
 */
export function randomParameters(prng: Prng, enabled: boolean): ConsensusParameters {
  if (!enabled) return SIM_PARAMETERS;
  const checkpointInterval = prng.pick([2, 3, 4, 8]);
  return {
    ...SIM_PARAMETERS,
    checkpointInterval,
    watermarkWindow: checkpointInterval * prng.pick([2, 3]),
    maxBatchCount: prng.pick([1, 2, 4, 8]),
  };
}

/** The fault schedule a seed produces (generated up front so that shrinking can remove events). */
export function generateFaultSchedule(
  prng: Prng,
  nodes: number,
  faults: ReadonlySet<FaultKind>,
  faultPhaseMs: number,
): FaultEvent[] {
  const events: FaultEvent[] = [];
  if (faults.has('drop')) events.push({ atMs: 0, kind: 'drop', rate: prng.float() * 0.15 });
  if (faults.has('duplicate')) events.push({ atMs: 0, kind: 'duplicate', rate: prng.float() * 0.1 });
  if (faults.has('reorder')) events.push({ atMs: 0, kind: 'reorder', rate: prng.float() * 0.3 });
  if (faults.has('partition')) {
    const count = prng.range(1, 3);
    for (let k = 0; k < count; k++) {
      const at = prng.int(faultPhaseMs);
      const groups = Array.from({ length: nodes }, () => (prng.chance(0.35) ? 1 : 0));
      events.push({ atMs: at, kind: 'partition', groups });
      events.push({ atMs: Math.min(faultPhaseMs, at + prng.range(200, 3_000)), kind: 'heal' });
    }
  }
  if (faults.has('crash')) {
    const count = prng.range(1, 4);
    for (let k = 0; k < count; k++) {
      const at = prng.int(faultPhaseMs);
      const replica = prng.int(nodes);
      const primary = prng.chance(0.6);
      const torn = prng.chance(0.5) ? prng.next() : undefined;
      events.push({ atMs: at, kind: 'crash', replica, primary, ...(torn === undefined ? {} : { torn }) });
      events.push({ atMs: Math.min(faultPhaseMs, at + prng.range(100, 3_000)), kind: 'restart', replica });
    }
  }
  return events;
}

export function runSimulation(options: SimulationOptions): SimulationResult {
  const faultPhaseMs = options.faultPhaseMs ?? 6_000;
  const txCount = options.txCount ?? 20 + new Prng(options.seed ^ 0x7a3).int(41);
  const livenessBoundMs = options.livenessBoundMs ?? 60_000;
  const prng = new Prng(options.seed);
  const netPrng = prng.fork(1);
  const scheduleprng = prng.fork(2);
  const clientPrng = prng.fork(3);
  const byzPrng = prng.fork(4);
  const trace: string[] = [];
  const heap = new EventHeap();
  let seq = 0;
  type Unsequenced<E> = E extends Event ? Omit<E, 'seq'> : never;
  const schedule = (e: Unsequenced<Event>) => heap.push({ ...e, seq: seq++ } as Event);

  const net = {
    drop: 0,
    duplicate: 0,
    reorder: 0,
    healed: false,
    partition: null as readonly number[] | null,
  };
  const restarts = new Map<number, number>();
  const parameters = {
    ...randomParameters(prng.fork(5), options.randomParameters ?? true),
    ...options.parameters,
  };
  const log = options.trace ? (line: string) => trace.push(line) : undefined;
  // Half the runs give every (re)started backup a longer first primary timeout, as the node does.
  const gracePrng = prng.fork(6);
  const startupGraceMs = gracePrng.chance(0.5) ? 0 : gracePrng.range(0, 2 * parameters.heartbeatTimeoutMs);

  const cluster: Cluster = new Cluster(
    {
      nodes: options.nodes,
      seed: options.seed,
      parameters,
      startupGraceMs,
      ...(options.unsafe ? { unsafe: options.unsafe } : {}),
      ...(options.realCrypto ? { realCrypto: true } : {}),
      ...(options.wire ? { wire: true } : {}),
      ...(options.checkRestoreEvery ? { checkRestoreEvery: options.checkRestoreEvery } : {}),
    },
    {
      send(envelope) {
        const now = cluster.timeMs;
        const partitioned =
          envelope.kind !== 'tx' &&
          net.partition !== null &&
          net.partition[envelope.from] !== net.partition[envelope.to];
        if (partitioned || netPrng.chance(net.drop)) {
          if (log && envelope.kind === 'consensus') {
            log(
              `${String(now).padStart(7)}ms drop ${envelope.from}->${envelope.to} ${describeMessage(envelope.message)}`,
            );
          }
          return;
        }
        let delay = netPrng.range(1, 10);
        if (netPrng.chance(net.reorder)) delay += netPrng.range(10, 150);
        schedule({ at: now + delay, kind: 'deliver', envelope });
        if (netPrng.chance(net.duplicate))
          schedule({ at: now + delay + netPrng.range(1, 200), kind: 'deliver', envelope });
      },
      timerSet(replica, name, atMs, generation) {
        schedule({ at: atMs, kind: 'timer', replica, name, generation });
      },
      ...(log ? { trace: log } : {}),
    },
  );

  // Byzantine replicas and their tricks.
  const f = cluster.validators.f;
  const byzantineCount = options.faults.has('byzantine') ? Math.min(options.byzantine, f) : 0;
  const byzantineIndices = byzPrng
    .shuffle(Array.from({ length: options.nodes }, (_, i) => i))
    .slice(0, byzantineCount);
  for (const index of byzantineIndices) {
    const traits = new Set<ByzantineTrait>();
    const n = byzPrng.range(1, 3);
    for (let k = 0; k < n; k++) traits.add(byzPrng.pick(BYZANTINE_TRAITS));
    if (options.keepByzantine === false) traits.clear();
    const behaviour = new ByzantineBehaviour(
      index,
      traits,
      byzPrng.fork(index),
      cluster.configs[index]!.chainId,
      cluster.validators,
      cluster.crypto.signer(index),
      cluster.configs[index]!.parameters.watermarkWindow,
    );
    behaviour.genesisHashPlaceholder = headerHashOf(cluster.genesis);
    cluster.byzantine.set(index, behaviour);
  }

  // Fault schedule.
  const faultSchedule = generateFaultSchedule(scheduleprng, options.nodes, options.faults, faultPhaseMs);
  faultSchedule.forEach((event, index) => {
    if (options.keepFault && !options.keepFault(index)) return;
    schedule({ at: event.atMs, kind: 'fault', index });
  });
  schedule({ at: faultPhaseMs, kind: 'heal' });

  // Clients: each transaction is sent to every replica, and re-sent until committed.
  const txs = new Map<number, Uint8Array>();
  for (let k = 0; k < txCount; k++) {
    const id = k + 1;
    txs.set(id, makeTx(id, clientPrng.int(200)));
    cluster.registerTx(id);
    schedule({ at: clientPrng.int(Math.max(1, faultPhaseMs - 200)), kind: 'submit', id });
  }

  // Primary-crash recovery accounting.
  let primaryCrashes = 0;
  let maxRecoveryMs = 0;
  let openCrash: number | null = null;
  cluster.onCommitHook = (replica, _block, timeMs) => {
    if (openCrash !== null && cluster.isCorrect(replica)) {
      maxRecoveryMs = Math.max(maxRecoveryMs, timeMs - openCrash);
      openCrash = null;
    }
  };

  const currentPrimary = (): number => {
    let best = -1;
    let view = -1;
    cluster.nodes.forEach((node, i) => {
      const r = node.replica;
      if (r && cluster.isCorrect(i) && r.status.phase === 'normal' && r.status.view > view) {
        view = r.status.view;
        best = r.status.primary;
      }
    });
    return best;
  };

  const uncommittedExists = () => {
    for (const id of txs.keys()) if (!cluster.checkers.isCommitted(id)) return true;
    return false;
  };

  const allCommittedEverywhere = (): boolean => {
    for (let i = 0; i < cluster.nodes.length; i++) {
      if (!cluster.isCorrect(i)) continue;
      const node = cluster.nodes[i]!;
      for (const id of txs.keys()) if (!node.hasCommitted(id)) return false;
    }
    return true;
  };

  const applyFault = (event: FaultEvent) => {
    switch (event.kind) {
      case 'drop':
        if (!net.healed) net.drop = event.rate!;
        break;
      case 'duplicate':
        net.duplicate = event.rate!;
        break;
      case 'reorder':
        net.reorder = event.rate!;
        break;
      case 'partition':
        if (!net.healed) {
          net.partition = event.groups!;
          log?.(`${String(cluster.timeMs).padStart(7)}ms partition ${event.groups!.join('')}`);
        }
        break;
      case 'heal':
        net.partition = null;
        log?.(`${String(cluster.timeMs).padStart(7)}ms partition healed`);
        break;
      case 'crash': {
        if (net.healed) break;
        const target = event.primary ? currentPrimary() : event.replica!;
        if (target < 0 || cluster.down.has(target)) break;
        if (target === currentPrimary() && uncommittedExists() && openCrash === null) {
          primaryCrashes++;
          openCrash = cluster.timeMs;
        }
        if (event.torn !== undefined) cluster.crashDuringNextStep(target, event.torn);
        else cluster.crash(target);
        restarts.set(event.replica!, target);
        break;
      }
      case 'restart': {
        const target = restarts.get(event.replica!) ?? event.replica!;
        cluster.restart(target);
        break;
      }
    }
  };

  cluster.startAll();
  let events = 0;
  const deadline = faultPhaseMs + livenessBoundMs;
  let livenessMs = -1;
  while (heap.size > 0) {
    const event = heap.pop()!;
    if (event.at > deadline) break;
    cluster.timeMs = event.at;
    events++;
    switch (event.kind) {
      case 'deliver':
        if (log && event.envelope.kind === 'consensus') {
          log(
            `${String(event.at).padStart(7)}ms ${event.envelope.from}->${event.envelope.to} ${describeMessage(event.envelope.message)}`,
          );
        }
        cluster.deliver(event.envelope);
        break;
      case 'timer':
        cluster.fireTimer(event.replica, event.name, event.generation);
        break;
      case 'fault':
        applyFault(faultSchedule[event.index]!);
        break;
      case 'submit': {
        if (!cluster.checkers.isCommitted(event.id) || !allCommittedEverywhereFor(event.id)) {
          for (let i = 0; i < cluster.nodes.length; i++) {
            cluster.sendEnvelope({ kind: 'tx', from: -1, to: i, tx: txs.get(event.id)! });
          }
          schedule({ at: event.at + 1_000, kind: 'submit', id: event.id });
        }
        break;
      }
      case 'heal':
        net.healed = true;
        net.drop = 0;
        net.partition = null;
        log?.(
          `${String(event.at).padStart(7)}ms HEAL: no more drops or partitions; crashed replicas restart`,
        );
        cluster.cancelPendingCrashes();
        for (const i of [...cluster.down]) cluster.restart(i);
        break;
    }
    if (net.healed && event.kind !== 'heal' && allCommittedEverywhere()) {
      livenessMs = cluster.timeMs - faultPhaseMs;
      break;
    }
  }

  function allCommittedEverywhereFor(id: number): boolean {
    for (let i = 0; i < cluster.nodes.length; i++) {
      if (cluster.isCorrect(i) && !cluster.nodes[i]!.hasCommitted(id)) return false;
    }
    return true;
  }

  if (livenessMs < 0 && cluster.checkers.violations.length === 0) {
    const missing: string[] = [];
    for (let i = 0; i < cluster.nodes.length; i++) {
      if (!cluster.isCorrect(i)) continue;
      const node = cluster.nodes[i]!;
      const lacking = [...txs.keys()].filter((id) => !node.hasCommitted(id));
      if (lacking.length > 0) {
        const s = node.replica?.status;
        missing.push(
          `replica ${i} lacks ${lacking.length} txs (committed ${node.committedHeight}, view ${s?.view}${s?.phase === 'viewChange' ? '*' : ''})`,
        );
      }
    }
    cluster.checkers.fail(
      'liveness',
      `not every transaction committed within ${livenessBoundMs}ms of the heal: ${missing.join('; ')}`,
      cluster.timeMs,
    );
  }

  return {
    seed: options.seed,
    violations: cluster.checkers.violations,
    committedBlocks: cluster.checkers.committedHeights,
    viewChanges: cluster.stats.viewChanges,
    maxView: cluster.stats.maxView,
    messages: cluster.stats.messages,
    primaryCrashes,
    maxRecoveryMs,
    verifications: cluster.crypto.verifications,
    txs: txCount,
    endTimeMs: cluster.timeMs,
    healTimeMs: faultPhaseMs,
    livenessMs,
    faultSchedule,
    byzantine: [...cluster.byzantine.values()].map((b) => b.describe()),
    events,
    trace,
  };
}
