import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, startsWithBytes, toHex, utf8 } from '../codec/bytes.ts';
import { createSubtreeProof, type Entry, type SubtreeProof, verifySubtreeProof } from './subtree-proof.ts';
import { anyKey, shortKey, trieValue, uriKey } from './test-support.ts';
import { EMPTY_TRIE_ROOT, MerklePatriciaTrie } from './trie.ts';

const entriesArb = fc.uniqueArray(fc.tuple(fc.oneof(uriKey, shortKey, anyKey), trieValue), {
  selector: ([k]) => toHex(k),
  minLength: 1,
  maxLength: 50,
});

/** A prefix cut from one of the keys at a random length, or a random short byte string. */
function prefixArb(entries: readonly Entry[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(fc.nat(entries.length - 1), fc.nat()).map(([i, cut]) => {
      const key = entries[i]![0];
      return key.slice(0, cut % (key.length + 1));
    }),
    fc.uint8Array({ maxLength: 3 }),
  );
}

const scenario = entriesArb.chain((entries) => fc.tuple(fc.constant(entries), prefixArb(entries)));

function expected(entries: readonly Entry[], prefix: Uint8Array): string[] {
  return entries
    .filter(([k]) => startsWithBytes(k, prefix))
    .map(([k, v]) => `${toHex(k)}=${toHex(v)}`)
    .sort();
}

function render(entries: readonly Entry[]): string[] {
  return entries.map(([k, v]) => `${toHex(k)}=${toHex(v)}`).sort();
}

function expectInvalid(run: () => unknown): void {
  expect(run).toThrow(expect.objectContaining({ code: 'PROOF_INVALID' }));
}

const uri = (path: string) => utf8(`http://example.com/resource/${path}`);
const h = (s: string) => utf8(`entry-hash-${s}-padded-to-be-long-enough`);

describe('subtree proofs', () => {
  it('authenticate exactly the entries under any prefix (present, absent, mid-path, empty)', () => {
    fc.assert(
      fc.property(scenario, ([entries, prefix]) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const proof = createSubtreeProof(trie, prefix);
        expect(render(proof.entries)).toEqual(expected(entries, prefix));
        const verified = verifySubtreeProof(trie.root(), proof);
        expect(render(verified.entries)).toEqual(expected(entries, prefix));
      }),
      { numRuns: 500 },
    );
  });

  it('fail when an entry is altered, dropped, or added, or its key changed', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.integer({ min: 1, max: 255 }), ([entries, prefix], pick, mask) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const proof = createSubtreeProof(trie, prefix);
        const root = trie.root();
        const with_ = (list: Entry[]): SubtreeProof => ({ ...proof, entries: list });
        const list = proof.entries.map(([k, v]) => [k, v] as Entry);
        if (list.length > 0) {
          const i = pick % list.length;
          const [key, value] = list[i]!;
          const altered = value.slice();
          altered[pick % altered.length]! ^= mask;
          expectInvalid(() =>
            verifySubtreeProof(root, with_(list.map((e, j) => (j === i ? [key, altered] : e)))),
          );
          expectInvalid(() => verifySubtreeProof(root, with_(list.filter((_, j) => j !== i))));
          const renamed = Uint8Array.from([...key, mask]);
          if (!trie.get(renamed)) {
            const moved = list.map((e, j) => (j === i ? ([renamed, value] as Entry) : e));
            moved.sort((a, b) => Buffer.compare(a[0], b[0]));
            expectInvalid(() => verifySubtreeProof(root, with_(moved)));
          }
        }
        // Add a key under the prefix that the trie does not hold.
        const added = Uint8Array.from([...prefix, 0xff, mask]);
        if (trie.get(added) === undefined) {
          const more = [...list, [added, utf8('forged')] as Entry].sort((a, b) => Buffer.compare(a[0], b[0]));
          expectInvalid(() => verifySubtreeProof(root, with_(more)));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('fail when a path node is flipped, dropped, or an extra node is appended', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.integer({ min: 1, max: 255 }), ([entries, prefix], at, mask) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const proof = createSubtreeProof(trie, prefix);
        const root = trie.root();
        expectInvalid(() =>
          verifySubtreeProof(root, { ...proof, nodes: [...proof.nodes, proof.nodes[0] ?? utf8('x')] }),
        );
        if (proof.nodes.length > 0) {
          const nodes = proof.nodes.map((n) => n.slice());
          const node = nodes[at % nodes.length]!;
          node[(at >> 4) % node.length]! ^= mask;
          expectInvalid(() => verifySubtreeProof(root, { ...proof, nodes }));
          expectInvalid(() => verifySubtreeProof(root, { ...proof, nodes: proof.nodes.slice(0, -1) }));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('cover a dataset: the byte prefix .../dataset_7 also holds dataset_70; .../dataset_7/ does not', () => {
    const entries: Entry[] = [
      [uri('dataset_7'), h('d7')],
      [uri('dataset_7/feature_1'), h('d7f1')],
      [uri('dataset_7/feature_1/attr_height'), h('d7f1h')],
      [uri('dataset_7/feature_12/attr_height'), h('d7f12h')],
      [uri('dataset_70'), h('d70')],
      [uri('dataset_70/feature_1'), h('d70f1')],
      [uri('dataset_8'), h('d8')],
    ];
    const trie = MerklePatriciaTrie.fromEntries(entries);
    const root = trie.root();
    const all7 = verifySubtreeProof(root, createSubtreeProof(trie, uri('dataset_7')));
    expect(all7.entries.map(([k]) => new TextDecoder().decode(k).slice(28))).toEqual([
      'dataset_7',
      'dataset_7/feature_1',
      'dataset_7/feature_1/attr_height',
      'dataset_7/feature_12/attr_height',
      'dataset_70',
      'dataset_70/feature_1',
    ]);
    const under7 = verifySubtreeProof(root, createSubtreeProof(trie, uri('dataset_7/')));
    expect(under7.entries.length).toBe(3);
    // A prefix that ends in the middle of a leaf path, and one no key has.
    const mid = verifySubtreeProof(root, createSubtreeProof(trie, uri('dataset_7/feature_12/at')));
    expect(mid.entries.map(([k]) => toHex(k))).toEqual([toHex(uri('dataset_7/feature_12/attr_height'))]);
    const none = createSubtreeProof(trie, uri('dataset_9'));
    expect(none.entries).toEqual([]);
    expect(verifySubtreeProof(root, none).entries).toEqual([]);
    // Claiming dataset_9 holds an entry fails.
    expectInvalid(() => verifySubtreeProof(root, { ...none, entries: [[uri('dataset_9'), h('x')]] }));
  });

  it('work when the covering node is embedded in its parent (short keys and values)', () => {
    // root branch {0: extension [0,1] -> branch {1, 2}, 1: leaf}; the extension is < 32 bytes.
    const entries: Entry[] = [
      [fromHex('0x0011'), fromHex('0x01')],
      [fromHex('0x0012'), fromHex('0x02')],
      [fromHex('0x10'), fromHex('0x03')],
    ];
    const trie = MerklePatriciaTrie.fromEntries(entries);
    for (const prefix of ['0x00', '0x001'.slice(0, 4), '0x0011', '0x', '0x10', '0x20']) {
      const proof = createSubtreeProof(trie, fromHex(prefix));
      const verified = verifySubtreeProof(trie.root(), proof);
      expect(render(verified.entries)).toEqual(expected(entries, fromHex(prefix)));
    }
    const proof = createSubtreeProof(trie, fromHex('0x00'));
    expect(proof.entries.length).toBe(2);
    expectInvalid(() =>
      verifySubtreeProof(trie.root(), {
        ...proof,
        entries: [proof.entries[0]!, [fromHex('0x0012'), fromHex('0x09')]],
      }),
    );
  });

  it('handle the empty trie and the whole-trie (empty) prefix', () => {
    const empty = new MerklePatriciaTrie();
    const proof = createSubtreeProof(empty, utf8('any'));
    expect(proof).toMatchObject({ nodes: [], entries: [] });
    expect(verifySubtreeProof(EMPTY_TRIE_ROOT, proof).entries).toEqual([]);
    expectInvalid(() =>
      verifySubtreeProof(EMPTY_TRIE_ROOT, { ...proof, entries: [[utf8('any'), utf8('v')]] }),
    );
    const trie = MerklePatriciaTrie.fromEntries([[utf8('a'), utf8('1')]]);
    const whole = createSubtreeProof(trie, new Uint8Array(0));
    expect(whole.nodes).toEqual([]);
    expect(verifySubtreeProof(trie.root(), whole).entries.length).toBe(1);
  });

  it('reject entries out of order, duplicated, or outside the prefix', () => {
    const trie = MerklePatriciaTrie.fromEntries([
      [uri('d/a'), h('a')],
      [uri('d/b'), h('b')],
    ]);
    const proof = createSubtreeProof(trie, uri('d/'));
    const [a, b] = proof.entries as [Entry, Entry];
    expect(() => verifySubtreeProof(trie.root(), { ...proof, entries: [b, a] })).toThrow(/ascending/);
    expect(() => verifySubtreeProof(trie.root(), { ...proof, entries: [a, a, b] })).toThrow(/ascending/);
    expect(() => verifySubtreeProof(trie.root(), { ...proof, entries: [a, b, [uri('e'), h('e')]] })).toThrow(
      /does not start with the prefix/,
    );
  });
});
