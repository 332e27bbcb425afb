import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlockHeader } from '../../chain/header.ts';
import { toHex } from '../../codec/bytes.ts';
import { keccak256 } from '../../crypto/keccak.ts';
import { Prng } from '../sim/prng.ts';
import { headerHashOf, type ViewChangeBodyT } from './messages.ts';
import type { CheckpointProof, PreparedCertificate } from './types.ts';
import { decideNewView } from './view-change.ts';

const GENESIS: BlockHeader = {
  chainId: 'model',
  height: 0,
  parentHash: new Uint8Array(32),
  timestampMs: 0,
  proposer: new Uint8Array(32),
  view: 0,
  transactionsRoot: new Uint8Array(32),
  stateRoot: new Uint8Array(32),
  receiptsRoot: new Uint8Array(32),
  provenanceRoot: new Uint8Array(32),
  validatorSetHash: new Uint8Array(32),
};
const BASE: CheckpointProof = {
  height: 0,
  headerHash: headerHashOf(GENESIS),
  stateRoot: GENESIS.stateRoot,
  votes: [],
};

function block(parent: BlockHeader, view: number, salt: number): BlockHeader {
  return {
    ...GENESIS,
    height: parent.height + 1,
    parentHash: headerHashOf(parent),
    view,
    transactionsRoot: keccak256(Uint8Array.of(view, salt, parent.height)),
  };
}

function cert(view: number, header: BlockHeader): PreparedCertificate {
  return { view, header, votes: [] };
}

describe('decideNewView', () => {
  const a1 = block(GENESIS, 0, 1);
  const a2 = block(a1, 0, 1);
  const a3 = block(a2, 0, 1);
  const b2 = block(a1, 1, 2);
  const vc = (prepared: PreparedCertificate[], checkpoint = BASE): ViewChangeBodyT => ({
    newView: 2,
    checkpoint,
    prepared,
  });

  it('takes, per height, the certificate of the highest view', () => {
    const d = decideNewView([vc([cert(0, a1), cert(0, a2)]), vc([cert(1, a1), cert(1, b2)]), vc([])], 64);
    expect(d.reproposals.map((c) => toHex(headerHashOf(c.header)))).toEqual(
      [a1, b2].map((h) => toHex(headerHashOf(h))),
    );
  });

  it('stops at the first height without a prepared certificate (no null-filling of chained heights)', () => {
    const d = decideNewView([vc([cert(0, a1), cert(0, a3)]), vc([]), vc([])], 64);
    expect(d.reproposals.map((c) => c.header.height)).toEqual([1]);
  });

  it('stops where the chosen block does not extend the block chosen below it', () => {
    const a3OnB2 = block(b2, 1, 3);
    // Height 2: b2 (view 1) beats a2 (view 0); height 3: a3 (view 0) names a2 as parent: stop.
    const d = decideNewView([vc([cert(0, a1), cert(0, a2), cert(0, a3)]), vc([cert(1, b2)]), vc([])], 64);
    expect(d.reproposals.map((c) => c.header.height)).toEqual([1, 2]);
    const e = decideNewView([vc([cert(0, a1), cert(1, b2), cert(1, a3OnB2)]), vc([]), vc([])], 64);
    expect(e.reproposals.map((c) => c.header.height)).toEqual([1, 2, 3]);
  });

  it('starts from the highest checkpoint and ignores certificates at or below it or beyond the window', () => {
    const cp: CheckpointProof = {
      height: 2,
      headerHash: headerHashOf(a2),
      stateRoot: a2.stateRoot,
      votes: [],
    };
    const d = decideNewView([vc([cert(0, a1), cert(0, a2), cert(0, a3)]), vc([], cp), vc([])], 64);
    expect(d.base.height).toBe(2);
    expect(d.reproposals.map((c) => c.header.height)).toEqual([3]);
    expect(decideNewView([vc([cert(0, a1), cert(0, a2)]), vc([]), vc([])], 1).reproposals).toHaveLength(1);
  });

  /**
   * An abstract history of PBFT over chained heights, driving the real
   * decision function. In each view the primary's chain is the previous
   * NEW-VIEW's re-proposals plus fresh blocks. Each correct replica holds
   * prepared certificates for any subset of that chain; under the COMMIT rule
   * (COMMIT n only after COMMIT n-1 in the same view), it can have sent COMMIT
   * up to a prefix it holds certificates for. A height is committed in view v
   * when f+1 correct replicas sent COMMIT for it (the f Byzantine ones supply
   * the rest of 2f+1). The next NEW-VIEW uses any 2f+1 VIEW-CHANGEs; correct
   * ones report their highest-view certificate per height, Byzantine ones any
   * valid certificates they like (stale ones, or none).
   * Property: every committed block is re-proposed at its height by every later NEW-VIEW.
   */
  function modelHoldsSafety(seed: number, n: number, skipReproposal: boolean): string | undefined {
    const prng = new Prng(seed);
    const f = Math.floor((n - 1) / 3);
    const correct = Array.from({ length: n - f }, (_, i) => i);
    const held = correct.map(() => new Map<number, PreparedCertificate>());
    const allCerts: PreparedCertificate[] = [];
    const committed = new Map<number, string>();
    let reproposed: BlockHeader[] = [];
    const views = prng.range(2, 8);
    for (let view = 0; view < views; view++) {
      const chain = [...reproposed];
      let tip = chain[chain.length - 1] ?? GENESIS;
      for (let k = prng.int(4); k > 0; k--) {
        tip = block(tip, view, prng.next() & 0xff);
        chain.push(tip);
      }
      const commitPrefix: number[] = [];
      correct.forEach((r) => {
        const prefix = prng.int(chain.length + 1);
        commitPrefix.push(prefix);
        chain.forEach((h, i) => {
          if (i < prefix || prng.chance(0.4)) {
            const c = cert(view, h);
            held[r]!.set(h.height, c);
            allCerts.push(c);
          }
        });
      });
      const sorted = [...commitPrefix].sort((a, b) => b - a);
      const committedThrough = sorted[f]!; // at least f+1 correct replicas committed this far
      for (let i = 0; i < committedThrough; i++) {
        const h = chain[i]!;
        const hex = toHex(headerHashOf(h));
        const known = committed.get(h.height);
        if (known !== undefined && known !== hex) return `conflicting commits at height ${h.height}`;
        committed.set(h.height, hex);
      }
      // VIEW-CHANGEs for view+1 from a random 2f+1 of the n replicas.
      const senders = prng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, n - f);
      const vcs: ViewChangeBodyT[] = senders.map((s) => {
        if (s < correct.length) {
          const prepared = [...held[s]!.values()].sort((a, b) => a.header.height - b.header.height);
          return { newView: view + 1, checkpoint: BASE, prepared };
        }
        const byHeight = new Map<number, PreparedCertificate>();
        for (const c of allCerts) if (prng.chance(0.3)) byHeight.set(c.header.height, c);
        const prepared = [...byHeight.values()].sort((a, b) => a.header.height - b.header.height);
        return { newView: view + 1, checkpoint: BASE, prepared };
      });
      const decision = decideNewView(vcs, 64, skipReproposal);
      reproposed = decision.reproposals.map((c) => c.header);
      for (const [height, hex] of committed) {
        const chosen = reproposed[height - 1];
        if (!chosen || toHex(headerHashOf(chosen)) !== hex) {
          return `view ${view + 1} lost the block committed at height ${height}`;
        }
      }
    }
    return undefined;
  }

  it('property: no committed block is ever lost or replaced by a later NEW-VIEW (N=4 and N=7)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(4, 7), (seed, n) => {
        expect(modelHoldsSafety(seed, n, false)).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it('the property fails for a new primary that skips re-proposal (the model can find violations)', () => {
    let failures = 0;
    for (let seed = 0; seed < 200; seed++) if (modelHoldsSafety(seed, 4, true)) failures++;
    expect(failures).toBeGreaterThan(0);
  });
});
