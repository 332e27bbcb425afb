import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tally } from './quorum.ts';
import type { GovernanceSettings } from './settings.ts';

const settingsArb = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.boolean())
  .map(
    ([denominator, n, requireRegulator]): GovernanceSettings => ({
      quorum: { numerator: Math.min(n, denominator), denominator },
      requireRegulator,
      votingPeriodBlocks: 10,
    }),
  );

/** An electorate of up to 6 members and 2 regulators, and a partial vote (undefined = not voted). */
const scenarioArb = fc.record({
  settings: settingsArb,
  members: fc.array(fc.option(fc.boolean(), { nil: undefined }), { maxLength: 6 }),
  regulators: fc.array(fc.option(fc.boolean(), { nil: undefined }), { maxLength: 2 }),
});

function electorateOf(members: readonly unknown[], regulators: readonly unknown[]) {
  return { members: members.map((_, i) => `m${i}`), regulators: regulators.map((_, i) => `r${i}`) };
}

function votesOf(members: readonly (boolean | undefined)[], regulators: readonly (boolean | undefined)[]) {
  const votes = new Map<string, boolean>();
  for (const [i, v] of members.entries()) if (v !== undefined) votes.set(`m${i}`, v);
  for (const [i, v] of regulators.entries()) if (v !== undefined) votes.set(`r${i}`, v);
  return votes;
}

/** The definition, by brute force: the votes pass as they stand. */
function passesNow(
  members: readonly (boolean | undefined)[],
  regulators: readonly (boolean | undefined)[],
  s: GovernanceSettings,
) {
  const yes = members.filter((v) => v === true).length;
  const needed = Math.ceil((s.quorum.numerator * members.length) / s.quorum.denominator);
  return yes >= needed && (!s.requireRegulator || regulators.some((v) => v === true));
}

/** Every way the missing votes could still be cast. */
function completions(votes: readonly (boolean | undefined)[]): (boolean | undefined)[][] {
  return votes.reduce<(boolean | undefined)[][]>(
    (acc, v) =>
      acc.flatMap((prefix) =>
        v === undefined
          ? [
              [...prefix, true],
              [...prefix, false],
            ]
          : [[...prefix, v]],
      ),
    [[]],
  );
}

describe('quorum', () => {
  it('passed = the votes pass now; rejected = no way of casting the missing votes passes', () => {
    fc.assert(
      fc.property(scenarioArb, ({ settings, members, regulators }) => {
        const result = tally(electorateOf(members, regulators), votesOf(members, regulators), settings);
        const canStillPass = completions(members).some((m) =>
          completions(regulators).some((r) => passesNow(m, r, settings)),
        );
        expect(result.outcome === 'passed').toBe(passesNow(members, regulators, settings));
        expect(result.outcome === 'rejected').toBe(!canStillPass);
      }),
      { numRuns: 2000 },
    );
  });

  it('votes of organisations outside the electorate (suspended, unknown) do not count', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.array(fc.boolean(), { maxLength: 4 }),
        ({ settings, members, regulators }, strangers) => {
          const votes = votesOf(members, regulators);
          const withStrangers = new Map(votes);
          for (const [i, v] of strangers.entries()) withStrangers.set(`stranger${i}`, v);
          const electorate = electorateOf(members, regulators);
          expect(tally(electorate, withStrangers, settings)).toEqual(tally(electorate, votes, settings));
        },
      ),
    );
  });

  it('two thirds of three members plus the regulator: two members and the regulator', () => {
    const settings: GovernanceSettings = {
      quorum: { numerator: 2, denominator: 3 },
      requireRegulator: true,
      votingPeriodBlocks: 10,
    };
    const electorate = { members: ['a', 'b', 'c'], regulators: ['r'] };
    const outcome = (entries: [string, boolean][]) => tally(electorate, new Map(entries), settings).outcome;
    expect(
      outcome([
        ['a', true],
        ['b', true],
      ]),
    ).toBe('open');
    expect(
      outcome([
        ['a', true],
        ['b', true],
        ['r', true],
      ]),
    ).toBe('passed');
    expect(
      outcome([
        ['a', true],
        ['r', true],
      ]),
    ).toBe('open');
    expect(
      outcome([
        ['a', false],
        ['b', false],
      ]),
    ).toBe('rejected');
    expect(outcome([['r', false]])).toBe('rejected');
    expect(tally(electorate, new Map(), settings).threshold).toBe(2);
  });
});
