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
 */

import type { BlockHeader } from '../../chain/header.ts';
import type { ValidatorSet } from '../../chain/validator-set.ts';
import { equalBytes, toHex } from '../../codec/bytes.ts';
import { assert, DecodeError, ValidationError } from '../../errors.ts';
import {
  isValidCheckpointProof,
  isValidPreparedCertificate,
  verifyCommitCertificate,
} from './certificate.ts';
import {
  type BodyOf,
  batchBytes,
  type ConsensusMessage,
  decodeMessage,
  headerHashOf,
  MAX_BATCH_BYTES,
  MAX_BATCH_TXS,
  MAX_WATERMARK_WINDOW,
  type MessageBody,
  prepareVoteBytes,
  type SignedViewChange,
  signingBytes,
  type ViewChangeBodyT,
  viewChangeSigningBytes,
} from './messages.ts';
import { genesisReputation, Reputation } from './reputation.ts';
import type {
  Block,
  CheckpointProof,
  CommitCertificate,
  Input,
  Misbehaviour,
  Output,
  PreparedCertificate,
  ReplicaConfig,
  TimerName,
  Vote,
} from './types.ts';
import { decideNewView, type NewViewDecision } from './view-change.ts';
import type { WalRecord } from './wal.ts';

interface VoteEntry {
  readonly hex: string;
  readonly vote: Vote;
}

/** Normal-case state of one height in the current view. */
interface Slot {
  readonly height: number;
  header?: BlockHeader;
  digest?: Uint8Array;
  hex?: string;
  block?: Block;
  /** The message to retransmit: the primary's PRE-PREPARE for this slot. */
  prePrepare?: ConsensusMessage;
  /** Set by a NEW-VIEW: the header is fixed, the body may still be missing. */
  reproposal: boolean;
  readonly prepareVotes: Map<number, VoteEntry>;
  readonly commitVotes: Map<number, VoteEntry>;
  /** Own prepare vote cast (a primary: its PRE-PREPARE / NEW-VIEW vote). */
  voted: boolean;
  myPrepare?: ConsensusMessage;
  prepared: boolean;
  commitSent: boolean;
  myCommit?: ConsensusMessage;
  committedLocal: boolean;
}

interface ViewChangeEntry {
  readonly view: number;
  readonly message: ConsensusMessage;
}

interface CheckpointVoteEntry {
  readonly key: string;
  readonly headerHash: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly vote: Vote;
}

export type Phase = 'normal' | 'viewChange';

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

function validateConfig(config: ReplicaConfig): void {
  const p = config.parameters;
  const bad = (message: string): never => {
    throw new ValidationError('CONSENSUS_CONFIG_INVALID', message, {
      hint: 'fix the consensus parameters in the genesis file',
    });
  };
  if (config.genesis.height !== 0) bad('the genesis header must have height 0');
  if (config.genesis.chainId !== config.chainId) bad('the genesis header names another chain');
  if (!Number.isSafeInteger(p.checkpointInterval) || p.checkpointInterval < 1)
    bad('checkpointInterval must be >= 1');
  if (p.watermarkWindow < p.checkpointInterval) bad('watermarkWindow must be >= checkpointInterval');
  if (p.watermarkWindow > MAX_WATERMARK_WINDOW) bad(`watermarkWindow must be <= ${MAX_WATERMARK_WINDOW}`);
  if (p.maxBatchCount < 1 || p.maxBatchCount > MAX_BATCH_TXS)
    bad(`maxBatchCount must be 1..${MAX_BATCH_TXS}`);
  if (p.maxBatchBytes < 1 || p.maxBatchBytes > MAX_BATCH_BYTES)
    bad(`maxBatchBytes must be 1..${MAX_BATCH_BYTES}`);
  if (p.heartbeatTimeoutMs <= p.heartbeatIntervalMs)
    bad('heartbeatTimeoutMs must exceed heartbeatIntervalMs');
}

const sortVotes = (a: Vote, b: Vote) => a.validator - b.validator;

/** Status intervals of silence after which a peer is presumed down (see `suspected`). */
export const SUSPECT_AFTER_TICKS = 3;
/** Most normal-case messages buffered for a view this replica has not installed yet. */
export const MAX_FUTURE_MESSAGES = 1024;

export class Replica {
  private readonly config: ReplicaConfig;
  private readonly K: number;
  private readonly W: number;
  private readonly chainId: string;
  private readonly genesisHash: Uint8Array;

  private validators: ValidatorSet;
  /** The set before the last change, still the one that signed heights up to `throughHeight`. */
  private previousValidators: { readonly set: ValidatorSet; readonly throughHeight: number } | undefined;
  private myIndex: number;
  private reputation: Reputation;

  // Ledger (what this replica has committed).
  private committedHeight = 0;
  private committedHash: Uint8Array;
  private committedHashes = new Map<number, string>();

  // Checkpoints.
  private stable: CheckpointProof;
  private lowWatermark = 0;
  private checkpointVotes = new Map<number, Map<number, CheckpointVoteEntry>>();
  private myLatestCheckpoint: ConsensusMessage | undefined;

  // View.
  private view = 0;
  private phase: Phase = 'normal';
  /** Primary of the installed view, fixed when the view was installed (reputation changes apply to later views). */
  private viewPrimary = 0;
  private viewBase: CheckpointProof;
  private reproposalEnd = 0;
  private newViewMessage: ConsensusMessage | undefined;
  private viewChangeBackoff = 0;
  private myViewChange: ConsensusMessage | undefined;
  private viewChanges = new Map<number, ViewChangeEntry>();
  private validViewChangeSignatures = new Set<string>();
  private newViewSentFor = -1;

  // Log.
  private slots = new Map<number, Slot>();
  private preparedCerts = new Map<number, PreparedCertificate>();
  private blocks = new Map<string, Block>();
  private validatedOk = new Set<string>();
  private validationInFlight = new Set<string>();
  private commitVotedThrough = 0;

  // Primary.
  private nextProposalHeight = 1;
  private awaitingProposal: number | null = null;
  private sentSinceHeartbeat = false;
  private pending = { count: 0, bytes: 0 };
  private batchExpired = false;
  /**
   * The node built nothing for the last proposal although work was reported (everything ready was
   * already in flight, or the parent's state was not there yet): the next proposal waits for the
   * batch timer, so repeated empty builds cannot keep the node busy and starve its event loop.
   */
  private proposalCameBackEmpty = false;

  // Anti-entropy and catch-up.
  private peerCommitted = new Map<number, number>();
  /** Status ticks so far, and the tick at which each peer last sent a message that verified. */
  private ticks = 0;
  private lastHeard = new Map<number, number>();
  private lastTickCommitted = -1;
  private stateTransferTarget = 0;
  private servedThisTick = new Set<string>();

  /** Normal-case messages for a view not installed yet (bounded); replayed when it is installed. */
  private futureMessages: ConsensusMessage[] = [];

  private pendingSetChange: { boundary: number; validators: ValidatorSet } | undefined;

  private armed = new Set<TimerName>();
  private out: Output[] = [];
  private started = false;

  constructor(
    config: ReplicaConfig,
    wal: readonly WalRecord[] = [],
    committedHeaders?: readonly BlockHeader[],
  ) {
    validateConfig(config);
    this.config = config;
    this.K = config.parameters.checkpointInterval;
    this.W = config.parameters.watermarkWindow;
    this.chainId = config.chainId;
    this.genesisHash = headerHashOf(config.genesis);
    this.validators = config.validators;
    this.previousValidators = config.previousValidators;
    this.myIndex = config.validators.indexOf(config.publicKey);
    this.committedHash = this.genesisHash;
    this.committedHashes.set(0, toHex(this.genesisHash));
    this.stable = { height: 0, headerHash: this.genesisHash, stateRoot: config.genesis.stateRoot, votes: [] };
    this.viewBase = this.stable;
    this.reputation = new Reputation(genesisReputation(config.validators.size), this.K);
    this.restore(wal, committedHeaders ?? [config.genesis]);
  }

  // -------------------------------------------------------------------------
  // Public surface
  // -------------------------------------------------------------------------

  /** Feeds one input; returns the outputs to perform, in order (see `types.ts` for the rules). */
  step(input: Input): Output[] {
    this.out = [];
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
        this.armed.delete(input.name);
        this.onTimer(input.name);
        break;
      case 'requestsPending':
        this.pending = { count: input.count, bytes: input.bytes };
        break;
      case 'proposal':
        this.onProposal(input.height, input.block);
        break;
      case 'validated':
        this.onValidated(input.headerHash, input.ok);
        break;
      case 'stateTransferred':
        this.onStateTransferred(input.blocks);
        break;
      case 'validatorSetChanged':
        this.onValidatorSetChanged(input.committedAtHeight, input.validators);
        break;
    }
    if (this.started) this.advance();
    const out = this.out;
    this.out = [];
    return out;
  }

  /** `status.phase` without building the whole status (the driver asks after every step). */
  get currentPhase(): Phase {
    return this.phase;
  }

  get status(): ReplicaStatus {
    return {
      view: this.view,
      phase: this.phase,
      primary: this.currentPrimary(),
      committedHeight: this.committedHeight,
      committedHash: this.committedHash,
      lowWatermark: this.lowWatermark,
      highWatermark: this.lowWatermark + this.W,
      stableCheckpoint: this.stable.height,
      reproposalEnd: this.reproposalEnd,
      preparedHeights: [...this.slots.values()]
        .filter((s) => s.prepared)
        .map((s) => s.height)
        .sort((a, b) => a - b),
      viewChangeBackoff: this.viewChangeBackoff,
    };
  }

  /**
   * The primary of the current view: fixed at installation while the view is
   * installed; during a view change, the scheduled primary of the target view.
   */
  private currentPrimary(): number {
    return this.phase === 'normal' ? this.viewPrimary : this.primaryIndex(this.view);
  }

  /** Validator index of the primary of `view` under this replica's committed reputation. */
  primaryIndex(view: number): number {
    return this.reputation.primaryOf(view, this.lowWatermark);
  }

  get validatorIndex(): number {
    return this.myIndex;
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  private emit(output: Output): void {
    this.out.push(output);
  }

  private setTimer(name: TimerName, ms: number): void {
    this.armed.add(name);
    this.emit({ type: 'setTimer', name, ms });
  }

  private cancelTimer(name: TimerName): void {
    if (!this.armed.has(name)) return;
    this.armed.delete(name);
    this.emit({ type: 'cancelTimer', name });
  }

  private get quorum(): number {
    return this.validators.quorum;
  }

  private get commitQuorum(): number {
    return this.config.unsafeTesting?.commitWithTwoF ? 2 * this.validators.f : this.validators.quorum;
  }

  private get isValidator(): boolean {
    return this.myIndex >= 0;
  }

  private get isPrimary(): boolean {
    return this.isValidator && this.currentPrimary() === this.myIndex;
  }

  private keyOf(index: number): Uint8Array {
    return this.validators.publicKeys[index]!;
  }

  /** The validator set that signs votes, checkpoints and certificates at `height`. */
  private setFor(height: number): ValidatorSet {
    const previous = this.previousValidators;
    return previous && height <= previous.throughHeight ? previous.set : this.validators;
  }

  /** The height a message's signature is about (votes, checkpoints), if any. */
  private static heightOf(body: MessageBody): number | undefined {
    switch (body.type) {
      case 'prePrepare':
      case 'prepare':
      case 'commit':
      case 'checkpoint':
        return body.height;
      default:
        return undefined;
    }
  }

  private persist(record: WalRecord): void {
    this.emit({ type: 'persist', record });
  }

  private broadcast(message: ConsensusMessage): void {
    this.emit({ type: 'broadcast', message });
  }

  private misbehaviour(validator: number, kind: Misbehaviour): void {
    if (validator >= 0 && validator < this.validators.size) {
      this.emit({ type: 'misbehaviour', validator: this.keyOf(validator), kind });
    }
  }

  private sign(body: MessageBody): ConsensusMessage {
    assert(this.isValidator, 'an observer never signs');
    return { body, signer: this.myIndex, signature: this.config.sign(signingBytes(this.chainId, body)) };
  }

  private signVote(bytes: Uint8Array): Vote {
    return { validator: this.myIndex, signature: this.config.sign(bytes) };
  }

  private verifyMessage(message: ConsensusMessage): boolean {
    const height = Replica.heightOf(message.body);
    const set = height === undefined ? this.validators : this.setFor(height);
    if (message.signer < 0 || message.signer >= set.size) return false;
    const ok = this.config.verify(
      set.publicKeys[message.signer]!,
      signingBytes(this.chainId, message.body),
      message.signature,
    );
    if (ok) this.lastHeard.set(message.signer, this.ticks);
    return ok;
  }

  /**
   * A peer is suspected when no message of it verified for `SUSPECT_AFTER_TICKS`
   * status intervals (every live replica sends STATUS each interval). Used only
   * to shorten the wait for a NEW-VIEW from a primary that is evidently down.
   */
  private suspected(peer: number): boolean {
    if (peer === this.myIndex) return false;
    return this.ticks - (this.lastHeard.get(peer) ?? 0) >= SUSPECT_AFTER_TICKS;
  }

  /**
   * Heights at or below the highest stable checkpoint known are decided: this
   * replica never proposes or votes there again, even before it has fetched
   * them (after a crash its WAL no longer holds its old votes there).
   */
  private get decidedThrough(): number {
    return Math.max(this.lowWatermark, this.stable.height);
  }

  private inWindow(height: number): boolean {
    return height > this.decidedThrough && height <= this.lowWatermark + this.W;
  }

  private slot(height: number): Slot {
    let slot = this.slots.get(height);
    if (!slot) {
      slot = {
        height,
        reproposal: false,
        prepareVotes: new Map(),
        commitVotes: new Map(),
        voted: false,
        prepared: false,
        commitSent: false,
        committedLocal: false,
      };
      this.slots.set(height, slot);
    }
    return slot;
  }

  private countVotes(votes: Map<number, VoteEntry>, hex: string): number {
    let n = 0;
    for (const entry of votes.values()) if (entry.hex === hex) n++;
    return n;
  }

  private quorumVotes(votes: Map<number, VoteEntry>, hex: string, size: number): Vote[] {
    const matching: Vote[] = [];
    for (const entry of votes.values()) if (entry.hex === hex) matching.push(entry.vote);
    return matching.sort(sortVotes).slice(0, size);
  }

  /** The speculative parent a block at `height` must extend in this view, if known. */
  private parentHashFor(height: number): Uint8Array | undefined {
    if (height - 1 === this.committedHeight) return this.committedHash;
    if (height - 1 === this.viewBase.height) return this.viewBase.headerHash;
    return this.slots.get(height - 1)?.digest;
  }

  private isValidated(slot: Slot): boolean {
    if (!slot.hex) return false;
    if (slot.height <= this.committedHeight) return this.committedHashes.get(slot.height) === slot.hex;
    return this.validatedOk.has(slot.hex);
  }

  private hasUncommittedSlots(): boolean {
    for (const slot of this.slots.values()) if (slot.hex && slot.height > this.committedHeight) return true;
    return false;
  }

  // -------------------------------------------------------------------------
  // Restore and start
  // -------------------------------------------------------------------------

  private restore(wal: readonly WalRecord[], committedHeaders: readonly BlockHeader[]): void {
    const head = committedHeaders[committedHeaders.length - 1];
    if (!head) {
      throw new ValidationError('CONSENSUS_RESTORE_INCOMPLETE', 'no committed header given', {
        hint: 'pass at least the genesis header',
      });
    }
    this.committedHeight = head.height;
    this.committedHash = headerHashOf(head);
    for (const header of committedHeaders)
      this.committedHashes.set(header.height, toHex(headerHashOf(header)));

    // Reputation: the latest snapshot at or below the head, then replay the headers above it.
    let snapshot = genesisReputation(this.validators.size);
    for (const record of wal) {
      if (record.type === 'reputation' && record.snapshot.height <= head.height) {
        if (record.snapshot.height >= snapshot.height) snapshot = record.snapshot;
      }
    }
    this.reputation = new Reputation(snapshot, this.K);
    const byHeight = new Map(committedHeaders.map((h) => [h.height, h]));
    for (let h = snapshot.height + 1; h <= head.height; h++) {
      const header = byHeight.get(h);
      if (!header) {
        throw new ValidationError(
          'CONSENSUS_RESTORE_INCOMPLETE',
          `committed header ${h} is needed to rebuild the reputation record`,
          { hint: 'pass the last 2 x checkpointInterval committed headers, oldest first' },
        );
      }
      this.reputation.onCommit(h, header.view);
    }

    // Stable checkpoint: the highest proof known; the low watermark follows from it and the head.
    for (const record of wal) {
      if (record.type === 'checkpoint' && record.proof.height > this.stable.height)
        this.stable = record.proof;
    }
    this.lowWatermark = this.lowWatermarkTarget();

    // Our vote for the latest checkpoint we committed: volatile, but others may still need it.
    const latestCheckpoint = Math.floor(head.height / this.K) * this.K;
    const checkpointHeader = byHeight.get(latestCheckpoint);
    if (this.isValidator && latestCheckpoint > this.lowWatermark && checkpointHeader) {
      const message = this.sign({
        type: 'checkpoint',
        height: latestCheckpoint,
        headerHash: headerHashOf(checkpointHeader),
        stateRoot: checkpointHeader.stateRoot,
      });
      this.myLatestCheckpoint = message;
      this.recordCheckpointVote(message);
    }

    // View: the later of the last view change started and the last view installed.
    let lastNewView: Extract<WalRecord, { type: 'newView' }> | undefined;
    let lastViewChange = -1;
    for (const record of wal) {
      if (record.type === 'newView' && (!lastNewView || record.view > lastNewView.view)) lastNewView = record;
      if (record.type === 'viewChange') lastViewChange = Math.max(lastViewChange, record.view);
    }
    const installed = lastNewView?.view ?? 0;
    this.view = installed;
    this.viewPrimary = lastNewView ? lastNewView.primary : this.primaryIndex(0);
    if (lastNewView) {
      this.viewBase = lastNewView.base;
      this.reproposalEnd = lastNewView.base.height + lastNewView.reproposals.length;
    }

    for (const record of wal) {
      if (record.type === 'vote' && record.block)
        this.blocks.set(toHex(headerHashOf(record.header)), record.block);
      if (record.type === 'prepared') {
        const cert = record.certificate;
        const h = cert.header.height;
        if (h > this.lowWatermark && (this.preparedCerts.get(h)?.view ?? -1) < cert.view) {
          this.preparedCerts.set(h, cert);
        }
      }
    }

    if (lastViewChange > installed) {
      this.view = lastViewChange;
      this.phase = 'viewChange';
      return;
    }

    // Normal phase in the installed view: rebuild its slots from the records.
    const primary = this.currentPrimary();
    if (lastNewView) {
      lastNewView.reproposals.forEach(({ header, primaryVote }) => {
        if (header.height <= this.decidedThrough) return;
        const slot = this.slot(header.height);
        this.acceptHeader(slot, header, true);
        slot.prepareVotes.set(primary, {
          hex: slot.hex!,
          vote: { validator: primary, signature: primaryVote },
        });
        if (primary === this.myIndex) slot.voted = true;
      });
    }
    for (const record of wal) {
      if (record.type === 'vote' && record.view === this.view && record.height > this.decidedThrough) {
        const slot = this.slot(record.height);
        if (!slot.hex) this.acceptHeader(slot, record.header, false);
        if (record.block) slot.block = record.block;
        slot.prepareVotes.set(primary, {
          hex: slot.hex!,
          vote: { validator: primary, signature: record.primaryVote },
        });
        slot.voted = true;
        // Rebuild what we said, to retransmit it unchanged (signatures are deterministic).
        if (primary === this.myIndex && record.block) {
          slot.prePrepare = {
            body: { type: 'prePrepare', view: this.view, height: record.height, block: record.block },
            signer: this.myIndex,
            signature: record.primaryVote,
          };
        } else if (this.isValidator) {
          slot.myPrepare = this.sign({
            type: 'prepare',
            view: this.view,
            height: record.height,
            headerHash: slot.digest!,
          });
          slot.prepareVotes.set(this.myIndex, {
            hex: slot.hex!,
            vote: { validator: this.myIndex, signature: slot.myPrepare.signature },
          });
        }
      }
    }
    for (const record of wal) {
      if (record.type === 'prepared' && record.certificate.view === this.view) {
        const slot = this.slots.get(record.certificate.header.height);
        if (slot?.hex === toHex(headerHashOf(record.certificate.header))) {
          slot.prepared = true;
          for (const vote of record.certificate.votes) {
            slot.prepareVotes.set(vote.validator, { hex: slot.hex, vote });
          }
        }
      }
      if (record.type === 'commitVote' && record.view === this.view) {
        const slot = this.slots.get(record.height);
        if (slot && slot.hex === toHex(record.headerHash)) {
          slot.commitSent = true;
          slot.myCommit = this.sign({
            type: 'commit',
            view: this.view,
            height: record.height,
            headerHash: record.headerHash,
          });
          slot.commitVotes.set(this.myIndex, {
            hex: slot.hex,
            vote: { validator: this.myIndex, signature: slot.myCommit.signature },
          });
        }
      }
    }
    this.commitVotedThrough = Math.max(this.viewBase.height, this.committedHeight, this.stable.height);
    while (this.slots.get(this.commitVotedThrough + 1)?.commitSent) this.commitVotedThrough++;
    let highest = Math.max(this.reproposalEnd, this.committedHeight);
    for (const slot of this.slots.values()) if (slot.hex) highest = Math.max(highest, slot.height);
    this.nextProposalHeight = highest + 1;
  }

  private onStart(): void {
    assert(!this.started, 'start fed twice');
    this.started = true;
    this.setTimer('status', this.statusIntervalMs);
    if (this.phase === 'viewChange') {
      const target = this.view;
      this.view = target - 1; // re-enter the view change we were in, re-sending our (rebuilt) VIEW-CHANGE
      this.phase = 'normal';
      this.startViewChange(target, true);
      return;
    }
    this.armViewTimers();
    if (this.stable.height > this.committedHeight) this.requestStateTransfer(this.stable.height, []);
  }

  private get statusIntervalMs(): number {
    return this.config.statusIntervalMs ?? this.config.parameters.heartbeatTimeoutMs;
  }

  private armViewTimers(): void {
    if (this.isPrimary) {
      this.cancelTimer('primaryTimeout');
      this.setTimer('heartbeat', this.config.parameters.heartbeatIntervalMs);
    } else {
      this.cancelTimer('heartbeat');
      this.setTimer('primaryTimeout', this.config.parameters.heartbeatTimeoutMs);
    }
  }

  // -------------------------------------------------------------------------
  // The pump: everything that can follow from a state change
  // -------------------------------------------------------------------------

  private advance(): void {
    if (this.phase === 'normal') {
      this.requestValidation();
      const heights = this.slotHeights();
      for (const h of heights) {
        const slot = this.slots.get(h)!;
        this.tryVote(slot);
        this.checkPrepared(slot);
      }
      this.sendCommitVotes();
      for (const h of heights) {
        const slot = this.slots.get(h);
        if (slot) this.checkCommitted(slot);
      }
      this.deliver();
      this.tryPropose();
    }
    this.updateProgressTimer();
  }

  /** Heights of the current view's slots in ascending order (votes go out in height order). */
  private slotHeights(): number[] {
    const heights = [...this.slots.keys()];
    for (let i = 1; i < heights.length; i++) {
      if (heights[i - 1]! > heights[i]!) return heights.sort((a, b) => a - b);
    }
    return heights;
  }

  private requestValidation(): void {
    let height = this.committedHeight + 1;
    let slot = this.slots.get(height);
    while (slot?.hex && this.isValidated(slot)) {
      height++;
      slot = this.slots.get(height);
    }
    if (!slot?.hex || !slot.block || !slot.header) return;
    const parent = this.parentHashFor(height);
    if (!parent || !equalBytes(parent, slot.header.parentHash)) return;
    if (this.validationInFlight.has(slot.hex)) return;
    this.validationInFlight.add(slot.hex);
    this.emit({ type: 'validate', block: slot.block });
  }

  private tryVote(slot: Slot): void {
    if (slot.voted || !this.isValidator || !slot.hex || !slot.header) return;
    if (this.isPrimary || !this.isValidated(slot) || slot.height <= this.decidedThrough) return;
    const primary = this.currentPrimary();
    const primaryVote = slot.prepareVotes.get(primary);
    if (!primaryVote || primaryVote.hex !== slot.hex) return;
    this.persist({
      type: 'vote',
      view: this.view,
      height: slot.height,
      header: slot.header,
      block: slot.block,
      primaryVote: primaryVote.vote.signature,
    });
    const message = this.sign({
      type: 'prepare',
      view: this.view,
      height: slot.height,
      headerHash: slot.digest!,
    });
    slot.voted = true;
    slot.myPrepare = message;
    slot.prepareVotes.set(this.myIndex, {
      hex: slot.hex,
      vote: { validator: this.myIndex, signature: message.signature },
    });
    this.broadcast(message);
  }

  private checkPrepared(slot: Slot): void {
    if (slot.prepared || !slot.voted || !slot.hex || !slot.header) return;
    if (this.countVotes(slot.prepareVotes, slot.hex) < this.quorum) return;
    slot.prepared = true;
    const certificate: PreparedCertificate = {
      view: this.view,
      header: slot.header,
      votes: this.quorumVotes(slot.prepareVotes, slot.hex, this.quorum),
    };
    this.preparedCerts.set(slot.height, certificate);
    this.persist({ type: 'prepared', certificate });
  }

  private sendCommitVotes(): void {
    if (!this.isValidator) return;
    for (;;) {
      const height = this.commitVotedThrough + 1;
      const slot = this.slots.get(height);
      if (!slot?.prepared || !slot.hex) return;
      if (!slot.commitSent) {
        this.persist({ type: 'commitVote', view: this.view, height, headerHash: slot.digest! });
        const message = this.sign({ type: 'commit', view: this.view, height, headerHash: slot.digest! });
        slot.commitSent = true;
        slot.myCommit = message;
        slot.commitVotes.set(this.myIndex, {
          hex: slot.hex,
          vote: { validator: this.myIndex, signature: message.signature },
        });
        this.broadcast(message);
      }
      this.commitVotedThrough = height;
    }
  }

  private checkCommitted(slot: Slot): void {
    if (slot.committedLocal || !slot.prepared || !slot.commitSent || !slot.hex) return;
    if (this.countVotes(slot.commitVotes, slot.hex) < this.commitQuorum) return;
    slot.committedLocal = true;
  }

  private deliver(): void {
    for (;;) {
      const slot = this.slots.get(this.committedHeight + 1);
      if (!slot?.committedLocal || !slot.block || !slot.hex) return;
      const certificate: CommitCertificate = {
        view: this.view,
        height: slot.height,
        headerHash: slot.digest!,
        votes: this.quorumVotes(slot.commitVotes, slot.hex, this.commitQuorum),
      };
      this.commitBlock(slot.block, certificate);
    }
  }

  private commitBlock(block: Block, certificate: CommitCertificate): void {
    const header = block.header;
    const hash = headerHashOf(header);
    assert(
      header.height === this.committedHeight + 1,
      `commit ${header.height} after ${this.committedHeight}`,
    );
    assert(
      equalBytes(header.parentHash, this.committedHash),
      `block ${header.height} does not extend the head`,
    );
    const epoch = this.reputation.onCommit(header.height, header.view);
    const change = this.pendingSetChange?.boundary === header.height ? this.pendingSetChange : undefined;
    // At a set change the rotation starts afresh over the new set (its indices differ).
    const reputation = change
      ? new Reputation(
          { ...genesisReputation(change.validators.size), height: header.height, lastView: header.view },
          this.K,
        )
      : this.reputation;
    if (epoch || change) this.persist({ type: 'reputation', snapshot: reputation.snapshot() });
    this.emit({ type: 'commit', block, certificate });
    this.committedHeight = header.height;
    this.committedHash = hash;
    this.committedHashes.set(header.height, toHex(hash));
    this.commitVotedThrough = Math.max(this.commitVotedThrough, this.committedHeight);
    this.nextProposalHeight = Math.max(this.nextProposalHeight, this.committedHeight + 1);
    this.viewChangeBackoff = 0;
    if (this.armed.has('progress')) this.cancelTimer('progress');
    if (header.height % this.K === 0 && this.isValidator) {
      const message = this.sign({
        type: 'checkpoint',
        height: header.height,
        headerHash: hash,
        stateRoot: header.stateRoot,
      });
      this.myLatestCheckpoint = message;
      this.recordCheckpointVote(message);
      this.broadcast(message);
    }
    // The boundary block and its checkpoint belong to the old set; everything above to the new one.
    if (change) this.applySetChange(change, reputation);
    if (this.stable.height === this.committedHeight) this.checkStableAgainstLedger(this.stable);
    this.advanceLowWatermark(this.lowWatermarkTarget());
  }

  /**
   * The low watermark h: the highest checkpoint height that is both covered
   * by the highest stable checkpoint proof and committed here,
   * `min(stable, K * floor(committed / K))`. A function of durable state only,
   * so a restarted replica computes the same h as before its crash.
   */
  private lowWatermarkTarget(): number {
    return Math.min(this.stable.height, Math.floor(this.committedHeight / this.K) * this.K);
  }

  private updateProgressTimer(): void {
    const work =
      this.phase === 'normal' && this.isValidator && (this.pending.count > 0 || this.hasUncommittedSlots());
    if (work && !this.armed.has('progress'))
      this.setTimer('progress', this.config.parameters.requestTimeoutMs);
    if (!work) this.cancelTimer('progress');
  }

  // -------------------------------------------------------------------------
  // Primary: batching and proposals
  // -------------------------------------------------------------------------

  private proposalBarrier(): number {
    return this.pendingSetChange ? this.pendingSetChange.boundary : Number.POSITIVE_INFINITY;
  }

  private tryPropose(): void {
    if (!this.isPrimary || this.phase !== 'normal' || this.awaitingProposal !== null) return;
    const height = this.nextProposalHeight;
    if (height > this.lowWatermark + this.W || height > this.proposalBarrier()) return;
    if (height <= this.committedHeight || height <= this.stable.height) return;
    const parentSlot = this.slots.get(height - 1);
    const parentReady =
      height - 1 === this.committedHeight || (parentSlot?.hex !== undefined && this.isValidated(parentSlot));
    if (!parentReady) return;
    if (this.pending.count === 0) {
      this.batchExpired = false;
      this.proposalCameBackEmpty = false;
      this.cancelTimer('batch');
      return;
    }
    const p = this.config.parameters;
    const full = this.pending.count >= p.maxBatchCount || this.pending.bytes >= p.maxBatchBytes;
    if ((full && !this.proposalCameBackEmpty) || this.batchExpired) {
      this.cancelTimer('batch');
      this.batchExpired = false;
      this.proposalCameBackEmpty = false;
      this.awaitingProposal = height;
      const parentHash = height - 1 === this.committedHeight ? this.committedHash : parentSlot!.digest!;
      this.emit({
        type: 'propose',
        height,
        view: this.view,
        parentHash,
        maxCount: p.maxBatchCount,
        maxBytes: p.maxBatchBytes,
      });
      return;
    }
    if (!this.armed.has('batch')) this.setTimer('batch', p.maxBatchAgeMs);
  }

  private onProposal(height: number, block: Block | null): void {
    if (this.awaitingProposal !== height) return; // stale: the view changed meanwhile
    this.awaitingProposal = null;
    if (!block) {
      this.proposalCameBackEmpty = true;
      return;
    }
    const header = block.header;
    const p = this.config.parameters;
    const parent =
      height - 1 === this.committedHeight ? this.committedHash : this.slots.get(height - 1)?.digest;
    const problems: string[] = [];
    if (header.height !== height) problems.push(`height ${header.height} != ${height}`);
    if (!parent || !equalBytes(header.parentHash, parent))
      problems.push('parentHash is not the requested parent');
    if (header.view !== this.view) problems.push(`view ${header.view} != ${this.view}`);
    if (!equalBytes(header.proposer, this.config.publicKey)) problems.push('proposer is not this replica');
    if (header.chainId !== this.chainId) problems.push('chainId differs');
    if (!equalBytes(header.validatorSetHash, this.validators.hash)) problems.push('validatorSetHash differs');
    if (!equalBytes(header.transactionsRoot, this.config.transactionsRoot(block.txs)))
      problems.push('transactionsRoot does not match the txs');
    if (block.txs.length > p.maxBatchCount || batchBytes(block.txs) > p.maxBatchBytes)
      problems.push('batch over maxBatchCount / maxBatchBytes');
    if (problems.length > 0) {
      throw new ValidationError(
        'CONSENSUS_BAD_PROPOSAL',
        `proposal for height ${height}: ${problems.join('; ')}`,
        {
          hint: "the node must build the block exactly as the core's propose output asked",
        },
      );
    }
    if (this.phase !== 'normal' || !this.isPrimary) return;
    const hash = headerHashOf(header);
    const hex = toHex(hash);
    const vote = this.signVote(prepareVoteBytes(this.chainId, this.view, height, hash));
    this.persist({ type: 'vote', view: this.view, height, header, block, primaryVote: vote.signature });
    const slot = this.slot(height);
    this.acceptHeader(slot, header, false);
    slot.block = block;
    slot.voted = true;
    slot.prepareVotes.set(this.myIndex, { hex, vote });
    this.blocks.set(hex, block);
    this.validatedOk.add(hex);
    const message: ConsensusMessage = {
      body: { type: 'prePrepare', view: this.view, height, block: { header, txs: [...block.txs] } },
      signer: this.myIndex,
      signature: vote.signature,
    };
    slot.prePrepare = message;
    this.broadcast(message);
    this.sentSinceHeartbeat = true;
    this.nextProposalHeight = height + 1;
    this.pending = { count: 0, bytes: 0 }; // the node reports what is left after this batch
  }

  private acceptHeader(slot: Slot, header: BlockHeader, reproposal: boolean): void {
    slot.header = header;
    slot.digest = headerHashOf(header);
    slot.hex = toHex(slot.digest);
    slot.reproposal = reproposal;
    const known = this.blocks.get(slot.hex);
    if (known && !slot.block) slot.block = known;
  }

  // -------------------------------------------------------------------------
  // Executor answers
  // -------------------------------------------------------------------------

  private onValidated(headerHash: Uint8Array, ok: boolean): void {
    const hex = toHex(headerHash);
    if (!this.validationInFlight.delete(hex)) return;
    if (ok) {
      this.validatedOk.add(hex);
      return;
    }
    // The executor refused a block: whoever signed its PRE-PREPARE in this view proposed an invalid block.
    for (const slot of this.slots.values()) {
      if (slot.hex === hex && this.phase === 'normal') {
        const primary = this.currentPrimary();
        this.misbehaviour(primary, 'invalidBlock');
        this.startViewChange(this.view + 1);
        return;
      }
    }
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
    const maxSigners = Math.max(this.validators.size, this.previousValidators?.set.size ?? 0);
    if (!Number.isSafeInteger(message.signer) || message.signer < 0 || message.signer >= maxSigners) return;
    if (message.signer === this.myIndex) return; // our own messages come back only as replays
    const body = message.body;
    if (
      (body.type === 'prePrepare' || body.type === 'prepare' || body.type === 'commit') &&
      (body.view > this.view || (body.view === this.view && this.phase === 'viewChange'))
    ) {
      // Possibly a view we are about to install (its NEW-VIEW may arrive after its first votes).
      if (body.view <= this.view + 1) {
        if (this.futureMessages.length >= MAX_FUTURE_MESSAGES) this.futureMessages.shift();
        this.futureMessages.push(message);
      }
      return;
    }
    this.dispatch(message);
  }

  private dispatch(message: ConsensusMessage): void {
    switch (message.body.type) {
      case 'prePrepare':
        this.onPrePrepare(message, message.body);
        return;
      case 'prepare':
        this.onVote(message, message.body, 'prepare');
        return;
      case 'commit':
        this.onVote(message, message.body, 'commit');
        return;
      case 'checkpoint':
        this.onCheckpoint(message, message.body);
        return;
      case 'viewChange':
        this.onViewChange(message, message.body);
        return;
      case 'newView':
        this.onNewView(message, message.body);
        return;
      case 'heartbeat':
        this.onHeartbeat(message, message.body);
        return;
      case 'status':
        this.onStatus(message, message.body);
        return;
      case 'fetchBlock':
        this.onFetchBlock(message, message.body);
        return;
      case 'block':
        this.onBlockReply(message, message.body);
        return;
    }
  }

  /** Shape checks any correct primary's block passes; failing one is provable misbehaviour. */
  private blockShapeOk(block: Block, height: number): boolean {
    const h = block.header;
    const p = this.config.parameters;
    return (
      h.height === height &&
      h.chainId === this.chainId &&
      equalBytes(h.validatorSetHash, this.setFor(height).hash) &&
      block.txs.length <= p.maxBatchCount &&
      batchBytes(block.txs) <= p.maxBatchBytes &&
      equalBytes(h.transactionsRoot, this.config.transactionsRoot(block.txs))
    );
  }

  private onPrePrepare(message: ConsensusMessage, body: BodyOf<'prePrepare'>): void {
    if (this.phase !== 'normal' || body.view !== this.view) return;
    const primary = this.currentPrimary();
    if (message.signer !== primary) return;
    const height = body.height;
    // Heights we already committed are still accepted (a block equal to ours counts as validated): our
    // votes on them in this view may be needed by replicas that did not commit them.
    if (!this.inWindow(height)) return;
    if (!this.verifyMessage(message)) return;
    this.resetPrimaryTimeout();
    const block: Block = body.block;
    const header = block.header;
    const hash = headerHashOf(header);
    const hex = toHex(hash);
    const slot = this.slot(height);
    if (height <= this.reproposalEnd) {
      // Re-proposal: the NEW-VIEW fixed the header; this message only brings the body.
      if (slot.hex !== hex) {
        this.misbehaviour(primary, 'equivocation');
        this.startViewChange(this.view + 1);
        return;
      }
      if (!slot.block) {
        if (!this.blockShapeOk(block, height)) return;
        slot.block = block;
        this.blocks.set(hex, block);
      }
      slot.prePrepare ??= message;
      return;
    }
    if (slot.hex !== undefined) {
      if (slot.hex !== hex) {
        // Two PRE-PREPAREs signed by the primary for one (view, height): provable equivocation.
        this.misbehaviour(primary, 'equivocation');
        this.startViewChange(this.view + 1);
      }
      return;
    }
    if (
      !this.blockShapeOk(block, height) ||
      header.view !== this.view ||
      !equalBytes(header.proposer, this.keyOf(primary))
    ) {
      this.misbehaviour(primary, 'badProposalShape');
      this.startViewChange(this.view + 1);
      return;
    }
    this.acceptHeader(slot, header, false);
    slot.block = block;
    slot.prePrepare = message;
    this.blocks.set(hex, block);
    const previous = slot.prepareVotes.get(primary);
    if (!previous) {
      slot.prepareVotes.set(primary, { hex, vote: { validator: primary, signature: message.signature } });
    }
  }

  private onVote(
    message: ConsensusMessage,
    body: BodyOf<'prepare' | 'commit'>,
    kind: 'prepare' | 'commit',
  ): void {
    if (this.phase !== 'normal' || body.view !== this.view) return;
    // Votes for heights we already committed still count: in a new view we vote on re-proposals of them
    // too (other replicas may need our COMMITs), and COMMITs go out in height order from the view's base.
    if (!this.inWindow(body.height)) return;
    const slot = this.slot(body.height);
    const votes = kind === 'prepare' ? slot.prepareVotes : slot.commitVotes;
    const hex = toHex(body.headerHash);
    const existing = votes.get(message.signer);
    if (existing) {
      if (existing.hex !== hex) this.misbehaviour(message.signer, 'conflictingVote');
      return;
    }
    if (!this.verifyMessage(message)) return;
    votes.set(message.signer, { hex, vote: { validator: message.signer, signature: message.signature } });
  }

  private onHeartbeat(message: ConsensusMessage, body: BodyOf<'heartbeat'>): void {
    if (this.phase !== 'normal' || body.view !== this.view) return;
    if (message.signer !== this.currentPrimary() || !this.verifyMessage(message)) return;
    this.resetPrimaryTimeout();
  }

  private resetPrimaryTimeout(): void {
    if (!this.isPrimary) this.setTimer('primaryTimeout', this.config.parameters.heartbeatTimeoutMs);
  }

  // -------------------------------------------------------------------------
  // Checkpoints and garbage collection
  // -------------------------------------------------------------------------

  private recordCheckpointVote(message: ConsensusMessage): void {
    const body = message.body as BodyOf<'checkpoint'>;
    let votes = this.checkpointVotes.get(body.height);
    if (!votes) {
      votes = new Map();
      this.checkpointVotes.set(body.height, votes);
    }
    if (votes.has(message.signer)) return;
    const key = `${toHex(body.headerHash)}/${toHex(body.stateRoot)}`;
    votes.set(message.signer, {
      key,
      headerHash: body.headerHash,
      stateRoot: body.stateRoot,
      vote: { validator: message.signer, signature: message.signature },
    });
    let matching = 0;
    for (const entry of votes.values()) if (entry.key === key) matching++;
    const quorum = this.setFor(body.height).quorum;
    if (matching < quorum || body.height <= this.stable.height) return;
    const proof: CheckpointProof = {
      height: body.height,
      headerHash: body.headerHash,
      stateRoot: body.stateRoot,
      votes: [...votes.values()]
        .filter((e) => e.key === key)
        .map((e) => e.vote)
        .sort(sortVotes)
        .slice(0, quorum),
    };
    this.adoptStableProof(
      proof,
      [...votes.values()].filter((e) => e.key === key).map((e) => e.vote.validator),
    );
  }

  private onCheckpoint(message: ConsensusMessage, body: BodyOf<'checkpoint'>): void {
    if (body.height % this.K !== 0 || body.height <= this.lowWatermark) return;
    if (body.height > Math.max(this.lowWatermark, this.committedHeight) + 2 * this.W) return;
    if (this.checkpointVotes.get(body.height)?.has(message.signer)) return;
    if (!this.verifyMessage(message)) return;
    this.recordCheckpointVote(message);
  }

  private checkStableAgainstLedger(proof: CheckpointProof): void {
    const mine = this.committedHashes.get(proof.height);
    assert(
      mine === undefined || mine === toHex(proof.headerHash),
      `stable checkpoint ${proof.height} disagrees with the committed block: more than f faulty replicas`,
    );
  }

  /** A stable checkpoint proof became known (own votes, a VIEW-CHANGE or a NEW-VIEW). */
  private adoptStableProof(proof: CheckpointProof, holders: readonly number[]): void {
    if (proof.height <= this.stable.height) return;
    this.stable = proof;
    this.persist({ type: 'checkpoint', proof });
    // The stable block is committed (2f+1 replicas executed it): a valid commit anchor (rule R2).
    this.commitVotedThrough = Math.max(this.commitVotedThrough, proof.height);
    if (this.committedHeight >= proof.height) this.checkStableAgainstLedger(proof);
    else this.requestStateTransfer(proof.height, holders);
    this.advanceLowWatermark(this.lowWatermarkTarget());
  }

  private advanceLowWatermark(height: number): void {
    if (height <= this.lowWatermark) return;
    this.lowWatermark = height;
    for (const h of [...this.slots.keys()]) if (h <= height) this.slots.delete(h);
    for (const h of [...this.preparedCerts.keys()]) if (h <= height) this.preparedCerts.delete(h);
    for (const h of [...this.checkpointVotes.keys()]) if (h <= height) this.checkpointVotes.delete(h);
    for (const h of [...this.committedHashes.keys()]) if (h < height) this.committedHashes.delete(h);
    for (const [hex, block] of [...this.blocks]) {
      if (block.header.height <= height) {
        this.blocks.delete(hex);
        this.validatedOk.delete(hex);
      }
    }
    for (const hex of [...this.validatedOk]) if (!this.blocks.has(hex)) this.validatedOk.delete(hex);
  }

  // -------------------------------------------------------------------------
  // View change
  // -------------------------------------------------------------------------

  private startViewChange(target: number, resume = false): void {
    if (target <= this.view && !resume) return;
    if (!this.isValidator) {
      // An observer follows views only through NEW-VIEW messages.
      return;
    }
    this.phase = 'viewChange';
    this.view = target;
    if (!resume) this.persist({ type: 'viewChange', view: target });
    this.slots = new Map();
    this.awaitingProposal = null;
    this.batchExpired = false;
    this.proposalCameBackEmpty = false;
    for (const name of ['heartbeat', 'primaryTimeout', 'progress', 'batch', 'viewChange'] as const) {
      this.cancelTimer(name);
    }
    const prepared = [...this.preparedCerts.values()]
      .filter((c) => c.header.height > this.stable.height && c.header.height <= this.stable.height + this.W)
      .sort((a, b) => a.header.height - b.header.height);
    const message = this.sign({ type: 'viewChange', newView: target, checkpoint: this.stable, prepared });
    this.myViewChange = message;
    this.viewChanges.set(this.myIndex, { view: target, message });
    this.validViewChangeSignatures.add(toHex(message.signature));
    this.broadcast(message);
    this.onViewChangeProgress();
  }

  private isValidViewChange(body: ViewChangeBodyT): boolean {
    const cp = body.checkpoint;
    if (
      !isValidCheckpointProof(
        this.chainId,
        cp,
        this.setFor(cp.height),
        this.config.verify,
        this.genesisHash,
        this.K,
      )
    ) {
      return false;
    }
    let last = cp.height;
    for (const cert of body.prepared) {
      const h = cert.header.height;
      if (h <= last || h > cp.height + this.W || cert.view >= body.newView) return false;
      if (!isValidPreparedCertificate(this.chainId, cert, this.setFor(h), this.config.verify)) return false;
      last = h;
    }
    return true;
  }

  private onViewChange(message: ConsensusMessage, body: BodyOf<'viewChange'>): void {
    if (body.newView < this.view || (this.phase === 'normal' && body.newView === this.view)) return;
    const existing = this.viewChanges.get(message.signer);
    if (existing && existing.view >= body.newView) return;
    const sigHex = toHex(message.signature);
    if (!this.validViewChangeSignatures.has(sigHex)) {
      if (!this.verifyMessage(message) || !this.isValidViewChange(body)) {
        this.misbehaviour(message.signer, 'invalidViewChange');
        return;
      }
      this.validViewChangeSignatures.add(sigHex);
    }
    this.viewChanges.set(message.signer, { view: body.newView, message });
    if (body.checkpoint.height > this.stable.height) {
      this.adoptStableProof(body.checkpoint, [message.signer]);
    }
    // PBFT: f+1 replicas asking for views above ours include a correct one: join them.
    const ahead = [...this.viewChanges.values()]
      .filter((e) => e.view > this.view)
      .map((e) => e.view)
      .sort((a, b) => b - a);
    if (ahead.length >= this.validators.f + 1) {
      this.startViewChange(ahead[this.validators.f]!);
      return;
    }
    this.onViewChangeProgress();
  }

  private onViewChangeProgress(): void {
    if (this.phase !== 'viewChange') return;
    // Replicas already asking for a later view have given up on this one too: they count for the timer.
    let atOrBeyond = 0;
    for (const entry of this.viewChanges.values()) if (entry.view >= this.view) atOrBeyond++;
    if (atOrBeyond >= this.quorum && !this.armed.has('viewChange')) {
      // The next primary is known in advance; if it has been silent for several status intervals, do not
      // back off waiting for it (skipping a view is always safe, waiting for a dead primary is not useful).
      const cap = this.config.maxViewChangeBackoff ?? 4;
      const ms = this.suspected(this.primaryIndex(this.view))
        ? this.statusIntervalMs
        : this.config.parameters.viewChangeTimeoutMs * 2 ** Math.min(this.viewChangeBackoff, cap);
      this.setTimer('viewChange', ms);
    }
    const forTarget = [...this.viewChanges.entries()].filter(([, e]) => e.view === this.view);
    if (forTarget.length >= this.quorum && this.isPrimary && this.newViewSentFor < this.view) {
      this.sendNewView(forTarget);
    }
  }

  private sendNewView(entries: [number, ViewChangeEntry][]): void {
    const chosen = entries
      .sort(([a], [b]) => (a === this.myIndex ? -1 : b === this.myIndex ? 1 : a - b))
      .slice(0, this.quorum)
      .map(([, e]) => e.message);
    const bodies = chosen.map((m) => this.viewChangeBodyOf(m));
    const decision = decideNewView(bodies, this.W, this.config.unsafeTesting?.skipReproposal);
    const votes = decision.reproposals.map((cert) => ({
      height: cert.header.height,
      signature: this.config.sign(
        prepareVoteBytes(this.chainId, this.view, cert.header.height, headerHashOf(cert.header)),
      ),
    }));
    const viewChanges: SignedViewChange[] = chosen.map((m) => ({
      body: this.viewChangeBodyOf(m),
      signer: m.signer,
      signature: m.signature,
    }));
    const message = this.sign({ type: 'newView', view: this.view, viewChanges, votes });
    this.newViewSentFor = this.view;
    this.installNewView(message, decision, votes, true);
  }

  private viewChangeBodyOf(message: ConsensusMessage): ViewChangeBodyT {
    const { type: _type, ...rest } = message.body as BodyOf<'viewChange'>;
    return rest;
  }

  private onNewView(message: ConsensusMessage, body: BodyOf<'newView'>): void {
    if (body.view < this.view || (this.phase === 'normal' && body.view === this.view)) return;
    if (!this.isValidNewViewSender(message.signer, body.view)) return;
    if (!this.verifyMessage(message)) return;
    const decision = this.checkNewView(message.signer, body);
    if (!decision) {
      this.misbehaviour(message.signer, 'invalidNewView');
      return;
    }
    this.installNewView(message, decision, body.votes, false);
  }

  /** Recomputes the NEW-VIEW decision from its VIEW-CHANGEs; undefined if anything in it is wrong. */
  private checkNewView(primary: number, body: BodyOf<'newView'>): NewViewDecision | undefined {
    const signers = new Set<number>();
    const bodies: ViewChangeBodyT[] = [];
    for (const vc of body.viewChanges) {
      if (vc.body.newView !== body.view || signers.has(vc.signer)) return undefined;
      if (vc.signer < 0 || vc.signer >= this.validators.size) return undefined;
      const sigHex = toHex(vc.signature);
      if (!this.validViewChangeSignatures.has(sigHex)) {
        const ok =
          this.config.verify(
            this.keyOf(vc.signer),
            viewChangeSigningBytes(this.chainId, vc.body),
            vc.signature,
          ) && this.isValidViewChange(vc.body);
        if (!ok) return undefined;
        this.validViewChangeSignatures.add(sigHex);
      }
      signers.add(vc.signer);
      bodies.push(vc.body);
    }
    if (signers.size < this.quorum) return undefined;
    const decision = decideNewView(bodies, this.W, this.config.unsafeTesting?.skipReproposal);
    if (body.votes.length !== decision.reproposals.length) return undefined;
    for (let i = 0; i < body.votes.length; i++) {
      const cert = decision.reproposals[i]!;
      const vote = body.votes[i]!;
      const signed = prepareVoteBytes(this.chainId, body.view, cert.header.height, headerHashOf(cert.header));
      if (vote.height !== cert.header.height) return undefined;
      if (!this.config.verify(this.keyOf(primary), signed, vote.signature)) return undefined;
    }
    return decision;
  }

  private isValidNewViewSender(signer: number, view: number): boolean {
    return signer === this.primaryIndex(view);
  }

  private installNewView(
    message: ConsensusMessage,
    decision: NewViewDecision,
    votes: readonly { height: number; signature: Uint8Array }[],
    own: boolean,
  ): void {
    const view = (message.body as BodyOf<'newView'>).view;
    this.persist({
      type: 'newView',
      view,
      primary: message.signer,
      base: decision.base,
      reproposals: decision.reproposals.map((cert, i) => ({
        header: cert.header,
        primaryVote: votes[i]!.signature,
      })),
    });
    if (own) this.broadcast(message);
    this.view = view;
    this.phase = 'normal';
    this.viewPrimary = message.signer;
    this.newViewMessage = message;
    this.viewBase = decision.base;
    this.reproposalEnd = decision.base.height + decision.reproposals.length;
    this.cancelTimer('viewChange');
    for (const [signer, entry] of [...this.viewChanges]) {
      if (entry.view <= view) this.viewChanges.delete(signer);
    }
    // Verified-signature cache: only VIEW-CHANGEs for later views can matter from now on.
    this.validViewChangeSignatures = new Set(
      [...this.viewChanges.values()].map((entry) => toHex(entry.message.signature)),
    );
    this.myViewChange = undefined;
    this.slots = new Map();
    const primary = message.signer;
    decision.reproposals.forEach((cert, i) => {
      const height = cert.header.height;
      if (height <= this.decidedThrough) return;
      const slot = this.slot(height);
      this.acceptHeader(slot, cert.header, true);
      const known = this.committedHashes.get(height);
      assert(
        height > this.committedHeight || known === undefined || known === slot.hex,
        `NEW-VIEW ${view} re-proposes a block at ${height} that conflicts with the committed one`,
      );
      slot.prepareVotes.set(primary, {
        hex: slot.hex!,
        vote: { validator: primary, signature: votes[i]!.signature },
      });
      if (primary === this.myIndex) slot.voted = true;
    });
    // COMMIT votes restart from the view's base (even for heights this replica already committed: others
    // may need them); heights at or below our own stable checkpoint have no slots and are skipped.
    this.commitVotedThrough = Math.max(decision.base.height, this.decidedThrough);
    this.nextProposalHeight = Math.max(this.reproposalEnd, this.committedHeight) + 1;
    this.awaitingProposal = null;
    this.batchExpired = false;
    this.proposalCameBackEmpty = false;
    if (decision.base.height > this.stable.height) {
      this.adoptStableProof(
        decision.base,
        decision.base.votes.map((v) => v.validator),
      );
    }
    this.emit({ type: 'viewChanged', view, primary: this.keyOf(primary) });
    this.armViewTimers();
    if (own) {
      for (const slot of [...this.slots.values()].sort((a, b) => a.height - b.height)) {
        if (!slot.reproposal || !slot.digest) continue;
        if (slot.block) {
          slot.prePrepare = this.reproposalMessage(slot);
          this.broadcast(slot.prePrepare);
        } else {
          this.broadcast(this.sign({ type: 'fetchBlock', height: slot.height, headerHash: slot.digest }));
        }
      }
    }
    // Votes for this view that arrived before its NEW-VIEW.
    const buffered = this.futureMessages;
    this.futureMessages = buffered.filter((m) => (m.body as { view: number }).view > view);
    for (const m of buffered) if ((m.body as { view: number }).view === view) this.dispatch(m);
  }

  private reproposalMessage(slot: Slot): ConsensusMessage {
    const primaryVote = slot.prepareVotes.get(this.myIndex)!;
    return {
      body: {
        type: 'prePrepare',
        view: this.view,
        height: slot.height,
        block: slot.block as BodyOf<'prePrepare'>['block'],
      },
      signer: this.myIndex,
      signature: primaryVote.vote.signature,
    };
  }

  // -------------------------------------------------------------------------
  // Bodies on demand
  // -------------------------------------------------------------------------

  private onFetchBlock(message: ConsensusMessage, body: BodyOf<'fetchBlock'>): void {
    const hex = toHex(body.headerHash);
    const block = this.blocks.get(hex);
    const key = `${message.signer}/${hex}`;
    if (!block || this.servedThisTick.has(key) || !this.isValidator) return;
    if (!this.verifyMessage(message)) return;
    this.servedThisTick.add(key);
    this.emit({
      type: 'send',
      to: this.keyOf(message.signer),
      message: this.sign({ type: 'block', block: block as BodyOf<'block'>['block'] }),
    });
  }

  private onBlockReply(message: ConsensusMessage, body: BodyOf<'block'>): void {
    const header = body.block.header;
    const hex = toHex(headerHashOf(header));
    const slot = this.slots.get(header.height);
    if (!slot || slot.hex !== hex || slot.block) return;
    if (!this.blockShapeOk(body.block, header.height) || !this.verifyMessage(message)) return;
    slot.block = body.block;
    this.blocks.set(hex, body.block);
    if (this.isPrimary && slot.reproposal && slot.voted) {
      slot.prePrepare = this.reproposalMessage(slot);
      this.broadcast(slot.prePrepare);
    }
  }

  // -------------------------------------------------------------------------
  // Timers, status and catch-up
  // -------------------------------------------------------------------------

  private onTimer(name: TimerName): void {
    switch (name) {
      case 'heartbeat':
        if (this.phase === 'normal' && this.isPrimary) {
          if (!this.sentSinceHeartbeat) {
            this.broadcast(
              this.sign({ type: 'heartbeat', view: this.view, height: this.nextProposalHeight - 1 }),
            );
          }
          this.sentSinceHeartbeat = false;
          this.setTimer('heartbeat', this.config.parameters.heartbeatIntervalMs);
        }
        return;
      case 'primaryTimeout':
        if (this.phase === 'normal' && !this.isPrimary) this.startViewChange(this.view + 1);
        return;
      case 'progress':
        if (this.phase === 'normal') this.startViewChange(this.view + 1);
        return;
      case 'viewChange':
        if (this.phase === 'viewChange') {
          if (!this.suspected(this.primaryIndex(this.view))) this.viewChangeBackoff++;
          this.startViewChange(this.view + 1);
        }
        return;
      case 'batch':
        this.batchExpired = true;
        return;
      case 'status':
        this.statusTick();
        this.setTimer('status', this.statusIntervalMs);
        return;
      case 'stateTransfer':
        if (this.committedHeight < this.stateTransferTarget) {
          this.emitStateTransfer(this.stateTransferTarget, []);
        } else {
          this.stateTransferTarget = 0;
        }
        return;
    }
  }

  private statusTick(): void {
    this.ticks++;
    this.servedThisTick.clear();
    if (this.isValidator) {
      this.broadcast(
        this.sign({
          type: 'status',
          view: this.view,
          changingView: this.phase === 'viewChange',
          committedHeight: this.committedHeight,
          stableHeight: this.stable.height,
        }),
      );
    }
    const stalled = this.committedHeight === this.lastTickCommitted;
    if (this.isValidator && this.myLatestCheckpoint) {
      const cp = this.myLatestCheckpoint.body as BodyOf<'checkpoint'>;
      if (cp.height > this.lowWatermark) this.broadcast(this.myLatestCheckpoint);
    }
    if (this.phase === 'viewChange' && this.myViewChange) {
      this.broadcast(this.myViewChange);
    } else if (stalled && this.phase === 'normal' && this.hasUncommittedSlots()) {
      this.retransmit();
    }
    // Lag: a peer reports commits beyond ours and we made no progress for a whole tick. One claim is
    // enough (transferred blocks carry verified certificates; a lie costs one fetch, bounded by the timer).
    let target = 0;
    for (const h of this.peerCommitted.values()) target = Math.max(target, h);
    if (stalled && target > this.committedHeight) {
      const peers = [...this.peerCommitted.entries()]
        .filter(([, h]) => h > this.committedHeight)
        .sort(([, a], [, b]) => b - a)
        .map(([i]) => i);
      this.requestStateTransfer(target, peers);
    }
    this.lastTickCommitted = this.committedHeight;
  }

  private retransmit(): void {
    const primary = this.isPrimary;
    // Every slot of this view, including heights we committed: a replica that installed the view late may
    // still need our votes for them (COMMITs go out in height order from the view's base).
    for (const slot of [...this.slots.values()].sort((a, b) => a.height - b.height)) {
      if (!slot.hex) continue;
      if (primary && slot.prePrepare) this.broadcast(slot.prePrepare);
      if (slot.myPrepare) this.broadcast(slot.myPrepare);
      if (slot.myCommit) this.broadcast(slot.myCommit);
      if (!slot.block && this.isValidator) {
        this.broadcast(this.sign({ type: 'fetchBlock', height: slot.height, headerHash: slot.digest! }));
      }
    }
  }

  private onStatus(message: ConsensusMessage, body: BodyOf<'status'>): void {
    if (!this.verifyMessage(message)) return;
    this.peerCommitted.set(message.signer, body.committedHeight);
    const behind = body.view < this.view || (body.changingView && body.view === this.view);
    if (this.phase === 'normal' && this.isPrimary && this.newViewMessage && behind) {
      this.emit({ type: 'send', to: this.keyOf(message.signer), message: this.newViewMessage });
    }
  }

  private requestStateTransfer(target: number, peers: readonly number[]): void {
    if (target <= this.committedHeight) return;
    if (this.stateTransferTarget >= target && this.armed.has('stateTransfer')) return;
    this.emitStateTransfer(target, peers);
  }

  private emitStateTransfer(target: number, peers: readonly number[]): void {
    this.stateTransferTarget = target;
    const ordered = peers.length > 0 ? peers : this.validators.publicKeys.map((_, i) => i);
    this.emit({
      type: 'requestStateTransfer',
      fromHeight: this.committedHeight + 1,
      toHeight: target,
      peers: ordered.filter((i) => i !== this.myIndex).map((i) => this.keyOf(i)),
    });
    this.setTimer('stateTransfer', this.config.parameters.requestTimeoutMs);
  }

  private onStateTransferred(
    blocks: readonly { readonly block: Block; readonly certificate: CommitCertificate }[],
  ): void {
    for (const { block, certificate } of blocks) {
      const header = block.header;
      if (header.height <= this.committedHeight) continue;
      if (header.height !== this.committedHeight + 1) break;
      if (!equalBytes(header.parentHash, this.committedHash)) break;
      if (!this.blockShapeOk(block, header.height)) break;
      try {
        verifyCommitCertificate(header, certificate, this.setFor(header.height), this.config.verify);
      } catch {
        break;
      }
      this.commitBlock(block, certificate);
    }
    if (this.committedHeight >= this.stateTransferTarget) {
      this.stateTransferTarget = 0;
      this.cancelTimer('stateTransfer');
    }
  }

  // -------------------------------------------------------------------------
  // Validator set changes
  // -------------------------------------------------------------------------

  private onValidatorSetChanged(committedAtHeight: number, validators: ValidatorSet): void {
    const earliest = committedAtHeight + this.W;
    const boundary = Math.ceil(earliest / this.K) * this.K;
    if (boundary <= this.committedHeight) {
      throw new ValidationError(
        'CONSENSUS_SET_CHANGE_TOO_LATE',
        `a validator set change committed at ${committedAtHeight} takes effect at ${boundary}, already committed`,
        { hint: 'report each validator-set change when its block commits' },
      );
    }
    this.pendingSetChange = { boundary, validators };
  }

  private applySetChange(
    change: { boundary: number; validators: ValidatorSet },
    reputation: Reputation,
  ): void {
    this.pendingSetChange = undefined;
    this.previousValidators = { set: this.validators, throughHeight: change.boundary };
    this.validators = change.validators;
    this.myIndex = change.validators.indexOf(this.config.publicKey);
    this.reputation = reputation;
    this.peerCommitted.clear();
    this.viewChanges.clear();
    this.lastHeard.clear();
    // A replica that left the set keeps following (as an observer, by state transfer).
    if (!this.isValidator) {
      for (const name of ['heartbeat', 'primaryTimeout', 'progress', 'batch'] as const)
        this.cancelTimer(name);
    }
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
