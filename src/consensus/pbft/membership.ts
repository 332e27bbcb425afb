/**
 * Who takes part in consensus, as seen by one replica: the validator set in
 * force, the set before the last change (it still signs the heights up to its
 * boundary), this replica's index in the set (-1: a passive observer) and a
 * scheduled set change. Signs this replica's messages and checks peers'.
 *
 * Contract: a change reported as committed at height c takes effect after the
 * first checkpoint at or above c + watermarkWindow (`schedule`); the replica
 * applies it when it commits that boundary block (`changeAt`, then `apply`).
 * A signature about a height (votes, checkpoints) is checked against the set
 * that signs that height (`setFor`), any other against the current set.
 */

import type { ValidatorSet } from '../../chain/validator-set.ts';
import { assert, ValidationError } from '../../errors.ts';
import { type ConsensusMessage, type MessageBody, signingBytes } from './messages.ts';
import type { Outbox } from './outbox.ts';
import type { Misbehaviour, ReplicaConfig, Vote } from './types.ts';

export interface SetChange {
  /** The last height the old set signs (a checkpoint height). */
  readonly boundary: number;
  readonly validators: ValidatorSet;
}

/** The height a message's signature is about (votes, checkpoints), if any. */
function heightOf(body: MessageBody): number | undefined {
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

export class Membership {
  private current: ValidatorSet;
  /** The set before the last change, still the one that signed heights up to `throughHeight`. */
  private previous: { readonly set: ValidatorSet; readonly throughHeight: number } | undefined;
  private myIndex: number;
  private pending: SetChange | undefined;

  constructor(private readonly config: ReplicaConfig) {
    this.current = config.validators;
    this.previous = config.previousValidators;
    this.myIndex = config.validators.indexOf(config.publicKey);
  }

  /** The set in force now. */
  get validators(): ValidatorSet {
    return this.current;
  }

  get index(): number {
    return this.myIndex;
  }

  get isValidator(): boolean {
    return this.myIndex >= 0;
  }

  get quorum(): number {
    return this.current.quorum;
  }

  get commitQuorum(): number {
    return this.config.unsafeTesting?.commitWithTwoF ? 2 * this.current.f : this.current.quorum;
  }

  keyOf(index: number): Uint8Array {
    return this.current.publicKeys[index]!;
  }

  /** The validator set that signs votes, checkpoints and certificates at `height`. */
  setFor(height: number): ValidatorSet {
    const previous = this.previous;
    return previous && height <= previous.throughHeight ? previous.set : this.current;
  }

  /** No message signed by an index at or above this one can verify. */
  get signerLimit(): number {
    return Math.max(this.current.size, this.previous?.set.size ?? 0);
  }

  sign(body: MessageBody): ConsensusMessage {
    assert(this.isValidator, 'an observer never signs');
    return {
      body,
      signer: this.myIndex,
      signature: this.config.sign(signingBytes(this.config.chainId, body)),
    };
  }

  signVote(bytes: Uint8Array): Vote {
    return { validator: this.myIndex, signature: this.config.sign(bytes) };
  }

  /** True when the message's signature verifies under its signer's key. */
  verify(message: ConsensusMessage): boolean {
    const height = heightOf(message.body);
    const set = height === undefined ? this.current : this.setFor(height);
    if (message.signer < 0 || message.signer >= set.size) return false;
    return this.config.verify(
      set.publicKeys[message.signer]!,
      signingBytes(this.config.chainId, message.body),
      message.signature,
    );
  }

  /** The highest height the current set may propose: a scheduled change stops it at the boundary. */
  get proposalBarrier(): number {
    return this.pending ? this.pending.boundary : Number.POSITIVE_INFINITY;
  }

  /** A block committed at `committedAtHeight` changed the set; throws if its boundary is already committed. */
  schedule(committedAtHeight: number, validators: ValidatorSet, committedHeight: number): void {
    const p = this.config.parameters;
    const earliest = committedAtHeight + p.watermarkWindow;
    const boundary = Math.ceil(earliest / p.checkpointInterval) * p.checkpointInterval;
    if (boundary <= committedHeight) {
      throw new ValidationError(
        'CONSENSUS_SET_CHANGE_TOO_LATE',
        `a validator set change committed at ${committedAtHeight} takes effect at ${boundary}, already committed`,
        { hint: 'report each validator-set change when its block commits' },
      );
    }
    this.pending = { boundary, validators };
  }

  /** The scheduled change whose boundary is `height`, if any. */
  changeAt(height: number): SetChange | undefined {
    return this.pending?.boundary === height ? this.pending : undefined;
  }

  /** Installs `change`: its set signs everything above the boundary. */
  apply(change: SetChange): void {
    this.pending = undefined;
    this.previous = { set: this.current, throughHeight: change.boundary };
    this.current = change.validators;
    this.myIndex = change.validators.indexOf(this.config.publicKey);
  }
}

/** Reports `validator` (an index in the current set; any other index is ignored) for `kind`. */
export function reportMisbehaviour(
  out: Outbox,
  members: Membership,
  validator: number,
  kind: Misbehaviour,
): void {
  if (validator >= 0 && validator < members.validators.size) {
    out.emit({ type: 'misbehaviour', validator: members.keyOf(validator), kind });
  }
}
