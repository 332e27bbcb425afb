/**
 * A cluster of simulated nodes, each running the real PBFT core. The cluster
 * performs every output exactly as the driver contract in `pbft/types.ts`
 * says (WAL record first, then what follows it; executor answers fed back;
 * commits applied in order) and routes messages through a `Network` it is
 * given. Time is virtual. Both the random simulator and the scenario tests
 * drive a Cluster; only their networks and timer policies differ.
 */

import type { ConsensusParameters } from '../../chain/genesis.ts';
import type { BlockHeader } from '../../chain/header.ts';
import { ValidatorSet } from '../../chain/validator-set.ts';
import { toHex } from '../../codec/bytes.ts';
import { InvariantViolation } from '../../errors.ts';
import { type ConsensusMessage, encodeMessage, headerHashOf } from '../pbft/messages.ts';
import { type Replica, restoreReplica } from '../pbft/replica.ts';
import type {
  Block,
  CommitCertificate,
  Input,
  Output,
  ReplicaConfig,
  TimerName,
  UnsafeTestingFlags,
} from '../pbft/types.ts';
import { decideNewView } from '../pbft/view-change.ts';
import { compactWal } from '../pbft/wal.ts';
import type { ByzantineBehaviour } from './byzantine.ts';
import { Checkers } from './checkers.ts';
import { SimCrypto } from './crypto.ts';
import { SimNode, simGenesis, simTransactionsRoot } from './node.ts';
import { Prng } from './prng.ts';

export type Envelope =
  | {
      readonly kind: 'consensus';
      readonly from: number;
      readonly to: number;
      readonly message: ConsensusMessage;
    }
  | {
      readonly kind: 'syncRequest';
      readonly from: number;
      readonly to: number;
      readonly fromHeight: number;
      readonly toHeight: number;
    }
  | {
      readonly kind: 'syncResponse';
      readonly from: number;
      readonly to: number;
      readonly blocks: { block: Block; certificate: CommitCertificate }[];
    }
  | { readonly kind: 'tx'; readonly from: -1; readonly to: number; readonly tx: Uint8Array };

/** Where the cluster hands messages, timers and traces; the simulator and the scenario runner implement it. */
export interface ClusterHost {
  send(envelope: Envelope): void;
  timerSet(replica: number, name: TimerName, atMs: number, generation: number): void;
  trace?(line: string): void;
}

export interface ClusterOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly parameters: ConsensusParameters;
  readonly chainId?: string;
  readonly realCrypto?: boolean;
  readonly unsafe?: UnsafeTestingFlags;
  /** Encode and decode every message (exercises the codec; slower). */
  readonly wire?: boolean;
  readonly statusIntervalMs?: number;
  /** Passed to every replica (see `ReplicaConfig.startupGraceMs`). */
  readonly startupGraceMs?: number;
  /** Most blocks in one state-transfer answer. */
  readonly transferBatch?: number;
  /** Only the first this many nodes are validators at genesis (the rest are observers). Default: all. */
  readonly validatorCount?: number;
  /** Every this many steps, check that restoring the stepped replica from its WAL reproduces its state. */
  readonly checkRestoreEvery?: number;
}

export const SIM_CHAIN_ID = 'meridian-sim';

export interface ClusterStats {
  messages: Record<string, number>;
  viewChanges: number;
  maxView: number;
  stateTransfers: number;
}

export class Cluster {
  timeMs = 0;
  readonly crypto: SimCrypto;
  readonly validators: ValidatorSet;
  readonly genesis: BlockHeader;
  readonly nodes: SimNode[];
  readonly configs: ReplicaConfig[];
  readonly checkers: Checkers;
  readonly byzantine = new Map<number, ByzantineBehaviour>();
  readonly down = new Set<number>();
  readonly stats: ClusterStats = { messages: {}, viewChanges: 0, maxView: 0, stateTransfers: 0 };
  /** Timer generations: a fired timer whose generation is stale is ignored. */
  readonly timerGenerations: Map<TimerName, number>[];
  private generation = 0;
  private steps = 0;
  private readonly local: { replica: number; input: Input }[] = [];
  private readonly pendingCrash = new Map<number, number>();
  private readonly encoded = new WeakMap<ConsensusMessage, Uint8Array>();
  readonly prng: Prng;
  /** Heights each correct replica has committed (for liveness accounting). */
  lastCommitTimeMs = 0;
  onCommitHook: ((replica: number, block: Block, timeMs: number) => void) | undefined;

  constructor(
    readonly options: ClusterOptions,
    private readonly host: ClusterHost,
  ) {
    const chainId = options.chainId ?? SIM_CHAIN_ID;
    this.prng = new Prng(options.seed ^ 0x5bd1e995);
    this.crypto = new SimCrypto(options.nodes, options.seed, options.realCrypto);
    this.validators = new ValidatorSet(
      this.crypto.keys.slice(0, options.validatorCount ?? options.nodes).map((k) => k.publicKey),
    );
    this.genesis = simGenesis(chainId, this.validators);
    this.checkers = new Checkers(
      (i) => !this.byzantine.has(i),
      (h) => this.validatorsAt(h),
      (p, m, s) => this.verifyUncounted(p, m, s),
    );
    this.timerGenerations = [];
    this.nodes = [];
    this.configs = [];
    for (let i = 0; i < options.nodes; i++) {
      const config: ReplicaConfig = {
        chainId,
        genesis: this.genesis,
        validators: this.validators,
        publicKey: this.crypto.keys[i]!.publicKey,
        sign: this.crypto.signer(i),
        verify: this.crypto.verify,
        transactionsRoot: simTransactionsRoot,
        parameters: options.parameters,
        ...(options.statusIntervalMs === undefined ? {} : { statusIntervalMs: options.statusIntervalMs }),
        ...(options.startupGraceMs === undefined ? {} : { startupGraceMs: options.startupGraceMs }),
        ...(options.unsafe === undefined ? {} : { unsafeTesting: options.unsafe }),
      };
      this.configs.push(config);
      this.nodes.push(
        new SimNode(i, config.publicKey, chainId, this.genesis, (id) => this.checkers.submitted.has(id)),
      );
      this.timerGenerations.push(new Map());
    }
  }

  private verifyUncounted(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const before = this.crypto.verifications;
    const ok = this.crypto.verify(publicKey, message, signature);
    this.crypto.verifications = before;
    return ok;
  }

  /** Validator-set changes applied so far: the new set certifies heights above `boundary`. */
  readonly setChanges: {
    readonly committedAt: number;
    readonly boundary: number;
    readonly set: ValidatorSet;
  }[] = [];

  validatorsAt(height: number): ValidatorSet {
    let set = this.validators;
    for (const change of this.setChanges) if (height > change.boundary) set = change.set;
    return set;
  }

  /** Node index of a public key (nodes are numbered by key, whether validators or not). */
  indexOf(publicKey: Uint8Array): number {
    const hex = toHex(publicKey);
    return this.crypto.keys.findIndex((k) => toHex(k.publicKey) === hex);
  }

  /**
   * A committed governance change at `committedAt` makes `members` (node
   * indices) the validator set from the next checkpoint at or above
   * `committedAt + watermarkWindow`. Every running node is told, as a node
   * does when the change's block commits.
   */
  changeValidators(committedAt: number, members: readonly number[]): number {
    const { checkpointInterval: k, watermarkWindow: w } = this.options.parameters;
    const boundary = Math.ceil((committedAt + w) / k) * k;
    const set = new ValidatorSet(members.map((m) => this.crypto.keys[m]!.publicKey));
    this.setChanges.push({ committedAt, boundary, set });
    for (let i = 0; i < this.nodes.length; i++) {
      if (this.nodes[i]!.replica && !this.down.has(i)) {
        this.input(i, { type: 'validatorSetChanged', committedAtHeight: committedAt, validators: set });
      }
    }
    this.drain();
    return boundary;
  }

  isCorrect(i: number): boolean {
    return !this.byzantine.has(i);
  }

  private trace(line: string): void {
    this.host.trace?.(`${String(this.timeMs).padStart(7)}ms ${line}`);
  }

  /** Boots every replica from genesis. */
  startAll(): void {
    for (let i = 0; i < this.nodes.length; i++) this.boot(i);
    this.drain();
  }

  private boot(i: number): void {
    const node = this.nodes[i]!;
    const keep = 2 * this.options.parameters.checkpointInterval + 1;
    const head = node.committedHeight;
    node.replica = restoreReplica(this.restoreConfig(i), node.wal, node.recentHeaders(keep));
    this.timerGenerations[i]!.clear();
    this.input(i, { type: 'start' });
    for (const change of this.setChanges) {
      if (change.boundary > head) {
        this.input(i, {
          type: 'validatorSetChanged',
          committedAtHeight: change.committedAt,
          validators: change.set,
        });
      }
    }
  }

  /** What a node knows at restart: the set at its head and the one before it (pending changes are re-fed). */
  private restoreConfig(i: number): ReplicaConfig {
    const head = this.nodes[i]!.committedHeight;
    const applied = this.setChanges.filter((c) => c.boundary <= head);
    const last = applied[applied.length - 1];
    return {
      ...this.configs[i]!,
      validators: this.validatorsAt(head + 1),
      ...(last
        ? { previousValidators: { set: this.validatorsAt(last.boundary), throughHeight: last.boundary } }
        : {}),
    };
  }

  /** Queues an input for replica i (processed by `drain`). */
  input(replica: number, input: Input): void {
    this.local.push({ replica, input });
  }

  /** Runs queued inputs (and whatever they cause locally) to quiescence at the current time. */
  drain(): void {
    let guard = 0;
    while (this.local.length > 0) {
      if (++guard > 1_000_000) throw new Error('local work does not quiesce');
      const { replica, input } = this.local.shift()!;
      this.step(replica, input);
    }
  }

  private step(i: number, input: Input): void {
    const node = this.nodes[i]!;
    const replica = node.replica;
    if (!replica || this.down.has(i)) return;
    let outputs: Output[];
    try {
      outputs = replica.step(input);
    } catch (error) {
      // A broken invariant, or any other exception escaping the core on valid driver input, is a bug.
      const what = error instanceof InvariantViolation ? error.message : `${(error as Error).stack ?? error}`;
      this.checkers.fail('invariant', `replica ${i} on ${input.type}: ${what}`, this.timeMs);
      this.crash(i);
      return;
    }
    const crashAt = this.pendingCrash.get(i);
    let cut = outputs.length;
    if (crashAt !== undefined) {
      cut = crashAt % (outputs.length + 1);
      this.pendingCrash.delete(i);
    }
    this.perform(i, replica, outputs.slice(0, cut));
    if (crashAt !== undefined) {
      this.trace(`replica ${i} crashes after ${cut}/${outputs.length} outputs of ${input.type}`);
      this.crash(i);
      return;
    }
    if (this.options.checkRestoreEvery && ++this.steps % this.options.checkRestoreEvery === 0)
      this.checkRestore(i);
    for (const violation of node.contractViolations.splice(0)) {
      this.checkers.fail('contract', `replica ${i}: ${violation}`, this.timeMs);
    }
    const pending = node.pending();
    if (pending.count !== node.lastPendingReport.count || pending.bytes !== node.lastPendingReport.bytes) {
      node.lastPendingReport = pending;
      this.local.push({ replica: i, input: { type: 'requestsPending', ...pending } });
    }
  }

  private perform(i: number, replica: Replica, outputs: readonly Output[]): void {
    const node = this.nodes[i]!;
    for (const out of outputs) {
      switch (out.type) {
        case 'persist':
          node.wal.push(out.record);
          node.notePersisted(out.record);
          if (out.record.type === 'checkpoint') node.wal = compactWal(node.wal);
          break;
        case 'send':
          this.checkDurable(i, out.message);
          this.emitMessage(i, this.indexOf(out.to), out.message, replica);
          break;
        case 'broadcast':
          this.checkDurable(i, out.message);
          for (let j = 0; j < this.nodes.length; j++)
            if (j !== i) this.emitMessage(i, j, out.message, replica);
          break;
        case 'propose': {
          const block = node.propose(out, this.timeMs, this.validatorsAt(out.height));
          this.local.push({ replica: i, input: { type: 'proposal', height: out.height, block } });
          break;
        }
        case 'validate': {
          const result = node.validate(out.block);
          this.local.push({
            replica: i,
            input: { type: 'validated', headerHash: hashOf(out.block), ok: result.ok },
          });
          break;
        }
        case 'commit':
          node.commit(out.block, out.certificate);
          this.checkers.onCommit(i, out.block, out.certificate, this.timeMs);
          this.lastCommitTimeMs = this.timeMs;
          this.onCommitHook?.(i, out.block, this.timeMs);
          this.trace(
            `replica ${i} commits height ${out.block.header.height} (${out.block.txs.length} txs, view ${out.certificate.view})`,
          );
          break;
        case 'setTimer': {
          const generation = ++this.generation;
          this.timerGenerations[i]!.set(out.name, generation);
          this.host.timerSet(i, out.name, this.timeMs + out.ms, generation);
          break;
        }
        case 'cancelTimer':
          this.timerGenerations[i]!.delete(out.name);
          break;
        case 'requestStateTransfer': {
          this.stats.stateTransfers++;
          const peers = out.peers.map((p) => this.indexOf(p)).filter((p) => p >= 0 && p !== i);
          const candidates = peers.length > 0 ? peers : this.nodes.map((_, j) => j).filter((j) => j !== i);
          const to = this.prng.pick(candidates);
          this.host.send({
            kind: 'syncRequest',
            from: i,
            to,
            fromHeight: out.fromHeight,
            toHeight: out.toHeight,
          });
          break;
        }
        case 'viewChanged':
          node.resetTip();
          if (this.isCorrect(i)) {
            this.stats.viewChanges++;
            this.stats.maxView = Math.max(this.stats.maxView, out.view);
          }
          this.trace(`replica ${i} installs view ${out.view} (primary ${this.indexOf(out.primary)})`);
          break;
        case 'misbehaviour':
          this.checkers.onAccusation(i, this.indexOf(out.validator), out.kind, this.timeMs);
          this.trace(`replica ${i} reports ${out.kind} by replica ${this.indexOf(out.validator)}`);
          break;
      }
    }
  }

  /**
   * Restart safety: a replica rebuilt from its WAL and committed headers must
   * agree with the live one on everything its future votes depend on.
   */
  private checkRestore(i: number): void {
    const node = this.nodes[i]!;
    const live = node.replica;
    if (!live) return;
    const keep = 2 * this.options.parameters.checkpointInterval + 1;
    const restored = restoreReplica(this.restoreConfig(i), node.wal, node.recentHeaders(keep)).status;
    const s = live.status;
    const same =
      restored.view === s.view &&
      restored.phase === s.phase &&
      restored.primary === s.primary &&
      restored.committedHeight === s.committedHeight &&
      restored.stableCheckpoint === s.stableCheckpoint &&
      (s.phase === 'viewChange' || restored.reproposalEnd === s.reproposalEnd) &&
      restored.lowWatermark === s.lowWatermark &&
      // Prepared heights at or below a known stable checkpoint are covered by it (the WAL may drop them).
      (s.phase === 'viewChange' ||
        s.preparedHeights.filter((h) => h > s.stableCheckpoint).join() ===
          restored.preparedHeights.filter((h) => h > s.stableCheckpoint).join());
    if (!same) {
      this.checkers.fail(
        'contract',
        `replica ${i} restored from its WAL differs: live ${JSON.stringify({ ...s, committedHash: undefined })} restored ${JSON.stringify({ ...restored, committedHash: undefined })}`,
        this.timeMs,
      );
    }
  }

  /** Driver contract: a replica's own vote leaves only after the WAL record that makes it durable. */
  private checkDurable(i: number, message: ConsensusMessage): void {
    if (message.signer !== i) return;
    const b = message.body;
    if (b.type === 'prepare' || b.type === 'commit') {
      this.checkers.onVote(i, b.type, b.view, b.height, toHex(b.headerHash), this.timeMs);
    } else if (b.type === 'prePrepare') {
      this.checkers.onVote(i, 'prepare', b.view, b.height, toHex(headerHashOf(b.block.header)), this.timeMs);
    } else if (b.type === 'newView') {
      const vcs = b.viewChanges.map((vc) => vc.body);
      const decision = decideNewView(
        vcs,
        this.options.parameters.watermarkWindow,
        this.options.unsafe?.skipReproposal,
      );
      decision.reproposals.forEach((cert) => {
        this.checkers.onVote(
          i,
          'prepare',
          b.view,
          cert.header.height,
          toHex(headerHashOf(cert.header)),
          this.timeMs,
        );
      });
    }
    let key: string | undefined;
    if (b.type === 'prepare') key = `p:${b.view}:${b.height}:${toHex(b.headerHash)}`;
    if (b.type === 'prePrepare') key = `p:${b.view}:${b.height}:${toHex(headerHashOf(b.block.header))}`;
    if (b.type === 'commit') key = `c:${b.view}:${b.height}:${toHex(b.headerHash)}`;
    if (key !== undefined && !this.nodes[i]!.durableVotes.has(key)) {
      this.checkers.fail(
        'contract',
        `replica ${i} sent ${describeMessage(message)} before persisting it`,
        this.timeMs,
      );
    }
  }

  private emitMessage(from: number, to: number, message: ConsensusMessage, replica: Replica): void {
    const byzantine = this.byzantine.get(from);
    const pairs: [number, ConsensusMessage][] = byzantine
      ? byzantine.rewrite(to, message, replica.status.view)
      : [[to, message]];
    for (const [target, m] of pairs) {
      if (target === from) continue;
      this.stats.messages[m.body.type] = (this.stats.messages[m.body.type] ?? 0) + 1;
      this.host.send({ kind: 'consensus', from, to: target, message: m });
    }
  }

  /** Delivers an envelope that the network decided to deliver now. */
  deliver(envelope: Envelope): void {
    const to = envelope.to;
    if (this.down.has(to)) return;
    const node = this.nodes[to]!;
    switch (envelope.kind) {
      case 'consensus': {
        this.byzantine.get(to)?.observe(envelope.message);
        if (this.options.wire) {
          let bytes = this.encoded.get(envelope.message);
          if (!bytes) {
            bytes = encodeMessage(envelope.message);
            this.encoded.set(envelope.message, bytes);
          }
          this.input(to, { type: 'message', bytes });
        } else {
          this.input(to, { type: 'message', message: envelope.message });
        }
        break;
      }
      case 'syncRequest': {
        const blocks = node.blocksForTransfer(
          envelope.fromHeight,
          envelope.toHeight,
          this.options.transferBatch ?? 64,
        );
        const byzantine = this.byzantine.get(to);
        if (blocks.length > 0 && !byzantine?.silent) {
          const answer = byzantine ? byzantine.rewriteTransfer(blocks) : blocks;
          this.host.send({ kind: 'syncResponse', from: to, to: envelope.from, blocks: answer });
        }
        break;
      }
      case 'syncResponse':
        this.input(to, { type: 'stateTransferred', blocks: envelope.blocks });
        break;
      case 'tx':
        node.receiveTx(envelope.tx);
        this.refreshPending(to);
        break;
    }
    this.drain();
  }

  private refreshPending(i: number): void {
    const node = this.nodes[i]!;
    if (!node.replica) return;
    const pending = node.pending();
    if (pending.count !== node.lastPendingReport.count || pending.bytes !== node.lastPendingReport.bytes) {
      node.lastPendingReport = pending;
      this.input(i, { type: 'requestsPending', ...pending });
    }
  }

  /** Fires a timer if it is still armed with that generation. */
  fireTimer(replica: number, name: TimerName, generation?: number): boolean {
    const current = this.timerGenerations[replica]!.get(name);
    if (current === undefined || (generation !== undefined && current !== generation)) return false;
    if (this.down.has(replica)) return false;
    this.timerGenerations[replica]!.delete(name);
    this.input(replica, { type: 'timer', name });
    this.drain();
    return true;
  }

  /** Forgets scheduled torn crashes (at the heal nothing crashes any more). */
  cancelPendingCrashes(): void {
    this.pendingCrash.clear();
  }

  /** The next step of replica i performs only part of its outputs (chosen by `cutSeed`), then it crashes. */
  crashDuringNextStep(replica: number, cutSeed: number): void {
    this.pendingCrash.set(replica, cutSeed);
  }

  crash(replica: number): void {
    if (this.down.has(replica)) return;
    this.down.add(replica);
    const node = this.nodes[replica]!;
    node.replica = null;
    node.loseVolatileState();
    this.timerGenerations[replica]!.clear();
    this.pendingCrash.delete(replica);
    for (let k = this.local.length - 1; k >= 0; k--)
      if (this.local[k]!.replica === replica) this.local.splice(k, 1);
    this.trace(
      `replica ${replica} crashes (WAL ${node.wal.length} records, committed ${node.committedHeight})`,
    );
  }

  restart(replica: number): void {
    if (!this.down.has(replica)) return;
    this.down.delete(replica);
    this.trace(`replica ${replica} restarts from its WAL`);
    this.boot(replica);
    this.drain();
  }

  /** Hands an envelope to the network (clients use this to submit transactions). */
  sendEnvelope(envelope: Envelope): void {
    this.host.send(envelope);
  }

  /** Registers a client transaction (so validity can be checked) without delivering it. */
  registerTx(id: number): void {
    this.checkers.submitted.add(id);
  }
}

function hashOf(block: Block): Uint8Array {
  return headerHashOf(block.header);
}

export function describeMessage(m: ConsensusMessage): string {
  const b = m.body;
  switch (b.type) {
    case 'prePrepare':
      return `PRE-PREPARE v=${b.view} n=${b.height} #${toHex(headerHashOf(b.block.header)).slice(2, 8)} txs=${b.block.txs.length}`;
    case 'prepare':
      return `PREPARE v=${b.view} n=${b.height} #${toHex(b.headerHash).slice(2, 8)}`;
    case 'commit':
      return `COMMIT v=${b.view} n=${b.height} #${toHex(b.headerHash).slice(2, 8)}`;
    case 'checkpoint':
      return `CHECKPOINT n=${b.height} #${toHex(b.headerHash).slice(2, 8)}`;
    case 'viewChange':
      return `VIEW-CHANGE v=${b.newView} cp=${b.checkpoint.height} prepared=[${b.prepared.map((c) => c.header.height).join(',')}]`;
    case 'newView':
      return `NEW-VIEW v=${b.view} vcs=${b.viewChanges.length} reproposals=${b.votes.length}`;
    case 'heartbeat':
      return `HEARTBEAT v=${b.view} n=${b.height}`;
    case 'status':
      return `STATUS v=${b.view}${b.changingView ? '*' : ''} committed=${b.committedHeight} stable=${b.stableHeight}`;
    case 'fetchBlock':
      return `FETCH-BLOCK n=${b.height}`;
    case 'block':
      return `BLOCK n=${b.block.header.height}`;
  }
}
