/**
 * Invariant checkers run on every simulated step (TigerBeetle's state checker
 * habit): each committed block of each correct replica is checked the moment
 * it is output.
 *
 * - agreement: no two correct replicas commit different blocks at a height;
 * - validity: every committed transaction was submitted by a client, and no
 *   transaction is committed at two heights;
 * - certificate: every commit certificate verifies against the validator set;
 * - honesty: no correct replica accuses another correct one of misbehaviour;
 * - no equivocation: a correct replica never signs two different votes for one
 *   (kind, view, height), across crashes and restarts;
 * - contract: the core never breaks the driver contract, never trips an assert.
 * Liveness is checked by the simulation at the end of a run.
 */

import type { ValidatorSet } from '../../chain/validator-set.ts';
import { toHex } from '../../codec/bytes.ts';
import { VerificationError } from '../../errors.ts';
import { type VerifyFunction, verifyCommitCertificate } from '../pbft/certificate.ts';
import { headerHashOf } from '../pbft/messages.ts';
import type { Block, CommitCertificate, Misbehaviour } from '../pbft/types.ts';
import { txId } from './node.ts';

export type ViolationKind =
  | 'agreement'
  | 'equivocation'
  | 'validity'
  | 'duplicate'
  | 'certificate'
  | 'accusation'
  | 'contract'
  | 'invariant'
  | 'liveness';

export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  readonly timeMs: number;
}

export class Checkers {
  readonly violations: Violation[] = [];
  private readonly committedByHeight = new Map<number, string>();
  private readonly txHeight = new Map<number, number>();
  readonly submitted = new Set<number>();
  commits = 0;

  constructor(
    private readonly correct: (replica: number) => boolean,
    /** The validator set that certifies each height. */
    private readonly validatorsAt: (height: number) => ValidatorSet,
    private readonly verify: VerifyFunction,
  ) {}

  get highestCommitted(): number {
    let max = 0;
    for (const h of this.committedByHeight.keys()) max = Math.max(max, h);
    return max;
  }

  get committedHeights(): number {
    return this.committedByHeight.size;
  }

  fail(kind: ViolationKind, message: string, timeMs: number): void {
    if (this.violations.length < 50) this.violations.push({ kind, message, timeMs });
  }

  onCommit(replica: number, block: Block, certificate: CommitCertificate, timeMs: number): void {
    if (!this.correct(replica)) return;
    this.commits++;
    const height = block.header.height;
    const hex = toHex(headerHashOf(block.header));
    const known = this.committedByHeight.get(height);
    if (known === undefined) {
      this.committedByHeight.set(height, hex);
      for (const tx of block.txs) {
        const id = txId(tx);
        if (!this.submitted.has(id)) {
          this.fail('validity', `height ${height}: tx ${id} was never submitted by a client`, timeMs);
        }
        const at = this.txHeight.get(id);
        if (at !== undefined && at !== height) {
          this.fail('duplicate', `tx ${id} committed at heights ${at} and ${height}`, timeMs);
        }
        this.txHeight.set(id, height);
      }
    } else if (known !== hex) {
      this.fail(
        'agreement',
        `replica ${replica} committed ${hex.slice(0, 12)} at height ${height}, another correct replica ${known.slice(0, 12)}`,
        timeMs,
      );
    }
    try {
      verifyCommitCertificate(block.header, certificate, this.validatorsAt(height), this.verify);
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      this.fail('certificate', `replica ${replica} height ${height}: ${error.code} ${error.message}`, timeMs);
    }
  }

  onAccusation(accuser: number, accused: number, kind: Misbehaviour, timeMs: number): void {
    if (this.correct(accuser) && this.correct(accused)) {
      this.fail(
        'accusation',
        `correct replica ${accuser} accused correct replica ${accused} of ${kind}`,
        timeMs,
      );
    }
  }

  private readonly votes = new Map<string, string>();

  /** Every vote a correct replica signs (PRE-PREPARE, PREPARE, COMMIT, NEW-VIEW re-proposal votes). */
  onVote(
    replica: number,
    kind: 'prepare' | 'commit',
    view: number,
    height: number,
    hex: string,
    timeMs: number,
  ): void {
    if (!this.correct(replica)) return;
    const key = `${replica}/${kind}/${view}/${height}`;
    const previous = this.votes.get(key);
    if (previous === undefined) this.votes.set(key, hex);
    else if (previous !== hex) {
      this.fail(
        'equivocation',
        `correct replica ${replica} signed two ${kind} votes at view ${view} height ${height}`,
        timeMs,
      );
    }
  }

  isCommitted(id: number): boolean {
    return this.txHeight.has(id);
  }
}
