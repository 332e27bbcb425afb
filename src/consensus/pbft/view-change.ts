/**
 * The NEW-VIEW decision: given 2f+1 valid VIEW-CHANGE messages for view v, which
 * checkpoint the new view starts from and which blocks it must re-propose.
 * Pure and deterministic: the new primary computes it to build NEW-VIEW, every
 * backup recomputes it to check NEW-VIEW, so a primary cannot choose.
 *
 * Rule (docs/protocol.md, "View change", proves it safe):
 * 1. base = the highest checkpoint proof among the messages;
 * 2. for heights base+1, base+2, ... (at most `window` of them): take the
 *    prepared certificate with the highest view among the messages; stop at
 *    the first height that has none, or whose block does not extend the block
 *    chosen at the height below (or the base). Heights from there on are
 *    proposed fresh in the new view.
 *
 * Heights depend on each other (a header names its parent), so a gap cannot be
 * filled with a null request as in the PBFT paper; instead the chosen prefix
 * stops. A committed block is never beyond the stop: committing height n in
 * view u requires its committers to have prepared every height from their
 * base to n in view u, and f+1 of them appear in any 2f+1 VIEW-CHANGEs.
 */

import { compareBytes, equalBytes } from '../../codec/bytes.ts';
import { headerHashOf, prepareVoteBytes, type ViewChangeBodyT } from './messages.ts';
import type { CheckpointProof, PreparedCertificate } from './types.ts';

export interface NewViewDecision {
  readonly base: CheckpointProof;
  /** Certificates chosen for heights base+1 .. base+length, in height order. */
  readonly reproposals: readonly PreparedCertificate[];
}

export function decideNewView(
  viewChanges: readonly ViewChangeBodyT[],
  window: number,
  skipReproposal = false,
): NewViewDecision {
  let base: CheckpointProof | undefined;
  for (const vc of viewChanges) {
    if (!base || vc.checkpoint.height > base.height) base = vc.checkpoint;
  }
  if (!base) throw new RangeError('decideNewView needs at least one VIEW-CHANGE');
  if (skipReproposal) return { base, reproposals: [] };

  const best = new Map<number, PreparedCertificate>();
  for (const vc of viewChanges) {
    for (const cert of vc.prepared) {
      const height = cert.header.height;
      if (height <= base.height || height > base.height + window) continue;
      const current = best.get(height);
      if (
        !current ||
        cert.view > current.view ||
        // Same view and different block cannot both be prepared with at most f
        // faults; break the tie deterministically anyway.
        (cert.view === current.view &&
          compareBytes(headerHashOf(cert.header), headerHashOf(current.header)) < 0)
      ) {
        best.set(height, cert);
      }
    }
  }

  const reproposals: PreparedCertificate[] = [];
  let parent = base.headerHash;
  for (let height = base.height + 1; height <= base.height + window; height++) {
    const cert = best.get(height);
    if (!cert || !equalBytes(cert.header.parentHash, parent)) break;
    reproposals.push(cert);
    parent = headerHashOf(cert.header);
  }
  return { base, reproposals };
}

/**
 * The new primary's prepare vote for each re-proposal of `decision`, in height order, as
 * a NEW-VIEW for `view` carries them; `sign` signs with the primary's key.
 */
export function newViewVotes(
  chainId: string,
  view: number,
  decision: NewViewDecision,
  sign: (bytes: Uint8Array) => Uint8Array,
): { height: number; signature: Uint8Array }[] {
  return decision.reproposals.map((cert) => ({
    height: cert.header.height,
    signature: sign(prepareVoteBytes(chainId, view, cert.header.height, headerHashOf(cert.header))),
  }));
}
