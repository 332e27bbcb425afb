/**
 * The genesis `governance` section: the quorum rule and how long a proposal
 * stays open.
 *
 * ```json
 * "governance": { "quorum": { "numerator": 2, "denominator": 3 }, "requireRegulator": true, "votingPeriodBlocks": 10000 }
 * ```
 *
 * A proposal passes when at least ⌈numerator/denominator × N⌉ of the N active
 * member (non-regulator) organisations voted yes and, if `requireRegulator`,
 * at least one active regulator organisation voted yes. See quorum.ts.
 */
import { ValidationError } from '../../errors.ts';

export interface GovernanceSettings {
  readonly quorum: { readonly numerator: number; readonly denominator: number };
  readonly requireRegulator: boolean;
  /** Blocks after its proposal's height during which a proposal can be voted on. */
  readonly votingPeriodBlocks: number;
}

export const DEFAULT_GOVERNANCE_SETTINGS: GovernanceSettings = {
  quorum: { numerator: 2, denominator: 3 },
  requireRegulator: true,
  votingPeriodBlocks: 10_000,
};

/** Longest voting period a genesis may set. */
export const MAX_VOTING_PERIOD_BLOCKS = 10_000_000;
/** Largest numerator or denominator of the quorum fraction. */
export const MAX_QUORUM_TERM = 1_000;

function bad(message: string): never {
  throw new ValidationError('GENESIS_INVALID', message, {
    hint: 'governance is { quorum: { numerator, denominator }, requireRegulator, votingPeriodBlocks }',
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates the section; missing fields take the defaults. */
export function validateGovernanceSettings(raw: unknown): GovernanceSettings {
  if (!isRecord(raw)) bad('governance must be an object');
  for (const key of Object.keys(raw)) {
    if (!['quorum', 'requireRegulator', 'votingPeriodBlocks'].includes(key))
      bad(`governance has an unknown field "${key}"`);
  }
  let quorum = DEFAULT_GOVERNANCE_SETTINGS.quorum;
  if (raw.quorum !== undefined) {
    if (!isRecord(raw.quorum)) bad('governance.quorum must be { numerator, denominator }');
    const { numerator, denominator } = raw.quorum;
    for (const key of Object.keys(raw.quorum)) {
      if (key !== 'numerator' && key !== 'denominator')
        bad(`governance.quorum has an unknown field "${key}"`);
    }
    if (
      !Number.isInteger(denominator) ||
      (denominator as number) < 1 ||
      (denominator as number) > MAX_QUORUM_TERM
    )
      bad(`governance.quorum.denominator must be an integer in 1..${MAX_QUORUM_TERM}`);
    if (
      !Number.isInteger(numerator) ||
      (numerator as number) < 0 ||
      (numerator as number) > (denominator as number)
    )
      bad('governance.quorum.numerator must be an integer from 0 to the denominator');
    quorum = { numerator: numerator as number, denominator: denominator as number };
  }
  const requireRegulator = raw.requireRegulator ?? DEFAULT_GOVERNANCE_SETTINGS.requireRegulator;
  if (typeof requireRegulator !== 'boolean') bad('governance.requireRegulator must be true or false');
  const votingPeriodBlocks = raw.votingPeriodBlocks ?? DEFAULT_GOVERNANCE_SETTINGS.votingPeriodBlocks;
  if (
    !Number.isInteger(votingPeriodBlocks) ||
    (votingPeriodBlocks as number) < 1 ||
    (votingPeriodBlocks as number) > MAX_VOTING_PERIOD_BLOCKS
  )
    bad(`governance.votingPeriodBlocks must be an integer in 1..${MAX_VOTING_PERIOD_BLOCKS}`);
  if (quorum.numerator === 0 && !requireRegulator)
    bad('a quorum of 0 without the regulator would pass every proposal at once');
  return { quorum, requireRegulator, votingPeriodBlocks: votingPeriodBlocks as number };
}
