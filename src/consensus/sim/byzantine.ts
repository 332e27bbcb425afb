/**
 * Byzantine replicas for the simulator. A Byzantine replica runs the real core
 * (so it keeps up with the protocol and knows what to attack) and this filter
 * rewrites what it sends. It signs only with its own key: it cannot forge
 * other replicas' signatures, only replay them.
 */

import type { ValidatorSet } from '../../chain/validator-set.ts';
import { concatBytes, toHex } from '../../codec/bytes.ts';
import { keccak256 } from '../../crypto/keccak.ts';
import {
  type ConsensusMessage,
  headerHashOf,
  type MessageBody,
  prepareVoteBytes,
  type SignedViewChange,
  signingBytes,
  viewChangeSigningBytes,
} from '../pbft/messages.ts';
import type { Block, CommitCertificate } from '../pbft/types.ts';
import { decideNewView, newViewVotes } from '../pbft/view-change.ts';
import type { Prng } from './prng.ts';

export const BYZANTINE_TRAITS = [
  /** Sends nothing at all. */
  'silent',
  /** As primary, sends different PRE-PREPAREs for one height to different backups. */
  'equivocate',
  /** Votes (PREPARE/COMMIT) for digests that were never proposed, differently per recipient. */
  'conflictingVotes',
  /** Re-sends old messages (its own and others') to random replicas. */
  'replay',
  /** Sends VIEW-CHANGEs and votes for views far ahead. */
  'futureViews',
  /** Corrupts signatures. */
  'badSignatures',
  /** As primary, proposes blocks whose state root is wrong. */
  'badRoots',
  /** Claims in STATUS to have committed far ahead. */
  'falseStatus',
  /** As primary, keeps sending heartbeats but never PRE-PREPAREs (censorship: only the progress timer catches it). */
  'censor',
  /** Answers state-transfer requests with tampered blocks and certificates. */
  'badSync',
  /**
   * As a new view's primary, sends a NEW-VIEW whose quorum is padded with an honest
   * VIEW-CHANGE relabelled as other validators', or with that signature over content
   * stripped of its prepared certificates (its own too), and prepare votes to match;
   * then, at each height the honest decision re-proposes and the forged one dropped,
   * proposes and votes for a different block (what a replica fooled by it would commit).
   */
  'forgeNewView',
] as const;

export type ByzantineTrait = (typeof BYZANTINE_TRAITS)[number];

const REPLAY_BUFFER = 256;

export class ByzantineBehaviour {
  private readonly seen: ConsensusMessage[] = [];
  private readonly equivocationSplit = new Map<number, Set<number>>();
  /**
   * After a forged NEW-VIEW: its view, the heights it dropped, and the other block sent at
   * each (made from the re-proposal this replica's own core sends there).
   */
  private forged: { view: number; dropped: Set<number>; replacements: Map<number, Block> } | undefined;

  constructor(
    readonly index: number,
    readonly traits: ReadonlySet<ByzantineTrait>,
    private readonly prng: Prng,
    private readonly chainId: string,
    private readonly validators: ValidatorSet,
    private readonly sign: (message: Uint8Array) => Uint8Array,
    private readonly watermarkWindow: number,
  ) {}

  get silent(): boolean {
    return this.traits.has('silent');
  }

  /** Remembers a message this replica received or sent, for replays. */
  observe(message: ConsensusMessage): void {
    if (!this.traits.has('replay')) return;
    if (this.seen.length >= REPLAY_BUFFER) this.seen[this.prng.int(REPLAY_BUFFER)] = message;
    else this.seen.push(message);
  }

  private signBody(body: MessageBody): ConsensusMessage {
    return { body, signer: this.index, signature: this.sign(signingBytes(this.chainId, body)) };
  }

  /**
   * What actually goes to `to` instead of `message`, plus extra injected
   * messages as `[target, message]` pairs.
   */
  rewrite(to: number, message: ConsensusMessage, currentView: number): [number, ConsensusMessage][] {
    if (this.silent) return [];
    if (this.traits.has('censor') && message.body.type === 'prePrepare') return [];
    this.observe(message);
    let out: ConsensusMessage = message;
    const body = message.body;
    if (body.type === 'prePrepare' && body.block.header.view === body.view) {
      if (this.traits.has('badRoots') && this.prng.chance(0.5)) {
        out = this.rePrePrepare(body, {
          ...body.block,
          header: { ...body.block.header, stateRoot: keccak256(body.block.header.stateRoot) },
        });
      } else if (this.traits.has('equivocate') && this.inOtherHalf(body.height, to)) {
        out = this.rePrePrepare(body, this.alternative(body.block));
      }
    }
    if ((body.type === 'prepare' || body.type === 'commit') && this.traits.has('conflictingVotes')) {
      if (this.prng.chance(0.5)) {
        const headerHash = keccak256(concatBytes(body.headerHash, Uint8Array.of(to)));
        out = this.signBody({ ...body, headerHash });
      }
    }
    if (body.type === 'newView' && this.traits.has('forgeNewView')) out = this.forgedNewView(body) ?? out;
    const replacement = this.forgedReplacement(body);
    if (replacement && body.type === 'prePrepare') out = this.rePrePrepare(body, replacement);
    else if (replacement && (body.type === 'prepare' || body.type === 'commit'))
      out = this.signBody({ ...body, headerHash: headerHashOf(replacement.header) });
    if (body.type === 'status' && this.traits.has('falseStatus')) {
      out = this.signBody({
        ...body,
        committedHeight: body.committedHeight + 1000,
        stableHeight: body.stableHeight,
      });
    }
    if (this.traits.has('badSignatures') && this.prng.chance(0.2)) {
      const signature = out.signature.slice();
      signature[this.prng.int(signature.length)]! ^= 1 << this.prng.int(8);
      out = { ...out, signature };
    }
    const result: [number, ConsensusMessage][] = [[to, out]];
    if (this.traits.has('replay') && this.seen.length > 0 && this.prng.chance(0.1)) {
      result.push([this.prng.int(this.validators.size), this.prng.pick(this.seen)]);
    }
    if (this.traits.has('futureViews') && this.prng.chance(0.02)) {
      result.push([to, this.futureMessage(currentView)]);
    }
    return result;
  }

  private forgedNewView(body: Extract<MessageBody, { type: 'newView' }>): ConsensusMessage | undefined {
    const honest = body.viewChanges.filter((vc) => vc.signer !== this.index);
    if (honest.length === 0) return undefined;
    const donor = honest.reduce((a, b) => (b.body.prepared.length < a.body.prepared.length ? b : a));
    const stripContent = this.prng.chance(0.5);
    const viewChanges: SignedViewChange[] = body.viewChanges.map((vc) => {
      if (vc.signer === this.index) {
        const own = { ...vc.body, prepared: [] };
        return {
          body: own,
          signer: this.index,
          signature: this.sign(viewChangeSigningBytes(this.chainId, own)),
        };
      }
      if (vc === donor) return stripContent ? { ...vc, body: { ...vc.body, prepared: [] } } : vc;
      return { ...donor, signer: vc.signer };
    });
    const decision = decideNewView(
      viewChanges.map((vc) => vc.body),
      this.watermarkWindow,
    );
    const kept = new Set(decision.reproposals.map((cert) => cert.header.height));
    const honestDecision = decideNewView(
      body.viewChanges.map((vc) => vc.body),
      this.watermarkWindow,
    );
    const dropped = new Set(
      honestDecision.reproposals.map((cert) => cert.header.height).filter((height) => !kept.has(height)),
    );
    this.forged = { view: body.view, dropped, replacements: new Map() };
    const votes = newViewVotes(this.chainId, body.view, decision, this.sign);
    return this.signBody({ type: 'newView', view: body.view, viewChanges, votes });
  }

  /** The block to send instead, for a message of the forged view at a height it dropped. */
  private forgedReplacement(body: MessageBody): Block | undefined {
    const forged = this.forged;
    if (!forged || !('view' in body) || body.view !== forged.view) return undefined;
    if (body.type !== 'prePrepare' && body.type !== 'prepare' && body.type !== 'commit') return undefined;
    if (!forged.dropped.has(body.height)) return undefined;
    let replacement = forged.replacements.get(body.height);
    if (!replacement && body.type === 'prePrepare') {
      // A fresh proposal of this view (the forged NEW-VIEW re-proposes nothing here): same txs.
      const other = this.alternative(body.block);
      replacement = {
        header: { ...other.header, view: body.view, proposer: this.validators.publicKeys[this.index]! },
        txs: other.txs,
      };
      forged.replacements.set(body.height, replacement);
    }
    return replacement;
  }

  private inOtherHalf(height: number, to: number): boolean {
    let half = this.equivocationSplit.get(height);
    if (!half) {
      half = new Set();
      for (let i = 0; i < this.validators.size; i++)
        if (i !== this.index && this.prng.chance(0.5)) half.add(i);
      this.equivocationSplit.set(height, half);
      if (this.equivocationSplit.size > 1024) this.equivocationSplit.clear();
    }
    return half.has(to);
  }

  /** A different but executable block at the same height on the same parent (same txs, later timestamp). */
  private alternative(block: Block): Block {
    return { header: { ...block.header, timestampMs: block.header.timestampMs + 1 }, txs: block.txs };
  }

  private rePrePrepare(body: Extract<MessageBody, { type: 'prePrepare' }>, block: Block): ConsensusMessage {
    const hash = headerHashOf(block.header);
    return {
      body: { ...body, block: block as typeof body.block },
      signer: this.index,
      signature: this.sign(prepareVoteBytes(this.chainId, body.view, body.height, hash)),
    };
  }

  private futureMessage(currentView: number): ConsensusMessage {
    const view = currentView + 1 + this.prng.int(20);
    if (this.prng.chance(0.5)) {
      return this.signBody({
        type: 'prepare',
        view,
        height: 1 + this.prng.int(50),
        headerHash: keccak256(Uint8Array.of(view & 0xff)),
      });
    }
    return this.signBody({
      type: 'viewChange',
      newView: view,
      checkpoint: {
        height: 0,
        headerHash: this.genesisHashPlaceholder,
        stateRoot: new Uint8Array(32),
        votes: [],
      },
      prepared: [],
    });
  }

  /** Set by the cluster: the genesis hash (a valid height-0 checkpoint for forged VIEW-CHANGEs). */
  genesisHashPlaceholder: Uint8Array = new Uint8Array(32);

  /** A state-transfer answer, possibly tampered with. */
  rewriteTransfer(blocks: { block: Block; certificate: CommitCertificate }[]): typeof blocks {
    if (!this.traits.has('badSync') || blocks.length === 0) return blocks;
    const k = this.prng.int(blocks.length);
    return blocks.map((entry, i) => {
      if (i !== k) return entry;
      switch (this.prng.int(3)) {
        case 0: // drop a vote: below quorum
          return { ...entry, certificate: { ...entry.certificate, votes: entry.certificate.votes.slice(1) } };
        case 1: // alter the block after it was certified
          return {
            ...entry,
            block: {
              ...entry.block,
              header: { ...entry.block.header, timestampMs: entry.block.header.timestampMs + 1 },
            },
          };
        default: // duplicate a signer
          return {
            ...entry,
            certificate: {
              ...entry.certificate,
              votes: [...entry.certificate.votes.slice(1), entry.certificate.votes[1]!],
            },
          };
      }
    });
  }

  describe(): string {
    return `replica ${this.index} byzantine [${[...this.traits].join(', ')}] ${toHex(this.validators.publicKeys[this.index]!).slice(0, 10)}`;
  }
}
