import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../src/codec/bytes.ts';
import { createProof, MerklePatriciaTrie, verifyProof } from '../../../src/trie/index.ts';
import { describeProofPath } from './proof-path.ts';

function trieOf(entries: [string, string][]): MerklePatriciaTrie {
  const trie = new MerklePatriciaTrie();
  for (const [k, v] of entries) trie.put(utf8(k), utf8(v));
  return trie;
}

function describe_(trie: MerklePatriciaTrie, key: string) {
  const proof = createProof(trie, utf8(key)).map(toHex);
  return describeProofPath(toHex(trie.root()), toHex(utf8(key)), proof);
}

describe('describeProofPath', () => {
  const trie = trieOf([
    ['kv/alpha', 'one'],
    ['kv/alphabet', 'two'],
    ['kv/beta', 'three'],
    ['acct/x', 'four'],
  ]);

  it('walks a present key to its value, every hash matching', () => {
    const path = describe_(trie, 'kv/alpha');
    expect(path.outcome).toBe('present');
    expect(path.value).toBe(toHex(utf8('one')));
    expect(path.steps.every((s) => s.hashMatches)).toBe(true);
    expect(path.steps[0]?.expected).toBe(toHex(trie.root()));
    expect(path.steps.map((s) => s.consumed).join('')).toBe(path.keyNibbles);
  });

  it('explains an absent key', () => {
    const path = describe_(trie, 'kv/gamma');
    expect(path.outcome).toBe('absent');
    expect(path.value).toBeUndefined();
  });

  it('flags a node that does not hash to its reference', () => {
    const proof = createProof(trie, utf8('kv/beta')).map(toHex);
    const last = proof.length - 1;
    proof[last] = proof[last]!.slice(0, -2) + (proof[last]!.endsWith('00') ? '01' : '00');
    const path = describeProofPath(toHex(trie.root()), toHex(utf8('kv/beta')), proof);
    expect(path.steps.some((s) => !s.hashMatches)).toBe(true);
  });

  it('agrees with verifyProof on random tries', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ minLength: 1, maxLength: 40 })),
          {
            selector: ([k]) => k,
            maxLength: 30,
          },
        ),
        fc.string({ minLength: 1, maxLength: 6 }),
        (entries, probe) => {
          const t = trieOf(entries);
          if (t.isEmpty()) return;
          const proof = createProof(t, utf8(probe));
          const expected = verifyProof(t.root(), utf8(probe), proof);
          const path = describeProofPath(toHex(t.root()), toHex(utf8(probe)), proof.map(toHex));
          expect(path.outcome).toBe(expected === undefined ? 'absent' : 'present');
          if (expected !== undefined) expect(path.value).toBe(toHex(expected));
          expect(path.unusedNodes).toBe(0);
          expect(path.steps.every((s) => s.hashMatches)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
