import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../codec/bytes.ts';
import { KECCAK_EMPTY } from '../crypto/keccak.ts';
import { BinaryMerkleTree, binaryInnerHash, binaryLeafHash, verifyBinaryProof } from './binary-merkle.ts';
import { anyKey, trieValue } from './test-support.ts';

const entriesArb = fc.uniqueArray(fc.tuple(anyKey, trieValue), {
  selector: ([k]) => toHex(k),
  minLength: 1,
  maxLength: 70,
});

describe('binary Merkle baseline', () => {
  it('proves every entry, has 2n - 1 nodes, and does not depend on input order', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const tree = BinaryMerkleTree.fromEntries(entries);
        expect(tree.countNodes()).toBe(2 * entries.length - 1);
        expect(BinaryMerkleTree.fromEntries([...entries].reverse()).root()).toEqual(tree.root());
        for (const [key, value] of entries) {
          const proof = tree.createProof(key)!;
          expect(verifyBinaryProof(tree.root(), key, value, proof)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a wrong value, a wrong key, a flipped or missing sibling, or an impossible position', () => {
    fc.assert(
      fc.property(entriesArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (entries, pick, mask) => {
        const tree = BinaryMerkleTree.fromEntries(entries);
        const [key, value] = entries[pick % entries.length]!;
        const proof = tree.createProof(key)!;
        const root = tree.root();
        const altered = value.slice();
        altered[0]! ^= mask;
        expect(verifyBinaryProof(root, key, altered, proof)).toBe(false);
        expect(verifyBinaryProof(root, Uint8Array.from([...key, mask]), value, proof)).toBe(false);
        if (proof.siblings.length > 0) {
          const siblings = proof.siblings.map((s) => s.slice());
          siblings[pick % siblings.length]![pick % 32]! ^= mask;
          expect(verifyBinaryProof(root, key, value, { ...proof, siblings })).toBe(false);
          expect(verifyBinaryProof(root, key, value, { ...proof, siblings: proof.siblings.slice(1) })).toBe(
            false,
          );
        }
        expect(verifyBinaryProof(root, key, value, { ...proof, leafCount: 0 })).toBe(false);
        expect(verifyBinaryProof(root, key, value, { ...proof, index: proof.leafCount })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('hashes leaves and inner nodes with different prefixes, and has a fixed empty root', () => {
    const left = binaryLeafHash(utf8('a'), utf8('1'));
    const right = binaryLeafHash(utf8('b'), utf8('2'));
    const tree = BinaryMerkleTree.fromEntries([
      [utf8('b'), utf8('2')],
      [utf8('a'), utf8('1')],
    ]);
    expect(tree.root()).toEqual(binaryInnerHash(left, right));
    expect(tree.createProof(utf8('c'))).toBeUndefined();
    expect(BinaryMerkleTree.fromEntries([]).root()).toEqual(KECCAK_EMPTY);
    expect(BinaryMerkleTree.fromEntries([]).countNodes()).toBe(0);
    // Three leaves: the third is promoted, so the root is inner(inner(a, b), c).
    const three = BinaryMerkleTree.fromEntries([
      [utf8('a'), utf8('1')],
      [utf8('b'), utf8('2')],
      [utf8('c'), utf8('3')],
    ]);
    expect(three.root()).toEqual(
      binaryInnerHash(binaryInnerHash(left, right), binaryLeafHash(utf8('c'), utf8('3'))),
    );
    expect(three.countNodes()).toBe(5);
  });
});
