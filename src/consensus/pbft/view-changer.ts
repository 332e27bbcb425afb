/**
 * The view-change protocol: leaving a view (VIEW-CHANGE), joining when f+1
 * validators ask for later views, the back-off timer while waiting for a
 * NEW-VIEW, and installing a view from its NEW-VIEW (built here when this
 * replica is the new primary, checked otherwise).
 *
 * Contract: a replica never returns to a lower view. Leaving a view is
 * persisted before the VIEW-CHANGE goes out, an installed NEW-VIEW before
 * anything of the new view. The wait for a NEW-VIEW doubles with each view
 * that fails in a row (capped by `maxViewChangeBackoff`), and is one status
 * interval if the next primary is suspected down; a commit resets it.
 * Observers follow views only through NEW-VIEW messages. The view number and
 * phase live in `NormalCase`; the view-change records in `ViewChangeLog`.
 */

import type { CatchUp } from './catch-up.ts';
import type { Checkpoints } from './checkpoints.ts';
import { type Membership, reportMisbehaviour } from './membership.ts';
import type { BodyOf, ConsensusMessage } from './messages.ts';
import type { NormalCase } from './normal-case.ts';
import type { Outbox } from './outbox.ts';
import type { CheckpointProof, ReplicaConfig } from './types.ts';
import type { NewViewDecision } from './view-change.ts';
import { type NewViewVotes, ViewChangeLog } from './view-change-log.ts';

export interface ViewChangerHooks {
  /** The scheduled primary of `view` under the replica's committed reputation. */
  primaryOf(view: number): number;
  /** A stable checkpoint proof became known (from a VIEW-CHANGE or a NEW-VIEW). */
  adoptStableProof(proof: CheckpointProof, holders: readonly number[]): void;
  /** `view` was installed: handle its messages that arrived before its NEW-VIEW. */
  replayBuffered(view: number): void;
}

export class ViewChanger {
  private readonly log: ViewChangeLog;
  private backoff = 0;
  private myViewChange: ConsensusMessage | undefined;
  private newViewSentFor = -1;
  private installedBy: ConsensusMessage | undefined;

  constructor(
    private readonly config: ReplicaConfig,
    private readonly members: Membership,
    private readonly out: Outbox,
    private readonly checkpoints: Checkpoints,
    private readonly catchUp: CatchUp,
    private readonly normal: NormalCase,
    genesisHash: Uint8Array,
    private readonly hooks: ViewChangerHooks,
  ) {
    this.log = new ViewChangeLog(config, members, genesisHash);
  }

  /** Views that failed in a row (the exponent of the NEW-VIEW wait). */
  get viewChangeBackoff(): number {
    return this.backoff;
  }

  /** The NEW-VIEW of the last view installed since this replica (re)started (resent to laggards). */
  get newViewMessage(): ConsensusMessage | undefined {
    return this.installedBy;
  }

  /** This replica's VIEW-CHANGE while it changes view (resent every status interval). */
  get ownViewChange(): ConsensusMessage | undefined {
    return this.myViewChange;
  }

  /** A block committed: the view works, the back-off starts over. */
  committed(): void {
    this.backoff = 0;
  }

  /** The validator set changed (indices differ): forget every validator's VIEW-CHANGE. */
  forgetValidators(): void {
    this.log.clear();
  }

  /** After a restart in the middle of a view change: re-enter it, re-sending our (rebuilt) VIEW-CHANGE. */
  resume(): void {
    const target = this.normal.current.view;
    this.normal.rewind(target - 1);
    this.start(target, true);
  }

  /** The `viewChange` timer fired: no NEW-VIEW in time, move on to the next view. */
  timerFired(): void {
    if (this.normal.current.phase !== 'viewChange') return;
    if (!this.catchUp.suspected(this.hooks.primaryOf(this.normal.current.view))) this.backoff++;
    this.start(this.normal.current.view + 1);
  }

  start(target: number, resume = false): void {
    if (target <= this.normal.current.view && !resume) return;
    if (!this.members.isValidator) {
      // An observer follows views only through NEW-VIEW messages.
      return;
    }
    if (!resume) this.out.persist({ type: 'viewChange', view: target });
    this.normal.beginViewChange(target);
    this.out.cancelTimer('viewChange');
    const checkpoint = this.checkpoints.stable;
    const prepared = this.normal.preparedAbove(checkpoint.height, this.config.parameters.watermarkWindow);
    const message = this.members.sign({ type: 'viewChange', newView: target, checkpoint, prepared });
    this.myViewChange = message;
    this.log.record(message, target);
    this.out.broadcast(message);
    this.progress();
  }

  onViewChange(message: ConsensusMessage, body: BodyOf<'viewChange'>): void {
    const { view, phase } = this.normal.current;
    if (body.newView < view || (phase === 'normal' && body.newView === view)) return;
    if (!this.log.isNewFrom(message.signer, body.newView)) return;
    if (!this.log.isVerified(message) && !(this.catchUp.verify(message) && this.log.isValid(body))) {
      reportMisbehaviour(this.out, this.members, message.signer, 'invalidViewChange');
      return;
    }
    this.log.record(message, body.newView);
    if (body.checkpoint.height > this.checkpoints.stable.height) {
      this.hooks.adoptStableProof(body.checkpoint, [message.signer]);
    }
    const join = this.log.viewToJoin(this.normal.current.view);
    if (join !== undefined) {
      this.start(join);
      return;
    }
    this.progress();
  }

  private progress(): void {
    if (this.normal.current.phase !== 'viewChange') return;
    const view = this.normal.current.view;
    const quorum = this.members.quorum;
    // Replicas already asking for a later view have given up on this one too: they count for the timer.
    if (this.log.countAtOrBeyond(view) >= quorum && !this.out.isArmed('viewChange')) {
      // The next primary is known in advance; if it has been silent for several status intervals, do not
      // back off waiting for it (skipping a view is always safe, waiting for a dead primary is not useful).
      const cap = this.config.maxViewChangeBackoff ?? 4;
      const ms = this.catchUp.suspected(this.hooks.primaryOf(view))
        ? this.catchUp.statusIntervalMs
        : this.config.parameters.viewChangeTimeoutMs * 2 ** Math.min(this.backoff, cap);
      this.out.setTimer('viewChange', ms);
    }
    const forTarget = this.log.forView(view);
    if (
      forTarget.length >= quorum &&
      this.members.isValidator &&
      this.hooks.primaryOf(view) === this.members.index &&
      this.newViewSentFor < view
    ) {
      const own = this.log.buildNewView(view, forTarget);
      this.newViewSentFor = view;
      this.install(own.message, own.decision, own.votes, true);
    }
  }

  onNewView(message: ConsensusMessage, body: BodyOf<'newView'>): void {
    const { view, phase } = this.normal.current;
    if (body.view < view || (phase === 'normal' && body.view === view)) return;
    if (message.signer !== this.hooks.primaryOf(body.view)) return;
    if (!this.catchUp.verify(message)) return;
    const decision = this.log.checkNewView(message.signer, body);
    if (!decision) {
      reportMisbehaviour(this.out, this.members, message.signer, 'invalidNewView');
      return;
    }
    this.install(message, decision, body.votes, false);
  }

  private install(
    message: ConsensusMessage,
    decision: NewViewDecision,
    votes: NewViewVotes,
    own: boolean,
  ): void {
    const view = (message.body as BodyOf<'newView'>).view;
    this.out.persist({
      type: 'newView',
      view,
      primary: message.signer,
      base: decision.base,
      reproposals: decision.reproposals.map((cert, i) => ({
        header: cert.header,
        primaryVote: votes[i]!.signature,
      })),
    });
    if (own) this.out.broadcast(message);
    this.normal.enterView(view, message.signer, decision);
    this.installedBy = message;
    this.out.cancelTimer('viewChange');
    this.log.installed(view);
    this.myViewChange = undefined;
    this.normal.placeReproposals(decision, votes);
    if (decision.base.height > this.checkpoints.stable.height) {
      this.hooks.adoptStableProof(
        decision.base,
        decision.base.votes.map((v) => v.validator),
      );
    }
    this.out.emit({ type: 'viewChanged', view, primary: this.members.keyOf(message.signer) });
    this.normal.armViewTimers();
    if (own) this.normal.broadcastReproposals();
    this.hooks.replayBuffered(view);
  }
}
