/**
 * Checkpoints and watermarks: collects CHECKPOINT votes into stable checkpoint
 * proofs, holds the highest stable proof known and the low watermark h, and
 * answers which heights are in the window (h, h + W].
 *
 * Contract: `stable` and `lowWatermark` only grow. The replica moves h to
 * `target(committed) = min(stable, K * floor(committed / K))`, a function of
 * durable state only, so a restarted replica computes the same h as before its
 * crash. Heights at or below `decidedThrough` are decided: the replica never
 * proposes or votes there again. This class only records; acting on a new
 * stable proof (persist, catch up, garbage-collect) is the replica's job.
 */

import { toHex } from '../../codec/bytes.ts';
import type { BodyOf, ConsensusMessage } from './messages.ts';
import { sortVotes } from './slot-log.ts';
import type { CheckpointProof, Vote } from './types.ts';

interface CheckpointVoteEntry {
  readonly key: string;
  readonly headerHash: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly vote: Vote;
}

/** A stable checkpoint proof that the votes just completed, with every validator that voted for it. */
export interface NewStableProof {
  readonly proof: CheckpointProof;
  readonly holders: readonly number[];
}

export class Checkpoints {
  private stableProof: CheckpointProof;
  private low = 0;
  private readonly votes = new Map<number, Map<number, CheckpointVoteEntry>>();
  private own: ConsensusMessage | undefined;

  constructor(
    private readonly K: number,
    private readonly W: number,
    genesis: CheckpointProof,
  ) {
    this.stableProof = genesis;
  }

  /** The highest stable checkpoint proof known. */
  get stable(): CheckpointProof {
    return this.stableProof;
  }

  get lowWatermark(): number {
    return this.low;
  }

  get highWatermark(): number {
    return this.low + this.W;
  }

  /**
   * Heights at or below the highest stable checkpoint known are decided: this
   * replica never proposes or votes there again, even before it has fetched
   * them (after a crash its WAL no longer holds its old votes there).
   */
  get decidedThrough(): number {
    return Math.max(this.low, this.stableProof.height);
  }

  inWindow(height: number): boolean {
    return height > this.decidedThrough && height <= this.low + this.W;
  }

  /**
   * The low watermark h for a replica that committed through `committedHeight`:
   * the highest checkpoint height both covered by the highest stable
   * checkpoint proof and committed here.
   */
  target(committedHeight: number): number {
    return Math.min(this.stableProof.height, Math.floor(committedHeight / this.K) * this.K);
  }

  /** This replica's vote for its latest committed checkpoint, while others may still need it. */
  get ownVoteToResend(): ConsensusMessage | undefined {
    if (!this.own) return undefined;
    return (this.own.body as BodyOf<'checkpoint'>).height > this.low ? this.own : undefined;
  }

  /** Whether a peer's CHECKPOINT is worth checking: a checkpoint height in range, not seen from it yet. */
  wants(message: ConsensusMessage, body: BodyOf<'checkpoint'>, committedHeight: number): boolean {
    if (body.height % this.K !== 0 || body.height <= this.low) return false;
    if (body.height > Math.max(this.low, committedHeight) + 2 * this.W) return false;
    return !this.votes.get(body.height)?.has(message.signer);
  }

  /** Records this replica's own CHECKPOINT vote (see `record`). */
  recordOwn(message: ConsensusMessage, quorum: number): NewStableProof | undefined {
    this.own = message;
    return this.record(message, quorum);
  }

  /**
   * Records a verified CHECKPOINT vote (the first of its signer at its height
   * counts). Returns the proof when `quorum` matching votes complete one above
   * the stable checkpoint; `adopt` it to make it stable.
   */
  record(message: ConsensusMessage, quorum: number): NewStableProof | undefined {
    const body = message.body as BodyOf<'checkpoint'>;
    let votes = this.votes.get(body.height);
    if (!votes) {
      votes = new Map();
      this.votes.set(body.height, votes);
    }
    if (votes.has(message.signer)) return undefined;
    const key = `${toHex(body.headerHash)}/${toHex(body.stateRoot)}`;
    votes.set(message.signer, {
      key,
      headerHash: body.headerHash,
      stateRoot: body.stateRoot,
      vote: { validator: message.signer, signature: message.signature },
    });
    let matching = 0;
    for (const entry of votes.values()) if (entry.key === key) matching++;
    if (matching < quorum || body.height <= this.stableProof.height) return undefined;
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
    return { proof, holders: [...votes.values()].filter((e) => e.key === key).map((e) => e.vote.validator) };
  }

  /** Makes `proof` the stable checkpoint if it is higher; false if it is not. */
  adopt(proof: CheckpointProof): boolean {
    if (proof.height <= this.stableProof.height) return false;
    this.stableProof = proof;
    return true;
  }

  /** Moves the low watermark up to `height` and forgets the votes at or below it; false if not higher. */
  advance(height: number): boolean {
    if (height <= this.low) return false;
    this.low = height;
    for (const h of [...this.votes.keys()]) if (h <= height) this.votes.delete(h);
    return true;
  }
}
