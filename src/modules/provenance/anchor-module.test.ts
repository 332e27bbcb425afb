import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, fromUtf8, toHex, utf8 } from '../../codec/bytes.ts';
import { encodeRlpItem, type RlpItem } from '../../codec/rlp.ts';
import { sha256 } from '../../crypto/sha256.ts';
import { MeridianError } from '../../errors.ts';
import type { ModuleCall } from '../../exec/module.ts';
import { provenanceModule } from './anchor-module.ts';
import {
  type AnchoredState,
  type AnchorState,
  decodeAnchorState,
  encodeAnchorState,
  pathAncestors,
} from './anchor-state.ts';

const ALICE = `0x${'a1'.repeat(32)}`;
const BOB = `0x${'b2'.repeat(32)}`;
const hashOf = (text: string) => toHex(sha256(utf8(text)));

/** A module's view of a world state held in a Map, and what it anchored per height. */
class Chain {
  readonly state = new Map<string, Uint8Array>();
  readonly anchors = new Map<number, Map<string, string>>();

  run(height: number, sender: string, entries: unknown[]): unknown {
    const writes = new Map(this.state);
    const anchored: [string, string][] = [];
    const call = {
      sender: new Uint8Array(32),
      senderHex: sender,
      height,
      timestampMs: 0,
      txHash: new Uint8Array(32),
      state: {
        get: (key: Uint8Array) => writes.get(fromUtf8(key)),
        put: (key: Uint8Array, value: Uint8Array) => writes.set(fromUtf8(key), value),
        del: (key: Uint8Array) => writes.delete(fromUtf8(key)),
      },
      read: () => undefined,
      emit: () => {},
      anchorProvenance: (uri: string, hash: Uint8Array) => anchored.push([uri, toHex(hash)]),
      blockScope: { get: async () => undefined as never },
    } as unknown as ModuleCall;
    const result = provenanceModule.execute(call, 'anchor', utf8(JSON.stringify({ entries })));
    // Like a transaction: applied only when it succeeds.
    for (const [k, v] of writes) this.state.set(k, v);
    const block = this.anchors.get(height) ?? new Map<string, string>();
    for (const [uri, hash] of anchored) block.set(uri, hash);
    this.anchors.set(height, block);
    return result;
  }

  get(uri: string): AnchorState | undefined {
    const raw = this.state.get(uri);
    return raw === undefined ? undefined : decodeAnchorState(raw);
  }

  anchored(uri: string): AnchoredState {
    const s = this.get(uri);
    if (s?.kind !== 'anchored') throw new Error(`${uri} is not anchored`);
    return s;
  }
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(MeridianError);
    return (error as MeridianError).code;
  }
}

const D = 'https://data.example.org/ds';
const F = `${D}/f1`;
const A = `${F}/geometry`;

describe('provenance.anchor', () => {
  it('anchors a dataset, its feature and attribute: versions, heights, owner and subtree blocks', () => {
    const chain = new Chain();
    const result = chain.run(5, ALICE, [
      { uri: A, hash: hashOf('a') },
      { uri: D, hash: hashOf('d'), version: 1 },
      { uri: F, hash: hashOf('f') },
    ]);
    expect(result).toEqual({ anchored: 3, unchanged: 0, height: 5 });
    expect(chain.anchored(D)).toEqual({
      kind: 'anchored',
      hash: hashOf('d'),
      version: 1,
      height: 5,
      owner: ALICE,
      blocks: [5],
    });
    expect(chain.anchors.get(5)).toEqual(
      new Map([
        [D, hashOf('d')],
        [F, hashOf('f')],
        [A, hashOf('a')],
      ]),
    );
    // Ancestors that were never anchored are marked as paths.
    expect(chain.get('https://data.example.org')).toEqual({ kind: 'path' });

    // A new version of the attribute in a later block appends to every anchored ancestor's blocks.
    chain.run(9, ALICE, [{ uri: A, hash: hashOf('a2'), version: 2 }]);
    expect(chain.anchored(A)).toMatchObject({ version: 2, height: 9, blocks: [5, 9] });
    expect(chain.anchored(F)).toMatchObject({ version: 1, height: 5, blocks: [5, 9] });
    expect(chain.anchored(D)).toMatchObject({ version: 1, height: 5, blocks: [5, 9] });
  });

  it('skips an entry whose hash is already the latest (a re-sent batch anchors nothing twice)', () => {
    const chain = new Chain();
    chain.run(2, ALICE, [{ uri: D, hash: hashOf('d') }]);
    expect(chain.run(3, ALICE, [{ uri: D, hash: hashOf('d'), version: 1 }])).toEqual({
      anchored: 0,
      unchanged: 1,
      height: 3,
    });
    expect(chain.anchored(D).blocks).toEqual([2]);
    expect(chain.anchors.get(3)?.size).toBe(0);
  });

  it('refuses what would leave a version unprovable or a history forked', () => {
    const chain = new Chain();
    chain.run(2, ALICE, [{ uri: F, hash: hashOf('f') }]);
    // F's dataset was not anchored first: D is now a path and can no longer be anchored.
    expect(codeOf(() => chain.run(3, ALICE, [{ uri: D, hash: hashOf('d') }]))).toBe(
      'PROVENANCE_DESCENDANTS_FIRST',
    );
    expect(codeOf(() => chain.run(2, ALICE, [{ uri: F, hash: hashOf('f2') }]))).toBe(
      'PROVENANCE_ANCHORED_IN_BLOCK',
    );
    expect(codeOf(() => chain.run(3, BOB, [{ uri: F, hash: hashOf('f2') }]))).toBe('PROVENANCE_NOT_OWNER');
    expect(codeOf(() => chain.run(3, ALICE, [{ uri: F, hash: hashOf('f2'), version: 3 }]))).toBe(
      'PROVENANCE_VERSION_MISMATCH',
    );
    expect(
      codeOf(() =>
        chain.run(4, ALICE, [
          { uri: A, hash: hashOf('x') },
          { uri: A, hash: hashOf('y') },
        ]),
      ),
    ).toBe('PROVENANCE_DUPLICATE_URI');
    // Nothing of the refused transactions stuck.
    expect(chain.anchored(F)).toMatchObject({ version: 1, blocks: [2] });
    expect(chain.get(A)).toBeUndefined();
  });

  it('refuses malformed payloads', () => {
    const chain = new Chain();
    expect(codeOf(() => chain.run(1, ALICE, []))).toBe('PAYLOAD_INVALID');
    expect(codeOf(() => chain.run(1, ALICE, [{ uri: D, hash: '0xAB' }]))).toBe('PAYLOAD_INVALID');
    expect(
      codeOf(() => chain.run(1, ALICE, [{ uri: D, hash: hashOf('d').toUpperCase().replace('0X', '0x') }])),
    ).toBe('PAYLOAD_INVALID');
    expect(codeOf(() => chain.run(1, ALICE, [{ uri: 'not a uri', hash: hashOf('d') }]))).toBe('BAD_URI');
    expect(codeOf(() => chain.run(1, ALICE, [{ uri: D, hash: hashOf('d'), extra: 1 }]))).toBe(
      'PAYLOAD_INVALID',
    );
    expect(codeOf(() => chain.run(1, ALICE, [{ uri: D, hash: hashOf('d'), version: 0 }]))).toBe(
      'PAYLOAD_INVALID',
    );
  });

  it('answers the latest query from the state', async () => {
    const chain = new Chain();
    chain.run(4, ALICE, [{ uri: D, hash: hashOf('d') }]);
    const context = {
      height: 4,
      timestampMs: 0,
      get: (key: Uint8Array) => chain.state.get(fromUtf8(key)),
      scan: () => [],
      read: () => undefined,
    };
    expect(await provenanceModule.queries!.latest!(context, { uri: D })).toMatchObject({
      kind: 'anchored',
      version: 1,
    });
    expect(await provenanceModule.queries!.latest!(context, { uri: `${D}/nothing` })).toBeNull();
  });

  it('model check: `blocks` of every anchored URI is exactly the heights at which it or a URI below it was anchored', () => {
    const tree = [D, F, A, `${D}/f2`, `${D}/f2/properties.h`, `${D}2`, `${D}2/g`];
    fc.assert(
      fc.property(
        fc.array(fc.subarray(tree, { minLength: 1 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(3), { minLength: 8, maxLength: 8 }),
        (batches, versionsSeed) => {
          const chain = new Chain();
          const expected = new Map<string, Set<number>>();
          const hashes = new Map<string, string>();
          batches.forEach((batch, i) => {
            const height = i + 1;
            const entries = batch.map((uri) => ({
              uri,
              hash: hashOf(`${uri}@${height}#${versionsSeed[i]}`),
            }));
            try {
              chain.run(height, ALICE, entries);
            } catch (error) {
              expect((error as MeridianError).code).toBe('PROVENANCE_DESCENDANTS_FIRST');
              return;
            }
            for (const { uri, hash } of entries) {
              hashes.set(uri, hash);
              for (const u of [uri, ...pathAncestors(uri)]) {
                const set = expected.get(u) ?? new Set<number>();
                set.add(height);
                expected.set(u, set);
              }
            }
          });
          for (const uri of tree) {
            const state = chain.get(uri);
            if (!hashes.has(uri)) {
              expect(state === undefined || state.kind === 'path').toBe(true);
              continue;
            }
            const anchored = chain.anchored(uri);
            expect(anchored.hash).toBe(hashes.get(uri));
            expect(anchored.blocks).toEqual([...expected.get(uri)!].sort((a, b) => a - b));
            // The latest height holds this exact hash in that block's provenance trie.
            expect(chain.anchors.get(anchored.height)?.get(uri)).toBe(anchored.hash);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('anchor state encoding', () => {
  it('round-trips and is the compact RLP [hash, version, height, owner, [blocks]]', () => {
    const state: AnchorState = {
      kind: 'anchored',
      hash: hashOf('x'),
      version: 3,
      height: 7,
      owner: ALICE,
      blocks: [2, 7],
    };
    const bytes = encodeAnchorState(state);
    expect(decodeAnchorState(bytes)).toEqual(state);
    expect(toHex(bytes)).toBe(
      toHex(
        encodeRlpItem([
          fromHex(hashOf('x')),
          Uint8Array.of(3),
          Uint8Array.of(7),
          fromHex(ALICE),
          [Uint8Array.of(2), Uint8Array.of(7)],
        ]),
      ),
    );
    expect(bytes.length).toBe(73);
    expect(toHex(encodeAnchorState({ kind: 'path' }))).toBe('0xc0');
    expect(decodeAnchorState(encodeAnchorState({ kind: 'path' }))).toEqual({ kind: 'path' });
  });

  it('refuses values the module never writes', () => {
    const n = (value: number) => (value === 0 ? new Uint8Array(0) : Uint8Array.of(value));
    const fields = (over: Partial<Record<'hash' | 'version' | 'height' | 'owner' | 'blocks', RlpItem>>) => {
      const f = {
        hash: fromHex(hashOf('x')),
        version: n(1),
        height: n(7),
        owner: fromHex(ALICE),
        blocks: [n(7)],
        ...over,
      };
      return [f.hash, f.version, f.height, f.owner, f.blocks];
    };
    const bad: RlpItem[] = [
      fields({ blocks: [n(7), n(7)] }),
      fields({ blocks: [n(3)] }),
      fields({ blocks: [n(8), n(7)] }),
      fields({ blocks: [] }),
      fields({ version: n(0) }),
      fields({ height: n(0), blocks: [n(0)] }),
      fields({ version: Uint8Array.of(0, 1) }),
      fields({ hash: fromHex(hashOf('x')).slice(1) }),
      fields({ owner: [] }),
      [...fields({}), n(1)],
      fields({}).slice(0, 4),
      [[]],
      n(1),
    ];
    for (const value of bad) {
      expect(codeOf(() => decodeAnchorState(encodeRlpItem(value)))).toBe('ANCHOR_STATE_INVALID');
    }
    const good = encodeAnchorState({
      kind: 'anchored',
      hash: hashOf('x'),
      version: 1,
      height: 7,
      owner: ALICE,
      blocks: [7],
    });
    expect(codeOf(() => decodeAnchorState(good.slice(0, -1)))).toBe('ANCHOR_STATE_INVALID');
    expect(codeOf(() => decodeAnchorState(Uint8Array.of(...good, 0)))).toBe('ANCHOR_STATE_INVALID');
    expect(codeOf(() => decodeAnchorState(new Uint8Array(0)))).toBe('ANCHOR_STATE_INVALID');
    expect(codeOf(() => decodeAnchorState(utf8('{"kind":"path"}')))).toBe('ANCHOR_STATE_INVALID');
  });

  it('lists path ancestors nearest first, stopping at the authority', () => {
    expect(pathAncestors(A)).toEqual([F, D, 'https://data.example.org']);
    expect(pathAncestors('urn:x:y')).toEqual([]);
  });
});
