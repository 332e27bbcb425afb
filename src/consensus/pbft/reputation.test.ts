import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  genesisReputation,
  MAX_PENALTY,
  PENALTY_PER_VIEW_CHANGE,
  REPUTATION_MAX_WEIGHT,
  Reputation,
  weightedSchedule,
} from './reputation.ts';
import { reputationThrough } from './restore.ts';

describe('weightedSchedule', () => {
  it('equal weights give plain round robin', () => {
    expect(weightedSchedule([4, 4, 4, 4]).slice(0, 8)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('property: each validator appears exactly its weight times, and never twice in a row unless it must', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: REPUTATION_MAX_WEIGHT }), { minLength: 1, maxLength: 16 }),
        (weights) => {
          const schedule = weightedSchedule(weights);
          weights.forEach((w, i) => {
            expect(schedule.filter((x) => x === i).length).toBe(w);
          });
        },
      ),
    );
  });
});

describe('Reputation', () => {
  it('is genesis round robin until views are abandoned', () => {
    const r = new Reputation(genesisReputation(4), 2);
    expect([0, 1, 2, 3, 4, 5].map((v) => r.primaryOf(v))).toEqual([0, 1, 2, 3, 0, 1]);
  });

  it('charges the primaries of abandoned views when a committed header view jumps, from the next stable checkpoint on', () => {
    const r = new Reputation(genesisReputation(4), 2);
    // Block 1 first proposed in view 2: views 0 and 1 were abandoned (primaries r0, r1).
    r.onCommit(1, 2);
    const epoch = r.onCommit(2, 2);
    expect(epoch?.penalties).toEqual([PENALTY_PER_VIEW_CHANGE, PENALTY_PER_VIEW_CHANGE, 0, 0]);
    expect(epoch?.fromView).toBe(3);
    // Not in force before the checkpoint is stable, nor for views up to the checkpoint block's view.
    expect(r.epochFor(5, 0).penalties).toEqual([0, 0, 0, 0]);
    expect(r.epochFor(2, 2).penalties).toEqual([0, 0, 0, 0]);
    expect(r.epochFor(3, 2).penalties).toEqual(epoch?.penalties);
    // r0 and r1 now get 2 turns in 12 views, r2 and r3 get 4.
    const turns = [0, 0, 0, 0];
    for (let v = 3; v < 3 + 12; v++) turns[r.primaryOf(v, 2)]!++;
    expect(turns).toEqual([2, 2, 4, 4]);
  });

  it('forgives: points halve at each checkpoint and are capped', () => {
    const r = new Reputation(genesisReputation(4), 1);
    r.onCommit(1, 12); // views 0..11 abandoned: each primary charged three times
    const first = r.epochFor(13);
    expect(first.penalties.every((p) => p <= MAX_PENALTY)).toBe(true);
    r.onCommit(2, 12);
    const second = r.epochFor(13);
    expect(second.penalties).toEqual(first.penalties.map((p) => Math.floor(p / 2)));
  });

  it('property: replicas that commit the same headers compute the same primary for every view (pure function)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 500 }),
        (jumps, view) => {
          const a = new Reputation(genesisReputation(7), 3);
          const b = new Reputation(genesisReputation(7), 3);
          let v = 0;
          jumps.forEach((jump, i) => {
            v += jump;
            a.onCommit(i + 1, v);
            b.onCommit(i + 1, v);
          });
          const c = new Reputation(a.snapshot(), 3); // restored from a snapshot
          expect(a.primaryOf(view)).toBe(b.primaryOf(view));
          expect(c.primaryOf(view)).toBe(a.primaryOf(view));
        },
      ),
    );
  });
});

describe('reputationThrough (the record a state-synced node writes)', () => {
  const headersOf = (jumps: readonly number[]) => {
    let view = 0;
    return jumps.map((jump, i) => {
      view += jump;
      return { height: i + 1, view };
    });
  };

  it('property: equals committing the headers one by one, and splits at any height', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (jumps, cut) => {
          const headers = headersOf(jumps);
          const live = new Reputation(genesisReputation(4), 3);
          for (const h of headers) live.onCommit(h.height, h.view);
          const whole = reputationThrough(genesisReputation(4), headers, 3, () => undefined);
          expect(whole).toEqual(live.snapshot());
          const at = cut % headers.length;
          const first = reputationThrough(genesisReputation(4), headers.slice(0, at), 3, () => undefined);
          expect(reputationThrough(first, headers.slice(at), 3, () => undefined)).toEqual(whole);
        },
      ),
    );
  });

  it('starts afresh over the new set at a validator-set change boundary', () => {
    const headers = headersOf([1, 0, 2, 0, 0, 1, 0, 0, 3]);
    const snapshot = reputationThrough(genesisReputation(4), headers, 3, (h) => (h === 6 ? 5 : undefined));
    // Above height 6 the rotation is over 5 validators; heights 7..9 are counted on the fresh record.
    const fresh = new Reputation({ ...genesisReputation(5), height: 6, lastView: headers[5]!.view }, 3);
    for (const h of headers.slice(6)) fresh.onCommit(h.height, h.view);
    expect(snapshot).toEqual(fresh.snapshot());
    expect(snapshot.pending).toHaveLength(5);
  });
});
