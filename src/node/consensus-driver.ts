/**
 * Drives the pure PBFT core with real I/O: it feeds inputs to `Replica.step`
 * one at a time and performs the outputs in order, honouring the driver rules
 * of `consensus/pbft/types.ts`:
 *
 * 1. persist-before-act: consecutive `persist` outputs are written to the WAL
 *    in one durable batch before any later output of the same step runs;
 * 2. a commit is applied before the next input is processed: the block, its
 *    certificate and receipts are durable, the head state is in memory (its
 *    trie nodes follow in the background, `ChainState`);
 * 3. every `propose`/`validate` is answered with exactly one input;
 * 5. named timers are real timers. A firing reaches the core only if the core has
 *    not set or cancelled that timer again since: when a step ran long (a big
 *    block, a starved CPU), the primary's messages that arrived meanwhile are read
 *    and queued first, and if they restarted the timer the old firing is dropped
 *    rather than taken for the primary's silence.
 *
 * Inputs are queued and processed strictly one at a time, so the core never
 * sees interleaved steps even though persisting and committing are async.
 */

import { hashHeader } from '../chain/header.ts';
import type { BatchLimits, Mempool } from '../chain/mempool.ts';
import type { ValidatorSet } from '../chain/validator-set.ts';
import { toHex } from '../codec/bytes.ts';
import { encodeMessage } from '../consensus/pbft/messages.ts';
import type { Replica } from '../consensus/pbft/replica.ts';
import type { Block, Input, Output, TimerName } from '../consensus/pbft/types.ts';
import type { WalRecord } from '../consensus/pbft/wal.ts';
import { MeridianError } from '../errors.ts';
import { readNonce } from '../exec/execute.ts';
import type { Transport } from '../net/transport.ts';
import type { BlockSync } from './block-sync.ts';
import type { ChainState, CommittedBlock } from './chain-state.ts';
import type { Logger } from './logger.ts';
import type { NodeMetrics } from './metrics.ts';
import type { WalStore } from './wal-store.ts';
import { encodeNodeMessage } from './wire.ts';

/** A step whose outputs take longer than this to perform is logged: it delays every later input. */
const SLOW_STEP_MS = 250;
/** How often committed blocks trigger a sweep of transactions stuck behind a nonce gap. */
const GAP_SWEEP_MS = 10_000;

export interface ConsensusDriverDeps {
  readonly replica: Replica;
  readonly wal: WalStore;
  readonly chain: ChainState;
  readonly mempool: Mempool;
  readonly transport: Transport;
  /** The validator set that certifies `height`. */
  readonly validatorsAt: (height: number) => ValidatorSet;
  readonly publicKey: Uint8Array;
  readonly sync: BlockSync;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  /**
   * Called after each block is durably committed, in height order, before the
   * next input: what it feeds back (e.g. a validator-set change) reaches the
   * core before anything that happened later.
   */
  readonly onCommitted: (committed: CommittedBlock) => void | Promise<void>;
  readonly onViewChanged: (view: number, primary: Uint8Array) => void;
  /** A per-block budget the proposer fills batches within (contract gas), beyond count and bytes. */
  readonly blockBudget?: BatchLimits['budget'];
}

export class ConsensusDriver {
  readonly #queue: Input[] = [];
  #running = false;
  #stopped = false;
  readonly #timers = new Map<TimerName, ReturnType<typeof setTimeout>>();
  /** Per timer, bumped by each `setTimer` and `cancelTimer` the core emits. */
  readonly #timerGenerations = new Map<TimerName, number>();
  /** The generation a queued timer input fired in; stale (dropped) once the generation moved on. */
  readonly #firedIn = new WeakMap<Input, number>();
  #pendingReportScheduled = false;
  #lastGapSweepMs = 0;
  /**
   * The block the core most recently named (in `propose`, `validate`, `commit`):
   * pending work is what could go in a batch on top of it. Undefined = the
   * committed head, which is where counting restarts after a view change.
   */
  #pendingBase: string | undefined;
  #idle: Promise<void> = Promise.resolve();
  #resolveIdle: (() => void) | undefined;

  constructor(private readonly deps: ConsensusDriverDeps) {}

  start(): void {
    this.input({ type: 'start' });
    this.reportPending();
  }

  /**
   * Queues an input; inputs are processed in arrival order, one at a time.
   * `first` puts it ahead of everything queued (for facts about a commit that
   * the core must learn before anything that arrived later).
   */
  input(input: Input, options: { first?: boolean } = {}): void {
    if (this.#stopped) return;
    if (options.first) this.#queue.unshift(input);
    else this.#queue.push(input);
    if (!this.#running) {
      this.#running = true;
      this.#idle = new Promise((resolve) => {
        this.#resolveIdle = resolve;
      });
      void this.#pump();
    }
  }

  /** Resolves once the queue is empty (tests and shutdown use it). */
  whenIdle(): Promise<void> {
    return this.#running ? this.#idle : Promise.resolve();
  }

  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /**
   * Tells the core how many transactions could go in a new batch: ready pooled
   * ones (no nonce gap before them) not carried by the chain of the block it most
   * recently named (driver rule 6). Coalesced to once per tick; always re-sent,
   * even when the numbers did not change, because the core's notion of "on top
   * of what" may have.
   */
  reportPending(): void {
    if (this.#pendingReportScheduled || this.#stopped) return;
    this.#pendingReportScheduled = true;
    setImmediate(() => {
      this.#pendingReportScheduled = false;
      const { mempool, chain } = this.deps;
      const inFlight = this.#pendingBase === undefined ? [] : chain.inFlightTxHashLists(this.#pendingBase);
      // In-flight transactions are ready ones (a block carries them), so they come off the ready totals.
      let count = mempool.readyCount;
      let bytes = mempool.readyBytes;
      for (const hashes of inFlight) {
        for (const hash of hashes) {
          const pooled = mempool.get(hash);
          if (pooled) {
            count--;
            bytes -= pooled.encoded.length;
          }
        }
      }
      this.input({ type: 'requestsPending', count: Math.max(0, count), bytes: Math.max(0, bytes) });
    });
  }

  /** At most every GAP_SWEEP_MS: drops transactions stuck behind a nonce gap too long (`Mempool.expireGapped`). */
  #expireGapped(): void {
    const now = Date.now();
    if (now - this.#lastGapSweepMs < GAP_SWEEP_MS) return;
    this.#lastGapSweepMs = now;
    const dropped = this.deps.mempool.expireGapped();
    if (dropped > 0)
      this.deps.logger.info({ dropped }, 'dropped transactions that waited too long behind a nonce gap');
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        const input = this.#queue.shift()!;
        if (input.type === 'timer' && this.#firedIn.get(input) !== this.#timerGenerations.get(input.name)) {
          continue;
        }
        let outputs: Output[];
        const phaseBefore = this.deps.replica.currentPhase;
        try {
          outputs = this.deps.replica.step(input);
          if (phaseBefore === 'normal' && this.deps.replica.currentPhase === 'viewChange') {
            // Why the view changes is what an operator asks first (a silent primary? a slow one?).
            this.deps.logger.warn(
              { view: this.deps.replica.status.view, cause: viewChangeCause(input, outputs) },
              'view change started',
            );
          }
        } catch (error) {
          if (error instanceof MeridianError) {
            this.deps.logger.warn(
              { code: error.code, err: error.message, input: input.type },
              'consensus refused an input',
            );
            continue;
          }
          throw error;
        }
        const startedMs = performance.now();
        await this.#perform(outputs);
        const tookMs = performance.now() - startedMs;
        if (tookMs > SLOW_STEP_MS) {
          this.deps.logger.warn(
            { input: input.type, outputs: outputs.map((o) => o.type).join(','), tookMs: Math.round(tookMs) },
            'slow consensus step',
          );
        }
      }
    } catch (error) {
      // A broken invariant in consensus or execution: stop rather than risk equivocating.
      this.deps.logger.fatal({ err: error }, 'consensus driver failed; stopping the node');
      this.stop();
      process.exitCode = 70;
      setImmediate(() => process.exit(70));
    } finally {
      this.#running = false;
      this.#resolveIdle?.();
    }
  }

  /** Clears timer `name` if it runs and starts its next generation (a firing of an earlier one is stale). */
  #nextTimerGeneration(name: TimerName): number {
    const existing = this.#timers.get(name);
    if (existing) clearTimeout(existing);
    this.#timers.delete(name);
    const generation = (this.#timerGenerations.get(name) ?? 0) + 1;
    this.#timerGenerations.set(name, generation);
    return generation;
  }

  async #perform(outputs: readonly Output[]): Promise<void> {
    let persist: WalRecord[] = [];
    for (const output of outputs) {
      if (output.type === 'persist') {
        persist.push(output.record);
        continue;
      }
      if (persist.length > 0) {
        await this.deps.wal.append(persist);
        persist = [];
      }
      await this.#performOne(output);
    }
    if (persist.length > 0) await this.deps.wal.append(persist);
  }

  async #performOne(output: Exclude<Output, { type: 'persist' }>): Promise<void> {
    const { transport, chain, metrics, logger } = this.deps;
    switch (output.type) {
      case 'send':
        transport.send(
          output.to,
          encodeNodeMessage({ type: 'consensus', message: encodeMessage(output.message) }),
        );
        metrics.consensusMessagesSent.inc({ type: output.message.body.type });
        return;
      case 'broadcast':
        transport.broadcast(encodeNodeMessage({ type: 'consensus', message: encodeMessage(output.message) }));
        metrics.consensusMessagesSent.inc(
          { type: output.message.body.type },
          this.deps.validatorsAt(this.deps.chain.head.height + 1).size - 1,
        );
        return;
      case 'propose': {
        let block: Block | null = null;
        try {
          block = await this.#propose(output);
        } catch (error) {
          // A batch that cannot be built is not a reason to stop: propose nothing, let the core carry on.
          if (!(error instanceof MeridianError)) throw error;
          logger.error(
            { height: output.height, code: error.code, err: error.message },
            'could not build a proposal',
          );
        }
        logger.debug({ height: output.height, view: output.view, txs: block?.txs.length ?? 0 }, 'proposed');
        this.#pendingBase = block ? toHex(hashHeader(block.header)) : toHex(output.parentHash);
        this.input({ type: 'proposal', height: output.height, block });
        this.reportPending();
        return;
      }
      case 'validate': {
        const headerHash = hashHeader(output.block.header);
        this.#pendingBase = toHex(headerHash);
        this.reportPending();
        try {
          await chain.validate(output.block);
          this.input({ type: 'validated', headerHash, ok: true });
        } catch (error) {
          if (!(error instanceof MeridianError)) throw error;
          const height = output.block.header.height;
          logger.warn({ height, code: error.code, reason: error.message }, 'refused a proposed block');
          this.input({ type: 'validated', headerHash, ok: false, reason: error.message });
        }
        return;
      }
      case 'commit': {
        const committed = await chain.commit(output.block, output.certificate);
        logger.debug(
          { height: output.block.header.height, txs: output.block.txs.length, view: output.certificate.view },
          'committed',
        );
        this.deps.mempool.removeCommitted(
          committed.executed.txHashes,
          committed.executed.txs.map((tx) => tx.body.sender),
        );
        this.#expireGapped();
        this.#pendingBase = toHex(committed.hash);
        await this.deps.onCommitted(committed);
        await this.deps.wal.maybeCompact();
        this.reportPending();
        return;
      }
      case 'setTimer': {
        const { name } = output;
        const generation = this.#nextTimerGeneration(name);
        this.#timers.set(
          name,
          setTimeout(() => {
            this.#timers.delete(name);
            // Queued from the check phase: I/O that is already waiting (messages that arrived
            // while a long step held the loop) is read and queued first.
            setImmediate(() => {
              const fired: Input = { type: 'timer', name };
              this.#firedIn.set(fired, generation);
              this.input(fired);
            });
          }, output.ms),
        );
        return;
      }
      case 'cancelTimer':
        this.#nextTimerGeneration(output.name);
        return;
      case 'requestStateTransfer':
        this.deps.sync.fetch(output.fromHeight, output.toHeight, output.peers, (blocks) =>
          this.input({ type: 'stateTransferred', blocks }),
        );
        return;
      case 'viewChanged':
        this.#pendingBase = undefined;
        this.reportPending();
        metrics.viewChanges.inc();
        metrics.view.set(output.view);
        logger.info({ view: output.view, primary: toHex(output.primary) }, 'new view installed');
        this.deps.onViewChanged(output.view, output.primary);
        return;
      case 'misbehaviour':
        metrics.misbehaviour.inc({ kind: output.kind });
        logger.warn({ validator: toHex(output.validator), kind: output.kind }, 'peer misbehaved');
        return;
    }
  }

  /** Builds the block the core asked for from the mempool, on the named parent's speculative state. */
  async #propose(request: Extract<Output, { type: 'propose' }>): Promise<Block | null> {
    const { chain, mempool, publicKey } = this.deps;
    const parentHex = toHex(request.parentHash);
    const parentState = chain.stateOf(parentHex);
    if (!parentState) return null;
    const exclude = chain.inFlightTxHashes(parentHex);
    const picked = mempool.selectBatch({
      maxCount: request.maxCount,
      maxBytes: request.maxBytes,
      exclude,
      nextNonce: (_hex, sender) => readNonce(parentState, sender),
      ...(this.deps.blockBudget ? { budget: this.deps.blockBudget } : {}),
    });
    if (picked.length === 0) return null;
    const { block } = await chain.build(
      parentHex,
      {
        chainId: chain.head.chainId,
        height: request.height,
        proposer: publicKey,
        view: request.view,
        validatorSetHash: this.deps.validatorsAt(request.height).hash,
      },
      picked.map((p) => p.encoded),
    );
    return block;
  }
}

/** Why the step that fed `input` and returned `outputs` started a view change, for operators. */
function viewChangeCause(input: Input, outputs: readonly Output[]): string {
  if (input.type === 'timer') return `${input.name} timer`;
  const misbehaviour = outputs.find((o) => o.type === 'misbehaviour');
  if (misbehaviour) return `misbehaviour: ${misbehaviour.kind}`;
  // Without a timer or a fault seen here, a message moves a replica only when f+1 others moved.
  return input.type === 'message' ? 'peers moved to a higher view' : input.type;
}
