/**
 * The quorum rule, as a pure function of who may vote and how they voted.
 *
 * N = active member (non-regulator) organisations, R = active regulator
 * organisations. threshold = ⌈numerator × N / denominator⌉.
 * - passed:   yes-votes among the N ≥ threshold, and (if requireRegulator)
 *             at least one of the R voted yes;
 * - rejected: it can no longer pass whatever the others vote: the N who did
 *             not vote no are fewer than the threshold, or (if
 *             requireRegulator) every one of the R voted no, or there is no R;
 * - open:     neither.
 * Votes of organisations that are not active (suspended after voting) do not
 * count; the rule is re-evaluated on every vote against the current registry.
 */
import type { GovernanceSettings } from './settings.ts';

export interface Electorate {
  /** Active non-regulator organisations. */
  readonly members: readonly string[];
  /** Active regulator organisations. */
  readonly regulators: readonly string[];
}

export interface Tally {
  readonly outcome: 'passed' | 'rejected' | 'open';
  readonly threshold: number;
  readonly memberYes: number;
  readonly memberNo: number;
  readonly regulatorYes: number;
  readonly regulatorNo: number;
}

export function quorumThreshold(memberCount: number, settings: GovernanceSettings): number {
  const { numerator, denominator } = settings.quorum;
  return Math.ceil((numerator * memberCount) / denominator);
}

/** `votes`: organisation id -> approve. */
export function tally(
  electorate: Electorate,
  votes: ReadonlyMap<string, boolean>,
  settings: GovernanceSettings,
): Tally {
  const count = (orgs: readonly string[], approve: boolean) =>
    orgs.filter((org) => votes.get(org) === approve).length;
  const memberYes = count(electorate.members, true);
  const memberNo = count(electorate.members, false);
  const regulatorYes = count(electorate.regulators, true);
  const regulatorNo = count(electorate.regulators, false);
  const threshold = quorumThreshold(electorate.members.length, settings);
  const regulatorOk = !settings.requireRegulator || regulatorYes > 0;
  const regulatorLost =
    settings.requireRegulator &&
    (electorate.regulators.length === 0 || regulatorNo === electorate.regulators.length);
  const outcome =
    memberYes >= threshold && regulatorOk
      ? 'passed'
      : electorate.members.length - memberNo < threshold || regulatorLost
        ? 'rejected'
        : 'open';
  return { outcome, threshold, memberYes, memberNo, regulatorYes, regulatorNo };
}
