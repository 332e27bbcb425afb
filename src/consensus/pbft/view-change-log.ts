/**
 * VIEW-CHANGE bookkeeping, and building and checking NEW-VIEW messages: the
 * latest VIEW-CHANGE of each validator, a cache of VIEW-CHANGEs already
 * verified (signer, content and signature together), and the validity rules.
 * Which blocks a new view re-proposes is `decideNewView` (`view-change.ts`).
 *
 * Contract: a VIEW-CHANGE is valid when its checkpoint proof is, and its
 * prepared certificates are valid, strictly ascending in height, within the
 * window above that checkpoint and from views below the one asked for. A
 * NEW-VIEW for view v is valid when it carries at least 2f+1 valid
 * VIEW-CHANGEs for v from distinct validators and the primary's prepare vote
 * for exactly each re-proposal `decideNewView` picks from them, in height
 * order. Whether the sender is the primary of v is the replica's check.
 */

import { toHex } from '../../codec/bytes.ts';
import { keccak256 } from '../../crypto/keccak.ts';
import { isValidCheckpointProof, isValidPreparedCertificate } from './certificate.ts';
import type { Membership } from './membership.ts';
import {
  type BodyOf,
  type ConsensusMessage,
  headerHashOf,
  prepareVoteBytes,
  type SignedViewChange,
  type ViewChangeBodyT,
  viewChangeSigningBytes,
} from './messages.ts';
import type { ReplicaConfig } from './types.ts';
import { decideNewView, type NewViewDecision, newViewVotes } from './view-change.ts';

interface ViewChangeEntry {
  readonly view: number;
  readonly message: ConsensusMessage;
  /** Its `verifiedKey`. */
  readonly key: string;
}

/** The new primary's prepare vote for each re-proposed height, as a NEW-VIEW carries them. */
export type NewViewVotes = readonly { height: number; signature: Uint8Array }[];

/** A NEW-VIEW this replica built as the primary of its view. */
export interface OwnNewView {
  readonly message: ConsensusMessage;
  readonly decision: NewViewDecision;
  readonly votes: NewViewVotes;
}

/** The verified-cache key of a VIEW-CHANGE: its signer, a hash of its signed content, its signature. */
function verifiedKey(signer: number, signingBytes: Uint8Array, signature: Uint8Array): string {
  return `${signer}/${toHex(keccak256(signingBytes))}/${toHex(signature)}`;
}

function viewChangeBodyOf(message: ConsensusMessage): ViewChangeBodyT {
  const { type: _type, ...rest } = message.body as BodyOf<'viewChange'>;
  return rest;
}

export class ViewChangeLog {
  private readonly entries = new Map<number, ViewChangeEntry>();
  /**
   * `verifiedKey`s of VIEW-CHANGEs whose signature and content were checked. A hit
   * needs the same signer, content and signature: a signature alone would let a
   * Byzantine primary reuse one honest VIEW-CHANGE under another signer's index or
   * over other content, and so fake a NEW-VIEW quorum.
   */
  private verified = new Set<string>();

  constructor(
    private readonly config: ReplicaConfig,
    private readonly members: Membership,
    private readonly genesisHash: Uint8Array,
  ) {}

  /** Whether `signer` has not asked for `view` or a later one yet. */
  isNewFrom(signer: number, view: number): boolean {
    const existing = this.entries.get(signer);
    return !existing || existing.view < view;
  }

  /** Whether exactly this VIEW-CHANGE (signer, content, signature) was checked before. */
  isVerified(message: ConsensusMessage): boolean {
    return this.verified.has(this.messageKey(message));
  }

  /** Records a VIEW-CHANGE for `view` whose signature and content are valid, as its signer's latest. */
  record(message: ConsensusMessage, view: number): void {
    const key = this.messageKey(message);
    this.verified.add(key);
    this.entries.set(message.signer, { view, message, key });
  }

  private messageKey(message: ConsensusMessage): string {
    const signed = viewChangeSigningBytes(this.config.chainId, viewChangeBodyOf(message));
    return verifiedKey(message.signer, signed, message.signature);
  }

  /** PBFT: f+1 replicas asking for views above `view` include a correct one; the view to join, if so. */
  viewToJoin(view: number): number | undefined {
    const f = this.members.validators.f;
    const ahead = [...this.entries.values()]
      .filter((e) => e.view > view)
      .map((e) => e.view)
      .sort((a, b) => b - a);
    return ahead.length >= f + 1 ? ahead[f]! : undefined;
  }

  /** How many validators ask for `view` or a later one. */
  countAtOrBeyond(view: number): number {
    let atOrBeyond = 0;
    for (const entry of this.entries.values()) if (entry.view >= view) atOrBeyond++;
    return atOrBeyond;
  }

  /** The VIEW-CHANGEs asking for exactly `view`, by signer. */
  forView(view: number): [number, ConsensusMessage][] {
    return [...this.entries.entries()]
      .filter(([, e]) => e.view === view)
      .map(([signer, e]) => [signer, e.message]);
  }

  /** `view` was installed: only VIEW-CHANGEs for later views (and their verified signatures) matter now. */
  installed(view: number): void {
    for (const [signer, entry] of [...this.entries]) {
      if (entry.view <= view) this.entries.delete(signer);
    }
    this.verified = new Set([...this.entries.values()].map((entry) => entry.key));
  }

  /** Forgets every validator's VIEW-CHANGE and what was verified: the validator set changed, and with it whose key an index names. */
  clear(): void {
    this.entries.clear();
    this.verified.clear();
  }

  /** Whether a VIEW-CHANGE's content is valid (see above); its signature is checked apart. */
  isValid(body: ViewChangeBodyT): boolean {
    const { chainId, verify, parameters } = this.config;
    const cp = body.checkpoint;
    const set = this.members.setFor(cp.height);
    const K = parameters.checkpointInterval;
    if (!isValidCheckpointProof(chainId, cp, set, verify, this.genesisHash, K)) return false;
    let last = cp.height;
    for (const cert of body.prepared) {
      const h = cert.header.height;
      if (h <= last || h > cp.height + parameters.watermarkWindow || cert.view >= body.newView) return false;
      if (!isValidPreparedCertificate(chainId, cert, this.members.setFor(h), verify)) return false;
      last = h;
    }
    return true;
  }

  /**
   * The NEW-VIEW for `view` this replica sends as its primary, from `viewChanges`
   * (for `view`, at least 2f+1): its own and the lowest signers' first.
   */
  buildNewView(view: number, viewChanges: [number, ConsensusMessage][]): OwnNewView {
    const me = this.members.index;
    const chosen = viewChanges
      .sort(([a], [b]) => (a === me ? -1 : b === me ? 1 : a - b))
      .slice(0, this.members.quorum)
      .map(([, m]) => m);
    const bodies = chosen.map((m) => viewChangeBodyOf(m));
    const decision = this.decide(bodies);
    const votes = newViewVotes(this.config.chainId, view, decision, this.config.sign);
    const signed: SignedViewChange[] = chosen.map((m) => ({
      body: viewChangeBodyOf(m),
      signer: m.signer,
      signature: m.signature,
    }));
    const message = this.members.sign({ type: 'newView', view, viewChanges: signed, votes });
    return { message, decision, votes };
  }

  /** Recomputes the decision of a NEW-VIEW from `primary`; undefined if anything in it is wrong. */
  checkNewView(primary: number, body: BodyOf<'newView'>): NewViewDecision | undefined {
    const { chainId, verify } = this.config;
    const signers = new Set<number>();
    const bodies: ViewChangeBodyT[] = [];
    for (const vc of body.viewChanges) {
      if (vc.body.newView !== body.view || signers.has(vc.signer)) return undefined;
      if (vc.signer < 0 || vc.signer >= this.members.validators.size) return undefined;
      const signed = viewChangeSigningBytes(chainId, vc.body);
      const key = verifiedKey(vc.signer, signed, vc.signature);
      if (!this.verified.has(key)) {
        const ok = verify(this.members.keyOf(vc.signer), signed, vc.signature) && this.isValid(vc.body);
        if (!ok) return undefined;
        this.verified.add(key);
      }
      signers.add(vc.signer);
      bodies.push(vc.body);
    }
    if (signers.size < this.members.quorum) return undefined;
    const decision = this.decide(bodies);
    if (body.votes.length !== decision.reproposals.length) return undefined;
    for (let i = 0; i < body.votes.length; i++) {
      const cert = decision.reproposals[i]!;
      const vote = body.votes[i]!;
      const signed = prepareVoteBytes(chainId, body.view, cert.header.height, headerHashOf(cert.header));
      if (vote.height !== cert.header.height) return undefined;
      if (!verify(this.members.keyOf(primary), signed, vote.signature)) return undefined;
    }
    return decision;
  }

  private decide(bodies: readonly ViewChangeBodyT[]): NewViewDecision {
    return decideNewView(
      bodies,
      this.config.parameters.watermarkWindow,
      this.config.unsafeTesting?.skipReproposal,
    );
  }
}
