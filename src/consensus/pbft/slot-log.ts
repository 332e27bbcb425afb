/**
 * The replica's message log: one `Slot` per height of the installed view (the
 * PRE-PREPARE, prepare and commit votes seen for it and what this replica said
 * there), plus what outlives a view: block bodies by header hash, which of
 * them the executor validated, and the prepared certificates a VIEW-CHANGE
 * reports. The functions on a `Slot` record votes and tell when it is prepared
 * or committed here.
 *
 * Contract: slots belong to one view (`resetSlots` when the view changes);
 * bodies, validation results and prepared certificates stay until the low
 * watermark passes their height (`prune`). Vote maps are keyed by validator
 * index, one vote per validator; a vote counts for the block whose header hash
 * (hex) it carries.
 */

import type { BlockHeader } from '../../chain/header.ts';
import { toHex } from '../../codec/bytes.ts';
import { type BodyOf, type ConsensusMessage, headerHashOf } from './messages.ts';
import type { Block, CommitCertificate, PreparedCertificate, Vote } from './types.ts';

export interface VoteEntry {
  readonly hex: string;
  readonly vote: Vote;
}

/** Normal-case state of one height in the current view. */
export interface Slot {
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

/** Certificates list their votes by validator index. */
export const sortVotes = (a: Vote, b: Vote) => a.validator - b.validator;

export function countVotes(votes: Map<number, VoteEntry>, hex: string): number {
  let n = 0;
  for (const entry of votes.values()) if (entry.hex === hex) n++;
  return n;
}

/** The first `size` votes (by validator index) for the block `hex`. */
export function quorumVotes(votes: Map<number, VoteEntry>, hex: string, size: number): Vote[] {
  const matching: Vote[] = [];
  for (const entry of votes.values()) if (entry.hex === hex) matching.push(entry.vote);
  return matching.sort(sortVotes).slice(0, size);
}

/** Records the primary's prepare vote (its PRE-PREPARE or NEW-VIEW signature) for the slot's block. */
export function notePrimaryVote(slot: Slot, primary: number, signature: Uint8Array): void {
  slot.prepareVotes.set(primary, { hex: slot.hex!, vote: { validator: primary, signature } });
}

/** The vote a message of this replica casts for the slot's block. */
function ownVote(slot: Slot, message: ConsensusMessage): VoteEntry {
  return { hex: slot.hex!, vote: { validator: message.signer, signature: message.signature } };
}

/** Notes this replica's own PREPARE `message` for the slot's block. */
export function notePrepareSent(slot: Slot, message: ConsensusMessage): void {
  slot.voted = true;
  slot.myPrepare = message;
  slot.prepareVotes.set(message.signer, ownVote(slot, message));
}

/** Notes this replica's own COMMIT `message` for the slot's block. */
export function noteCommitSent(slot: Slot, message: ConsensusMessage): void {
  slot.commitSent = true;
  slot.myCommit = message;
  slot.commitVotes.set(message.signer, ownVote(slot, message));
}

/**
 * Marks the slot prepared once this replica voted and `quorum` prepare votes
 * match its block; returns the prepared certificate then (once).
 */
export function prepareSlot(slot: Slot, view: number, quorum: number): PreparedCertificate | undefined {
  if (slot.prepared || !slot.voted || !slot.hex || !slot.header) return undefined;
  if (countVotes(slot.prepareVotes, slot.hex) < quorum) return undefined;
  slot.prepared = true;
  return { view, header: slot.header, votes: quorumVotes(slot.prepareVotes, slot.hex, quorum) };
}

/** Marks the slot committed here once it is prepared, this replica sent COMMIT and `quorum` COMMITs match. */
export function commitSlot(slot: Slot, quorum: number): void {
  if (slot.committedLocal || !slot.prepared || !slot.commitSent || !slot.hex) return;
  if (countVotes(slot.commitVotes, slot.hex) < quorum) return;
  slot.committedLocal = true;
}

/** The commit certificate of a slot committed here in `view`. */
export function commitCertificate(slot: Slot, view: number, quorum: number): CommitCertificate {
  return {
    view,
    height: slot.height,
    headerHash: slot.digest!,
    votes: quorumVotes(slot.commitVotes, slot.hex!, quorum),
  };
}

/** The PRE-PREPARE of primary `me` for a slot whose body it holds (a re-proposal: its NEW-VIEW vote signs it). */
export function reproposalMessage(slot: Slot, view: number, me: number): ConsensusMessage {
  const primaryVote = slot.prepareVotes.get(me)!;
  return {
    body: {
      type: 'prePrepare',
      view,
      height: slot.height,
      block: slot.block as BodyOf<'prePrepare'>['block'],
    },
    signer: me,
    signature: primaryVote.vote.signature,
  };
}

export class SlotLog {
  private slots = new Map<number, Slot>();
  private readonly prepared = new Map<number, PreparedCertificate>();
  private readonly blocks = new Map<string, Block>();
  private readonly validatedOk = new Set<string>();
  private readonly validationInFlight = new Set<string>();

  get(height: number): Slot | undefined {
    return this.slots.get(height);
  }

  /** The slot at `height`, created empty if there is none. */
  slot(height: number): Slot {
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

  /** Drops every slot: a view change starts the normal case afresh. */
  resetSlots(): void {
    this.slots = new Map();
  }

  values(): IterableIterator<Slot> {
    return this.slots.values();
  }

  /** The slots in ascending height order. */
  sorted(): Slot[] {
    return [...this.slots.values()].sort((a, b) => a.height - b.height);
  }

  /** Heights of the slots in ascending order (votes go out in height order). */
  heights(): number[] {
    const heights = [...this.slots.keys()];
    for (let i = 1; i < heights.length; i++) {
      if (heights[i - 1]! > heights[i]!) return heights.sort((a, b) => a - b);
    }
    return heights;
  }

  preparedHeights(): number[] {
    return [...this.slots.values()]
      .filter((s) => s.prepared)
      .map((s) => s.height)
      .sort((a, b) => a - b);
  }

  hasUncommitted(committedHeight: number): boolean {
    for (const slot of this.slots.values()) if (slot.hex && slot.height > committedHeight) return true;
    return false;
  }

  /** Fixes the slot's header; a body already known for it is attached. */
  acceptHeader(slot: Slot, header: BlockHeader, reproposal: boolean): void {
    slot.header = header;
    slot.digest = headerHashOf(header);
    slot.hex = toHex(slot.digest);
    slot.reproposal = reproposal;
    const known = this.blocks.get(slot.hex);
    if (known && !slot.block) slot.block = known;
  }

  block(hex: string): Block | undefined {
    return this.blocks.get(hex);
  }

  storeBlock(hex: string, block: Block): void {
    this.blocks.set(hex, block);
  }

  /** The body of the slot's block arrived (`hex`: its header hash). */
  attachBody(slot: Slot, hex: string, block: Block): void {
    slot.block = block;
    this.blocks.set(hex, block);
  }

  /** The primary's own new block at `height`, signed with its prepare `vote`: validated by construction. */
  recordProposal(height: number, block: Block, vote: Vote): Slot {
    const slot = this.slot(height);
    this.acceptHeader(slot, block.header, false);
    const hex = slot.hex!;
    slot.block = block;
    slot.voted = true;
    slot.prepareVotes.set(vote.validator, { hex, vote });
    this.blocks.set(hex, block);
    this.validatedOk.add(hex);
    return slot;
  }

  isValidated(hex: string): boolean {
    return this.validatedOk.has(hex);
  }

  markValidated(hex: string): void {
    this.validatedOk.add(hex);
  }

  /** False when the block is already being validated; otherwise notes that it is. */
  beginValidation(hex: string): boolean {
    if (this.validationInFlight.has(hex)) return false;
    this.validationInFlight.add(hex);
    return true;
  }

  /** False when no validation of the block was asked for (a stale or repeated answer). */
  endValidation(hex: string): boolean {
    return this.validationInFlight.delete(hex);
  }

  preparedCertificate(height: number): PreparedCertificate | undefined {
    return this.prepared.get(height);
  }

  setPrepared(height: number, certificate: PreparedCertificate): void {
    this.prepared.set(height, certificate);
  }

  /** Prepared certificates for heights `above+1 .. above+window`, in height order (for VIEW-CHANGE). */
  preparedAbove(above: number, window: number): PreparedCertificate[] {
    return [...this.prepared.values()]
      .filter((c) => c.header.height > above && c.header.height <= above + window)
      .sort((a, b) => a.header.height - b.header.height);
  }

  /** Garbage collection: forgets everything at or below `height` (the new low watermark). */
  prune(height: number): void {
    for (const h of [...this.slots.keys()]) if (h <= height) this.slots.delete(h);
    for (const h of [...this.prepared.keys()]) if (h <= height) this.prepared.delete(h);
    for (const [hex, block] of [...this.blocks]) {
      if (block.header.height <= height) {
        this.blocks.delete(hex);
        this.validatedOk.delete(hex);
      }
    }
    for (const hex of [...this.validatedOk]) if (!this.blocks.has(hex)) this.validatedOk.delete(hex);
  }
}
