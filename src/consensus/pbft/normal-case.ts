/**
 * The normal case of PBFT in the replica's current view. Owns the view number
 * and phase ('normal' once the view is installed, 'viewChange' while the
 * replica changes to it), what the view's NEW-VIEW fixed (its primary, base
 * checkpoint and re-proposals), the message log (`SlotLog`), the primary's
 * batching (`Proposer`) and the commit anchor. Runs PRE-PREPARE / PREPARE /
 * COMMIT, proposals, validation requests, retransmission, block bodies on
 * demand and the normal-case timers (heartbeat, primaryTimeout, progress,
 * batch).
 *
 * Contract: messages count only in the normal phase and for the current view.
 * A backup validates and votes for height n only on top of the block it
 * accepted at n-1 in the same view; COMMITs go out in height order from the
 * commit anchor (the view's base, the committed head or the stable
 * checkpoint). Committed blocks leave through `hooks.commit` strictly in height
 * order. A primary that provably misbehaves is reported and
 * `hooks.startViewChange(view + 1)` called. View transitions are driven by the
 * view-change protocol (`view-changer.ts`).
 */

import { equalBytes, toHex } from '../../codec/bytes.ts';
import { assert } from '../../errors.ts';
import type { CatchUp } from './catch-up.ts';
import type { Checkpoints } from './checkpoints.ts';
import type { Ledger } from './ledger.ts';
import { type Membership, reportMisbehaviour } from './membership.ts';
import { type BodyOf, type ConsensusMessage, headerHashOf, prepareVoteBytes } from './messages.ts';
import type { Outbox } from './outbox.ts';
import { Proposer } from './proposer.ts';
import { type NewViewRecord, rebuildSlots, restoreBodiesAndCertificates } from './restore.ts';
import {
  commitCertificate,
  commitSlot,
  noteCommitSent,
  notePrepareSent,
  notePrimaryVote,
  prepareSlot,
  reproposalMessage,
  type Slot,
  SlotLog,
} from './slot-log.ts';
import type {
  Block,
  CheckpointProof,
  CommitCertificate,
  Misbehaviour,
  PreparedCertificate,
  ReplicaConfig,
} from './types.ts';
import { blockShapeOk, checkProposal } from './validation.ts';
import type { NewViewDecision } from './view-change.ts';
import type { NewViewVotes } from './view-change-log.ts';
import type { WalRecord } from './wal.ts';

export type Phase = 'normal' | 'viewChange';

/** Where the replica is: its view and phase, and what the last installed view's NEW-VIEW fixed. */
export interface ViewPosition {
  readonly view: number;
  /** 'normal' once `view` is installed; 'viewChange' while the replica changes to it. */
  readonly phase: Phase;
  /** Primary of the installed view, fixed when the view was installed (reputation changes apply to later views). */
  readonly primary: number;
  /** The checkpoint the installed view started from. */
  readonly base: CheckpointProof;
  /** Heights from `base` up to here were re-proposed by the installed view's NEW-VIEW. */
  readonly reproposalEnd: number;
}

export interface NormalCaseHooks {
  /** A block is committed here (strictly in height order), with its commit certificate. */
  commit(block: Block, certificate: CommitCertificate): void;
  /** Leave the current view for `target`. */
  startViewChange(target: number): void;
}

const NORMAL_CASE_TIMERS = ['heartbeat', 'primaryTimeout', 'progress', 'batch'] as const;

export class NormalCase {
  private readonly log = new SlotLog();
  private readonly proposer: Proposer;
  private position: ViewPosition;
  /** COMMITs go out in height order: this replica sent them (or needs none) for every height up to here. */
  private commitVotedThrough = 0;

  constructor(
    private readonly config: ReplicaConfig,
    private readonly members: Membership,
    private readonly out: Outbox,
    private readonly ledger: Ledger,
    private readonly checkpoints: Checkpoints,
    private readonly catchUp: CatchUp,
    private readonly hooks: NormalCaseHooks,
  ) {
    this.proposer = new Proposer(out, config.parameters);
    this.position = { view: 0, phase: 'normal', primary: 0, base: checkpoints.stable, reproposalEnd: 0 };
  }

  get current(): ViewPosition {
    return this.position;
  }

  /** This replica is the primary of the installed view. */
  get isPrimary(): boolean {
    return this.members.isValidator && this.position.primary === this.members.index;
  }

  preparedHeights(): number[] {
    return this.log.preparedHeights();
  }

  /** Prepared certificates a VIEW-CHANGE reports (see `SlotLog.preparedAbove`). */
  preparedAbove(above: number, window: number): PreparedCertificate[] {
    return this.log.preparedAbove(above, window);
  }

  hasUncommittedSlots(): boolean {
    return this.log.hasUncommitted(this.ledger.height);
  }

  // -------------------------------------------------------------------------
  // View transitions
  // -------------------------------------------------------------------------

  /**
   * Rebuilds the view from the WAL after a restart: the installed view (from
   * `installed`, the last NEW-VIEW record; view 0 led by `primary` if none) or,
   * if a later view change was started, that view change.
   */
  restore(
    wal: readonly WalRecord[],
    installed: NewViewRecord | undefined,
    primary: number,
    lastViewChange: number,
  ): void {
    const view = installed?.view ?? 0;
    const base = installed ? installed.base : this.position.base;
    const reproposalEnd = installed ? installed.base.height + installed.reproposals.length : 0;
    this.position = { view, phase: 'normal', primary, base, reproposalEnd };
    restoreBodiesAndCertificates(wal, this.log, this.checkpoints.lowWatermark);
    if (lastViewChange > view) {
      this.position = { ...this.position, view: lastViewChange, phase: 'viewChange' };
      return;
    }
    const decidedThrough = this.checkpoints.decidedThrough;
    rebuildSlots(wal, this.log, this.members, { view, primary, newView: installed, decidedThrough });
    this.commitVotedThrough = Math.max(base.height, this.ledger.height, this.checkpoints.stable.height);
    while (this.log.get(this.commitVotedThrough + 1)?.commitSent) this.commitVotedThrough++;
    let highest = Math.max(reproposalEnd, this.ledger.height);
    for (const slot of this.log.values()) if (slot.hex) highest = Math.max(highest, slot.height);
    this.proposer.restartAt(highest + 1);
  }

  /** Back in the normal phase of `view`, keeping the log (a restarted replica re-entering its view change). */
  rewind(view: number): void {
    this.position = { ...this.position, view, phase: 'normal' };
  }

  /** Leaves the view for `target`: the log of the view and the batch in progress are dropped. */
  beginViewChange(target: number): void {
    this.position = { ...this.position, view: target, phase: 'viewChange' };
    this.log.resetSlots();
    this.proposer.reset();
    for (const name of NORMAL_CASE_TIMERS) this.out.cancelTimer(name);
  }

  /** Installs `view` (normal phase) led by `primary`, as its NEW-VIEW decided. */
  enterView(view: number, primary: number, decision: NewViewDecision): void {
    const reproposalEnd = decision.base.height + decision.reproposals.length;
    this.position = { view, phase: 'normal', primary, base: decision.base, reproposalEnd };
  }

  /** Fills the installed view's log with the NEW-VIEW's re-proposals, each with the primary's prepare vote. */
  placeReproposals(decision: NewViewDecision, votes: NewViewVotes): void {
    this.log.resetSlots();
    const { view, primary } = this.position;
    decision.reproposals.forEach((cert, i) => {
      const height = cert.header.height;
      if (height <= this.checkpoints.decidedThrough) return;
      const slot = this.log.slot(height);
      this.log.acceptHeader(slot, cert.header, true);
      const known = this.ledger.hexAt(height);
      assert(
        height > this.ledger.height || known === undefined || known === slot.hex,
        `NEW-VIEW ${view} re-proposes a block at ${height} that conflicts with the committed one`,
      );
      notePrimaryVote(slot, primary, votes[i]!.signature);
      if (primary === this.members.index) slot.voted = true;
    });
    // COMMIT votes restart from the view's base (even for heights this replica already committed: others
    // may need them); heights at or below our own stable checkpoint have no slots and are skipped.
    this.commitVotedThrough = Math.max(decision.base.height, this.checkpoints.decidedThrough);
    this.proposer.restartAt(Math.max(this.position.reproposalEnd, this.ledger.height) + 1);
  }

  /** The new primary sends each re-proposal it has the body of, and asks for the others. */
  broadcastReproposals(): void {
    for (const slot of this.log.sorted()) {
      if (!slot.reproposal || !slot.digest) continue;
      if (slot.block) {
        slot.prePrepare = reproposalMessage(slot, this.position.view, this.members.index);
        this.out.broadcast(slot.prePrepare);
      } else {
        this.out.broadcast(
          this.members.sign({ type: 'fetchBlock', height: slot.height, headerHash: slot.digest }),
        );
      }
    }
  }

  /** `graceMs` lengthens a backup's primary timeout this once (see `ReplicaConfig.startupGraceMs`). */
  armViewTimers(graceMs = 0): void {
    if (this.isPrimary) {
      this.out.cancelTimer('primaryTimeout');
      this.out.setTimer('heartbeat', this.config.parameters.heartbeatIntervalMs);
    } else {
      this.out.cancelTimer('heartbeat');
      this.out.setTimer('primaryTimeout', this.config.parameters.heartbeatTimeoutMs + graceMs);
    }
  }

  /** This replica left the validator set: it follows as an observer, without normal-case timers. */
  stopTimers(): void {
    for (const name of NORMAL_CASE_TIMERS) this.out.cancelTimer(name);
  }

  // -------------------------------------------------------------------------
  // Ledger and checkpoint events
  // -------------------------------------------------------------------------

  /** Block `height` was committed: COMMITs and proposals continue above it. */
  committed(height: number): void {
    this.commitVotedThrough = Math.max(this.commitVotedThrough, height);
    this.proposer.continueAt(height + 1);
  }

  /** A stable checkpoint at `height` is known: committed by 2f+1, a valid commit anchor (rule R2). */
  anchorAt(height: number): void {
    this.commitVotedThrough = Math.max(this.commitVotedThrough, height);
  }

  /** Garbage collection below the new low watermark `height`. */
  prune(height: number): void {
    this.log.prune(height);
  }

  // -------------------------------------------------------------------------
  // The pump: everything that can follow from a state change
  // -------------------------------------------------------------------------

  advance(): void {
    if (this.position.phase === 'normal') {
      this.requestValidation();
      const heights = this.log.heights();
      for (const h of heights) {
        const slot = this.log.get(h)!;
        this.tryVote(slot);
        this.checkPrepared(slot);
      }
      this.sendCommitVotes();
      for (const h of heights) {
        const slot = this.log.get(h);
        if (slot) commitSlot(slot, this.members.commitQuorum);
      }
      this.deliver();
      this.tryPropose();
    }
    this.updateProgressTimer();
  }

  private isValidated(slot: Slot): boolean {
    if (!slot.hex) return false;
    if (slot.height <= this.ledger.height) return this.ledger.hexAt(slot.height) === slot.hex;
    return this.log.isValidated(slot.hex);
  }

  /** The speculative parent a block at `height` must extend in this view, if known. */
  private parentHashFor(height: number): Uint8Array | undefined {
    if (height - 1 === this.ledger.height) return this.ledger.hash;
    const base = this.position.base;
    if (height - 1 === base.height) return base.headerHash;
    return this.log.get(height - 1)?.digest;
  }

  private requestValidation(): void {
    let height = this.ledger.height + 1;
    let slot = this.log.get(height);
    while (slot?.hex && this.isValidated(slot)) {
      height++;
      slot = this.log.get(height);
    }
    if (!slot?.hex || !slot.block || !slot.header) return;
    const parent = this.parentHashFor(height);
    if (!parent || !equalBytes(parent, slot.header.parentHash)) return;
    if (!this.log.beginValidation(slot.hex)) return;
    this.out.emit({ type: 'validate', block: slot.block });
  }

  private tryVote(slot: Slot): void {
    if (slot.voted || !this.members.isValidator || !slot.hex || !slot.header) return;
    if (this.isPrimary || !this.isValidated(slot) || slot.height <= this.checkpoints.decidedThrough) return;
    const primaryVote = slot.prepareVotes.get(this.position.primary);
    if (!primaryVote || primaryVote.hex !== slot.hex) return;
    this.out.persist({
      type: 'vote',
      view: this.position.view,
      height: slot.height,
      header: slot.header,
      block: slot.block,
      primaryVote: primaryVote.vote.signature,
    });
    const message = this.members.sign({
      type: 'prepare',
      view: this.position.view,
      height: slot.height,
      headerHash: slot.digest!,
    });
    notePrepareSent(slot, message);
    this.out.broadcast(message);
  }

  private checkPrepared(slot: Slot): void {
    const certificate = prepareSlot(slot, this.position.view, this.members.quorum);
    if (!certificate) return;
    this.log.setPrepared(slot.height, certificate);
    this.out.persist({ type: 'prepared', certificate });
  }

  private sendCommitVotes(): void {
    if (!this.members.isValidator) return;
    const view = this.position.view;
    for (;;) {
      const height = this.commitVotedThrough + 1;
      const slot = this.log.get(height);
      if (!slot?.prepared || !slot.hex) return;
      if (!slot.commitSent) {
        this.out.persist({ type: 'commitVote', view, height, headerHash: slot.digest! });
        const message = this.members.sign({ type: 'commit', view, height, headerHash: slot.digest! });
        noteCommitSent(slot, message);
        this.out.broadcast(message);
      }
      this.commitVotedThrough = height;
    }
  }

  private deliver(): void {
    for (;;) {
      const slot = this.log.get(this.ledger.height + 1);
      if (!slot?.committedLocal || !slot.block || !slot.hex) return;
      this.hooks.commit(slot.block, commitCertificate(slot, this.position.view, this.members.commitQuorum));
    }
  }

  private updateProgressTimer(): void {
    const work =
      this.position.phase === 'normal' &&
      this.members.isValidator &&
      (this.proposer.hasPendingRequests || this.hasUncommittedSlots());
    if (work && !this.out.isArmed('progress'))
      this.out.setTimer('progress', this.config.parameters.requestTimeoutMs);
    if (!work) this.out.cancelTimer('progress');
  }

  // -------------------------------------------------------------------------
  // Primary: proposals and heartbeats
  // -------------------------------------------------------------------------

  /** The node's `requestsPending` report. */
  setPendingRequests(count: number, bytes: number): void {
    this.proposer.setPending(count, bytes);
  }

  batchTimerFired(): void {
    this.proposer.batchTimerFired();
  }

  private tryPropose(): void {
    if (!this.isPrimary || this.proposer.busy) return;
    const height = this.proposer.nextHeight;
    if (height > this.checkpoints.highWatermark || height > this.members.proposalBarrier) return;
    if (height <= this.ledger.height || height <= this.checkpoints.stable.height) return;
    const parentSlot = this.log.get(height - 1);
    const onHead = height - 1 === this.ledger.height;
    if (!onHead && (parentSlot?.hex === undefined || !this.isValidated(parentSlot))) return;
    this.proposer.offer(this.position.view, onHead ? this.ledger.hash : parentSlot!.digest!);
  }

  /** The node's answer to `propose`. */
  onProposal(height: number, answer: Block | null): void {
    const block = this.proposer.answer(height, answer);
    if (!block) return;
    const header = block.header;
    checkProposal(this.config, block, {
      height,
      parent: height - 1 === this.ledger.height ? this.ledger.hash : this.log.get(height - 1)?.digest,
      view: this.position.view,
      validatorSetHash: this.members.validators.hash,
    });
    if (this.position.phase !== 'normal' || !this.isPrimary) return;
    const hash = headerHashOf(header);
    const vote = this.members.signVote(
      prepareVoteBytes(this.config.chainId, this.position.view, height, hash),
    );
    this.out.persist({
      type: 'vote',
      view: this.position.view,
      height,
      header,
      block,
      primaryVote: vote.signature,
    });
    const slot = this.log.recordProposal(height, block, vote);
    const message: ConsensusMessage = {
      body: { type: 'prePrepare', view: this.position.view, height, block: { header, txs: [...block.txs] } },
      signer: this.members.index,
      signature: vote.signature,
    };
    slot.prePrepare = message;
    this.out.broadcast(message);
    this.proposer.proposed(height);
  }

  /** The heartbeat timer fired. */
  heartbeatTimer(): void {
    if (this.position.phase !== 'normal' || !this.isPrimary) return;
    if (this.proposer.heartbeatDue()) {
      this.out.broadcast(
        this.members.sign({
          type: 'heartbeat',
          view: this.position.view,
          height: this.proposer.nextHeight - 1,
        }),
      );
    }
    this.out.setTimer('heartbeat', this.config.parameters.heartbeatIntervalMs);
  }

  // -------------------------------------------------------------------------
  // Messages and executor answers
  // -------------------------------------------------------------------------

  /** The primary provably misbehaved in this view: report it and leave the view. */
  private accusePrimary(kind: Misbehaviour): void {
    reportMisbehaviour(this.out, this.members, this.position.primary, kind);
    this.hooks.startViewChange(this.position.view + 1);
  }

  private blockShapeOk(block: Block, height: number): boolean {
    return blockShapeOk(this.config, block, height, this.members.setFor(height).hash);
  }

  private resetPrimaryTimeout(): void {
    if (!this.isPrimary) this.out.setTimer('primaryTimeout', this.config.parameters.heartbeatTimeoutMs);
  }

  /** The executor's answer to `validate`. */
  onValidated(headerHash: Uint8Array, ok: boolean): void {
    const hex = toHex(headerHash);
    if (!this.log.endValidation(hex)) return;
    if (ok) {
      this.log.markValidated(hex);
      return;
    }
    // The executor refused a block: whoever signed its PRE-PREPARE in this view proposed an invalid block.
    for (const slot of this.log.values()) {
      if (slot.hex === hex && this.position.phase === 'normal') {
        this.accusePrimary('invalidBlock');
        return;
      }
    }
  }

  onPrePrepare(message: ConsensusMessage, body: BodyOf<'prePrepare'>): void {
    const { view, phase, primary, reproposalEnd } = this.position;
    if (phase !== 'normal' || body.view !== view) return;
    if (message.signer !== primary) return;
    const height = body.height;
    // Heights we already committed are still accepted (a block equal to ours counts as validated): our
    // votes on them in this view may be needed by replicas that did not commit them.
    if (!this.checkpoints.inWindow(height)) return;
    if (!this.catchUp.verify(message)) return;
    this.resetPrimaryTimeout();
    const block: Block = body.block;
    const header = block.header;
    const hex = toHex(headerHashOf(header));
    const slot = this.log.slot(height);
    if (height <= reproposalEnd) {
      // Re-proposal: the NEW-VIEW fixed the header; this message only brings the body.
      if (slot.hex !== hex) {
        this.accusePrimary('equivocation');
        return;
      }
      if (!slot.block) {
        if (!this.blockShapeOk(block, height)) return;
        this.log.attachBody(slot, hex, block);
      }
      slot.prePrepare ??= message;
      return;
    }
    if (slot.hex !== undefined) {
      // Two PRE-PREPAREs signed by the primary for one (view, height): provable equivocation.
      if (slot.hex !== hex) this.accusePrimary('equivocation');
      return;
    }
    if (
      !this.blockShapeOk(block, height) ||
      header.view !== view ||
      !equalBytes(header.proposer, this.members.keyOf(primary))
    ) {
      this.accusePrimary('badProposalShape');
      return;
    }
    this.log.acceptHeader(slot, header, false);
    this.log.attachBody(slot, hex, block);
    slot.prePrepare = message;
    if (!slot.prepareVotes.get(primary)) notePrimaryVote(slot, primary, message.signature);
  }

  onVote(message: ConsensusMessage, body: BodyOf<'prepare' | 'commit'>, kind: 'prepare' | 'commit'): void {
    const { view, phase } = this.position;
    if (phase !== 'normal' || body.view !== view) return;
    // Votes for heights we already committed still count: in a new view we vote on re-proposals of them
    // too (other replicas may need our COMMITs), and COMMITs go out in height order from the view's base.
    if (!this.checkpoints.inWindow(body.height)) return;
    const slot = this.log.slot(body.height);
    const votes = kind === 'prepare' ? slot.prepareVotes : slot.commitVotes;
    const hex = toHex(body.headerHash);
    const existing = votes.get(message.signer);
    if (existing) {
      if (existing.hex !== hex) reportMisbehaviour(this.out, this.members, message.signer, 'conflictingVote');
      return;
    }
    if (!this.catchUp.verify(message)) return;
    votes.set(message.signer, { hex, vote: { validator: message.signer, signature: message.signature } });
    // A primary still voting in its view is not silent, only busy (a long block on a loaded machine):
    // `primaryTimeout` is for a silent one. One that votes but never proposes meets `progress`.
    if (message.signer === this.position.primary) this.resetPrimaryTimeout();
  }

  onHeartbeat(message: ConsensusMessage, body: BodyOf<'heartbeat'>): void {
    const { view, phase, primary } = this.position;
    if (phase !== 'normal' || body.view !== view) return;
    if (message.signer !== primary || !this.catchUp.verify(message)) return;
    this.resetPrimaryTimeout();
  }

  // -------------------------------------------------------------------------
  // Bodies on demand and retransmission
  // -------------------------------------------------------------------------

  onFetchBlock(message: ConsensusMessage, body: BodyOf<'fetchBlock'>): void {
    const hex = toHex(body.headerHash);
    const block = this.log.block(hex);
    const key = `${message.signer}/${hex}`;
    if (!block || this.catchUp.servedAlready(key) || !this.members.isValidator) return;
    if (!this.catchUp.verify(message)) return;
    this.catchUp.markServed(key);
    this.out.send(
      this.members.keyOf(message.signer),
      this.members.sign({ type: 'block', block: block as BodyOf<'block'>['block'] }),
    );
  }

  onBlockReply(message: ConsensusMessage, body: BodyOf<'block'>): void {
    const header = body.block.header;
    const hex = toHex(headerHashOf(header));
    const slot = this.log.get(header.height);
    if (!slot || slot.hex !== hex || slot.block) return;
    if (!this.blockShapeOk(body.block, header.height) || !this.catchUp.verify(message)) return;
    this.log.attachBody(slot, hex, body.block);
    if (this.isPrimary && slot.reproposal && slot.voted) {
      slot.prePrepare = reproposalMessage(slot, this.position.view, this.members.index);
      this.out.broadcast(slot.prePrepare);
    }
  }

  /** Nothing committed for a status interval: say again what this replica said in this view. */
  retransmit(): void {
    const primary = this.isPrimary;
    // Every slot of this view, including heights we committed: a replica that installed the view late may
    // still need our votes for them (COMMITs go out in height order from the view's base).
    for (const slot of this.log.sorted()) {
      if (!slot.hex) continue;
      if (primary && slot.prePrepare) this.out.broadcast(slot.prePrepare);
      if (slot.myPrepare) this.out.broadcast(slot.myPrepare);
      if (slot.myCommit) this.out.broadcast(slot.myCommit);
      if (!slot.block && this.members.isValidator) {
        this.out.broadcast(
          this.members.sign({ type: 'fetchBlock', height: slot.height, headerHash: slot.digest! }),
        );
      }
    }
  }
}
