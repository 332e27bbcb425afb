/**
 * One PBFT replica as a pure state machine: `step(input) -> Output[]`.
 *
 * The driver contract (inputs, outputs, persistence and restart rules) is in
 * `types.ts`; the protocol and its safety argument are in docs/protocol.md.
 * In short, per height n = sequence number:
 *
 *   primary ──PRE-PREPARE(v,n,block)──▶ backups validate (executor re-runs the
 *   block on n-1's speculative state) ──PREPARE──▶ all; prepared = 2f+1 prepare
 *   votes (the PRE-PREPARE counts as the primary's) ──COMMIT──▶ all; committed
 *   = 2f+1 COMMITs; delivered strictly in height order with a commit certificate.
 *
 * Chained heights: a backup validates n only on top of the block it accepted at
 * n-1 in the same view, and sends COMMIT for n only after sending COMMIT for n-1
 * in the same view (or n-1 is the view's base / its committed head). Together
 * with the NEW-VIEW rule in `view-change.ts` this keeps every committed height,
 * and every ancestor of one, across view changes.
 *
 * This class takes the inputs and wires the parts, each owning its state:
 * `NormalCase` (the view, phase and normal case, `normal-case.ts`),
 * `ViewChanger` (VIEW-CHANGE / NEW-VIEW, `view-changer.ts`), `Checkpoints`
 * (stable checkpoints and watermarks), `Ledger` (the committed head),
 * `Membership` (validator sets, signing), `CatchUp` (status, state transfer)
 * and `Outbox` (the outputs of a step, armed timers). It keeps what spans them:
 * committing a block (reputation, checkpoint votes, validator-set changes),
 * adopting stable checkpoints with their garbage collection, the status tick,
 * and messages that arrive before their view's NEW-VIEW.
 */

import type { BlockHeader } from '../../chain/header.ts';
import { equalBytes, toHex } from '../../codec/bytes.ts';
import { assert, DecodeError, ValidationError } from '../../errors.ts';
import { CatchUp } from './catch-up.ts';
import { verifyCommitCertificate } from './certificate.ts';
import { Checkpoints } from './checkpoints.ts';
import { FutureMessages } from './future-messages.ts';
import { Ledger } from './ledger.ts';
import { Membership, type SetChange } from './membership.ts';
import { type BodyOf, type ConsensusMessage, decodeMessage, headerHashOf } from './messages.ts';
import { NormalCase, type Phase } from './normal-case.ts';
import { Outbox } from './outbox.ts';
import type { Reputation } from './reputation.ts';
import { latestViews, reputationAfterCommit, restoreReputation } from './restore.ts';
import type {
  Block,
  CheckpointProof,
  CommitCertificate,
  Input,
  Output,
  ReplicaConfig,
  TimerName,
} from './types.ts';
import { blockShapeOk, validateConfig } from './validation.ts';
import { ViewChanger } from './view-changer.ts';
import type { WalRecord } from './wal.ts';

export { SUSPECT_AFTER_TICKS } from './catch-up.ts';
export type { Phase } from './normal-case.ts';

/** Read-only view of a replica for tests, the simulator and metrics. */
export interface ReplicaStatus {
  readonly view: number;
  readonly phase: Phase;
  readonly primary: number;
  readonly committedHeight: number;
  readonly committedHash: Uint8Array;
  readonly lowWatermark: number;
  readonly highWatermark: number;
  readonly stableCheckpoint: number;
  readonly reproposalEnd: number;
  readonly preparedHeights: readonly number[];
  readonly viewChangeBackoff: number;
}

/** Most normal-case messages buffered for a view this replica has not installed yet. */
export const MAX_FUTURE_MESSAGES = 1024;

export class Replica {
  private readonly config: ReplicaConfig;
  private readonly K: number;
  private readonly out = new Outbox();
  private readonly members: Membership;
  /** Who leads which view: a function of the committed headers (`reputation.ts`). */
  private reputation: Reputation;
  private readonly ledger: Ledger;
  private readonly checkpoints: Checkpoints;
  private readonly catchUp: CatchUp;
  private readonly normal: NormalCase;
  private readonly viewChanger: ViewChanger;

  /** Normal-case messages for a view not installed yet; replayed when it is installed. */
  private readonly futureMessages = new FutureMessages(MAX_FUTURE_MESSAGES);
  private started = false;

  constructor(
    config: ReplicaConfig,
    wal: readonly WalRecord[] = [],
    committedHeaders?: readonly BlockHeader[],
  ) {
    validateConfig(config);
    this.config = config;
    this.K = config.parameters.checkpointInterval;
    const genesisHash = headerHashOf(config.genesis);
    this.members = new Membership(config);
    this.ledger = new Ledger(genesisHash);
    this.checkpoints = new Checkpoints(this.K, config.parameters.watermarkWindow, {
      height: 0,
      headerHash: genesisHash,
      stateRoot: config.genesis.stateRoot,
      votes: [],
    });
    this.catchUp = new CatchUp(this.out, this.members, config);
    this.normal = new NormalCase(
      config,
      this.members,
      this.out,
      this.ledger,
      this.checkpoints,
      this.catchUp,
      {
        commit: (block, certificate) => this.commitBlock(block, certificate),
        startViewChange: (target) => this.viewChanger.start(target),
      },
    );
    this.viewChanger = new ViewChanger(
      config,
      this.members,
      this.out,
      this.checkpoints,
      this.catchUp,
      this.normal,
      genesisHash,
      {
        primaryOf: (view) => this.primaryIndex(view),
        adoptStableProof: (proof, holders) => this.adoptStableProof(proof, holders),
        replayBuffered: (view) => this.replayBuffered(view),
      },
    );
    const headers = committedHeaders ?? [config.genesis];
    this.ledger.restore(headers);
    const byHeight = new Map(headers.map((h) => [h.height, h]));
    this.reputation = restoreReputation(wal, byHeight, this.ledger.height, config.validators.size, this.K);
    this.restore(wal, byHeight);
  }

  // -------------------------------------------------------------------------
  // Public surface
  // -------------------------------------------------------------------------

  /** Feeds one input; returns the outputs to perform, in order (see `types.ts` for the rules). */
  step(input: Input): Output[] {
    this.out.take();
    if (input.type !== 'start' && !this.started) {
      throw new ValidationError('CONSENSUS_NOT_STARTED', `input ${input.type} before start`, {
        hint: "feed {type: 'start'} first after creating or restoring a replica",
      });
    }
    switch (input.type) {
      case 'start':
        this.onStart();
        break;
      case 'message':
        this.onMessageInput(input);
        break;
      case 'timer':
        this.out.fired(input.name);
        this.onTimer(input.name);
        break;
      case 'requestsPending':
        this.normal.setPendingRequests(input.count, input.bytes);
        break;
      case 'proposal':
        this.normal.onProposal(input.height, input.block);
        break;
      case 'validated':
        this.normal.onValidated(input.headerHash, input.ok);
        break;
      case 'stateTransferred':
        this.onStateTransferred(input.blocks);
        break;
      case 'validatorSetChanged':
        this.members.schedule(input.committedAtHeight, input.validators, this.ledger.height);
        break;
    }
    if (this.started) this.normal.advance();
    return this.out.take();
  }

  /** `status.phase` without building the whole status (the driver asks after every step). */
  get currentPhase(): Phase {
    return this.normal.current.phase;
  }

  get status(): ReplicaStatus {
    const { view, phase, reproposalEnd } = this.normal.current;
    return {
      view,
      phase,
      primary: this.currentPrimary(),
      committedHeight: this.ledger.height,
      committedHash: this.ledger.hash,
      lowWatermark: this.checkpoints.lowWatermark,
      highWatermark: this.checkpoints.highWatermark,
      stableCheckpoint: this.checkpoints.stable.height,
      reproposalEnd,
      preparedHeights: this.normal.preparedHeights(),
      viewChangeBackoff: this.viewChanger.viewChangeBackoff,
    };
  }

  /**
   * The primary of the current view: fixed at installation while the view is
   * installed; during a view change, the scheduled primary of the target view.
   */
  private currentPrimary(): number {
    const { view, phase, primary } = this.normal.current;
    return phase === 'normal' ? primary : this.primaryIndex(view);
  }

  /** Validator index of the primary of `view` under this replica's committed reputation. */
  primaryIndex(view: number): number {
    return this.reputation.primaryOf(view, this.checkpoints.lowWatermark);
  }

  get validatorIndex(): number {
    return this.members.index;
  }

  // -------------------------------------------------------------------------
  // Restore and start
  // -------------------------------------------------------------------------

  /** The rest of `restoreReplica` once the ledger and reputation are back (see `restore.ts`). */
  private restore(wal: readonly WalRecord[], committedHeaders: ReadonlyMap<number, BlockHeader>): void {
    const head = this.ledger.height;
    // Stable checkpoint: the highest proof known; the low watermark follows from it and the head.
    for (const record of wal) if (record.type === 'checkpoint') this.checkpoints.adopt(record.proof);
    this.checkpoints.advance(this.checkpoints.target(head));

    // Our vote for the latest checkpoint we committed: volatile, but others may still need it.
    const latestCheckpoint = Math.floor(head / this.K) * this.K;
    const checkpointHeader = committedHeaders.get(latestCheckpoint);
    if (this.members.isValidator && latestCheckpoint > this.checkpoints.lowWatermark && checkpointHeader) {
      const message = this.members.sign({
        type: 'checkpoint',
        height: latestCheckpoint,
        headerHash: headerHashOf(checkpointHeader),
        stateRoot: checkpointHeader.stateRoot,
      });
      this.recordCheckpointVote(message, true);
    }

    // View: the later of the last view change started and the last view installed.
    const { lastNewView, lastViewChange } = latestViews(wal);
    const primary = lastNewView ? lastNewView.primary : this.primaryIndex(0);
    this.normal.restore(wal, lastNewView, primary, lastViewChange);
  }

  private onStart(): void {
    assert(!this.started, 'start fed twice');
    this.started = true;
    this.out.setTimer('status', this.catchUp.statusIntervalMs);
    if (this.normal.current.phase === 'viewChange') {
      this.viewChanger.resume();
      return;
    }
    this.normal.armViewTimers(this.config.startupGraceMs ?? 0);
    const stable = this.checkpoints.stable.height;
    if (stable > this.ledger.height) this.catchUp.request(stable, [], this.ledger.height);
  }

  // -------------------------------------------------------------------------
  // Messages
  // -------------------------------------------------------------------------

  private onMessageInput(input: Extract<Input, { type: 'message' }>): void {
    let message: ConsensusMessage;
    if ('bytes' in input) {
      try {
        message = decodeMessage(input.bytes);
      } catch (error) {
        if (error instanceof DecodeError) return; // malformed: drop (the transport may rate-limit the peer)
        throw error;
      }
    } else {
      message = input.message;
    }
    const signer = message.signer;
    if (!Number.isSafeInteger(signer) || signer < 0 || signer >= this.members.signerLimit) return;
    if (signer === this.members.index) return; // our own messages come back only as replays
    const body = message.body;
    const { view, phase } = this.normal.current;
    if (
      (body.type === 'prePrepare' || body.type === 'prepare' || body.type === 'commit') &&
      (body.view > view || (body.view === view && phase === 'viewChange'))
    ) {
      // Possibly a view we are about to install (its NEW-VIEW may arrive after its first votes).
      if (body.view <= view + 1) {
        this.futureMessages.add({ ...message, body });
      }
      return;
    }
    this.dispatch(message);
  }

  private dispatch(message: ConsensusMessage): void {
    switch (message.body.type) {
      case 'prePrepare':
        this.normal.onPrePrepare(message, message.body);
        return;
      case 'prepare':
        this.normal.onVote(message, message.body, 'prepare');
        return;
      case 'commit':
        this.normal.onVote(message, message.body, 'commit');
        return;
      case 'checkpoint':
        this.onCheckpoint(message, message.body);
        return;
      case 'viewChange':
        this.viewChanger.onViewChange(message, message.body);
        return;
      case 'newView':
        this.viewChanger.onNewView(message, message.body);
        return;
      case 'heartbeat':
        this.normal.onHeartbeat(message, message.body);
        return;
      case 'status':
        this.onStatus(message, message.body);
        return;
      case 'fetchBlock':
        this.normal.onFetchBlock(message, message.body);
        return;
      case 'block':
        this.normal.onBlockReply(message, message.body);
        return;
    }
  }

  /** Votes for `view` that arrived before its NEW-VIEW. */
  private replayBuffered(view: number): void {
    for (const m of this.futureMessages.takeFor(view)) this.dispatch(m);
  }

  // -------------------------------------------------------------------------
  // Commits, checkpoints and garbage collection
  // -------------------------------------------------------------------------

  private commitBlock(block: Block, certificate: CommitCertificate): void {
    const header = block.header;
    const hash = headerHashOf(header);
    assert(header.height === this.ledger.height + 1, `commit ${header.height} after ${this.ledger.height}`);
    assert(
      equalBytes(header.parentHash, this.ledger.hash),
      `block ${header.height} does not extend the head`,
    );
    const change = this.members.changeAt(header.height);
    const { reputation, persist } = reputationAfterCommit(
      this.reputation,
      header,
      change?.validators.size,
      this.K,
    );
    if (persist) this.out.persist({ type: 'reputation', snapshot: reputation.snapshot() });
    this.out.emit({ type: 'commit', block, certificate });
    this.ledger.append(header.height, hash);
    this.normal.committed(header.height);
    this.viewChanger.committed();
    if (this.out.isArmed('progress')) this.out.cancelTimer('progress');
    if (header.height % this.K === 0 && this.members.isValidator) {
      const message = this.members.sign({
        type: 'checkpoint',
        height: header.height,
        headerHash: hash,
        stateRoot: header.stateRoot,
      });
      this.recordCheckpointVote(message, true);
      this.out.broadcast(message);
    }
    // The boundary block and its checkpoint belong to the old set; everything above to the new one.
    if (change) this.applySetChange(change, reputation);
    const stable = this.checkpoints.stable;
    if (stable.height === this.ledger.height) this.checkStableAgainstLedger(stable);
    this.advanceLowWatermark(this.checkpoints.target(this.ledger.height));
  }

  private onCheckpoint(message: ConsensusMessage, body: BodyOf<'checkpoint'>): void {
    if (!this.checkpoints.wants(message, body, this.ledger.height)) return;
    if (!this.catchUp.verify(message)) return;
    this.recordCheckpointVote(message, false);
  }

  /** Counts a CHECKPOINT vote (`own`: this replica's); adopts the proof it may complete. */
  private recordCheckpointVote(message: ConsensusMessage, own: boolean): void {
    const quorum = this.members.setFor((message.body as BodyOf<'checkpoint'>).height).quorum;
    const completed = own
      ? this.checkpoints.recordOwn(message, quorum)
      : this.checkpoints.record(message, quorum);
    if (completed) this.adoptStableProof(completed.proof, completed.holders);
  }

  private checkStableAgainstLedger(proof: CheckpointProof): void {
    const mine = this.ledger.hexAt(proof.height);
    assert(
      mine === undefined || mine === toHex(proof.headerHash),
      `stable checkpoint ${proof.height} disagrees with the committed block: more than f faulty replicas`,
    );
  }

  /** A stable checkpoint proof became known (own votes, a VIEW-CHANGE or a NEW-VIEW). */
  private adoptStableProof(proof: CheckpointProof, holders: readonly number[]): void {
    if (!this.checkpoints.adopt(proof)) return;
    this.out.persist({ type: 'checkpoint', proof });
    // The stable block is committed (2f+1 replicas executed it): a valid commit anchor (rule R2).
    this.normal.anchorAt(proof.height);
    if (this.ledger.height >= proof.height) this.checkStableAgainstLedger(proof);
    else this.catchUp.request(proof.height, holders, this.ledger.height);
    this.advanceLowWatermark(this.checkpoints.target(this.ledger.height));
  }

  private advanceLowWatermark(height: number): void {
    if (!this.checkpoints.advance(height)) return;
    this.normal.prune(height);
    this.ledger.forgetBelow(height);
  }

  // -------------------------------------------------------------------------
  // Timers, status and catch-up
  // -------------------------------------------------------------------------

  private onTimer(name: TimerName): void {
    const normal = this.normal;
    switch (name) {
      case 'heartbeat':
        normal.heartbeatTimer();
        return;
      case 'primaryTimeout':
        if (normal.current.phase === 'normal' && !normal.isPrimary)
          this.viewChanger.start(normal.current.view + 1);
        return;
      case 'progress':
        if (normal.current.phase === 'normal') this.viewChanger.start(normal.current.view + 1);
        return;
      case 'viewChange':
        this.viewChanger.timerFired();
        return;
      case 'batch':
        normal.batchTimerFired();
        return;
      case 'status':
        this.statusTick();
        this.out.setTimer('status', this.catchUp.statusIntervalMs);
        return;
      case 'stateTransfer':
        this.catchUp.retry(this.ledger.height);
        return;
    }
  }

  private statusTick(): void {
    const normal = this.normal;
    const stalled = this.catchUp.tick(this.ledger.height);
    if (this.members.isValidator) {
      this.out.broadcast(
        this.members.sign({
          type: 'status',
          view: normal.current.view,
          changingView: normal.current.phase === 'viewChange',
          committedHeight: this.ledger.height,
          stableHeight: this.checkpoints.stable.height,
        }),
      );
    }
    const checkpoint = this.checkpoints.ownVoteToResend;
    if (this.members.isValidator && checkpoint) this.out.broadcast(checkpoint);
    const viewChange = this.viewChanger.ownViewChange;
    if (normal.current.phase === 'viewChange' && viewChange) {
      this.out.broadcast(viewChange);
    } else if (stalled && normal.current.phase === 'normal' && normal.hasUncommittedSlots()) {
      normal.retransmit();
    }
    this.catchUp.catchUpIfBehind(this.ledger.height, stalled);
  }

  private onStatus(message: ConsensusMessage, body: BodyOf<'status'>): void {
    if (!this.catchUp.verify(message)) return;
    this.catchUp.peerStatus(message.signer, body.committedHeight);
    const { view, phase } = this.normal.current;
    const behind = body.view < view || (body.changingView && body.view === view);
    const newView = this.viewChanger.newViewMessage;
    if (phase === 'normal' && this.normal.isPrimary && newView && behind) {
      this.out.send(this.members.keyOf(message.signer), newView);
    }
  }

  private onStateTransferred(
    blocks: readonly { readonly block: Block; readonly certificate: CommitCertificate }[],
  ): void {
    for (const { block, certificate } of blocks) {
      const header = block.header;
      if (header.height <= this.ledger.height) continue;
      if (header.height !== this.ledger.height + 1) break;
      if (!equalBytes(header.parentHash, this.ledger.hash)) break;
      if (!blockShapeOk(this.config, block, header.height, this.members.setFor(header.height).hash)) break;
      try {
        verifyCommitCertificate(header, certificate, this.members.setFor(header.height), this.config.verify);
      } catch {
        break;
      }
      this.commitBlock(block, certificate);
    }
    this.catchUp.transferred(this.ledger.height);
  }

  // -------------------------------------------------------------------------
  // Validator set changes
  // -------------------------------------------------------------------------

  private applySetChange(change: SetChange, reputation: Reputation): void {
    this.members.apply(change);
    this.reputation = reputation;
    this.catchUp.forgetPeers();
    this.viewChanger.forgetValidators();
    // A replica that left the set keeps following (as an observer, by state transfer).
    if (!this.members.isValidator) this.normal.stopTimers();
  }
}

/** A fresh replica at genesis. */
export function createReplica(config: ReplicaConfig): Replica {
  return new Replica(config);
}

/**
 * Rebuilds a replica after a crash from its WAL records and the driver's last
 * committed headers (at least the last 2 x checkpointInterval, oldest first,
 * ending with its committed head; `[genesis]` for an empty chain). Pure.
 */
export function restoreReplica(
  config: ReplicaConfig,
  wal: readonly WalRecord[],
  committedHeaders: readonly BlockHeader[],
): Replica {
  return new Replica(config, wal, committedHeaders);
}
