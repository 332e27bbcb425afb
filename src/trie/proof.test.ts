import { createMerkleProof, createMPT, verifyMerkleProof } from '@ethereumjs/mpt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../codec/bytes.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { MAX_PROOF_NODES } from './limits.ts';
import { createProof, verifyProof } from './proof.ts';
import { anyKey, shortKey, trieValue, uriKey } from './test-support.ts';
import { EMPTY_TRIE_ROOT, MerklePatriciaTrie } from './trie.ts';

const entriesArb = fc.uniqueArray(fc.tuple(anyKey, trieValue), {
  selector: ([k]) => toHex(k),
  minLength: 1,
  maxLength: 40,
});

function expectInvalid(run: () => unknown): void {
  expect(run).toThrow(expect.objectContaining({ code: 'PROOF_INVALID' }));
}

describe('createProof / verifyProof', () => {
  it('proves every present key (returns its value) and every absent key (returns undefined)', () => {
    fc.assert(
      fc.property(entriesArb, fc.array(anyKey, { maxLength: 10 }), (entries, probes) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const root = trie.root();
        for (const [key, value] of entries)
          expect(verifyProof(root, key, createProof(trie, key))).toEqual(value);
        for (const key of probes) {
          expect(verifyProof(root, key, createProof(trie, key))).toEqual(trie.get(key));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('produces the nodes of @ethereumjs/mpt less the embedded ones (as geth does), and it accepts them', async () => {
    await fc.assert(
      fc.asyncProperty(
        entriesArb,
        fc.array(fc.oneof(uriKey, shortKey), { maxLength: 4 }),
        async (entries, probes) => {
          const trie = MerklePatriciaTrie.fromEntries(entries);
          const oracle = await createMPT({ useKeyHashing: false });
          for (const [k, v] of entries) await oracle.put(k, v);
          for (const key of [...entries.map(([k]) => k), ...probes]) {
            const ours = createProof(trie, key);
            const theirs = await createMerkleProof(oracle, key);
            // @ethereumjs/mpt also lists embedded (< 32-byte) nodes; EIP-1186 / geth do not.
            const hashed = theirs.filter((node, i) => i === 0 || node.length >= 32);
            expect(ours.map(toHex)).toEqual(hashed.map(toHex));
            const value = await verifyMerkleProof(key, ours, { root: trie.root(), useKeyHashing: false });
            expect(value ?? undefined).toEqual(trie.get(key));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('fails with PROOF_INVALID when any byte of any node is flipped', () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (entries, pick, at, mask) => {
          const trie = MerklePatriciaTrie.fromEntries(entries);
          const key = entries[pick % entries.length]![0];
          const proof = createProof(trie, key);
          const i = at % proof.length;
          const tampered = proof.map((n) => n.slice());
          const node = tampered[i]!;
          node[(at >> 3) % node.length]! ^= mask;
          expectInvalid(() => verifyProof(trie.root(), key, tampered));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails for a wrong root, a missing node, an extra node, or a node from elsewhere', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const key = entries[0]![0];
        const proof = createProof(trie, key);
        const root = trie.root();
        expectInvalid(() => verifyProof(keccak256(root), key, proof));
        expectInvalid(() => verifyProof(root, key, [...proof, proof[0]!]));
        if (proof.length > 1) {
          expectInvalid(() => verifyProof(root, key, proof.slice(0, -1)));
          expectInvalid(() => verifyProof(root, key, [...proof.slice(1), proof[0]!]));
        }
        const other = MerklePatriciaTrie.fromEntries([
          ...entries,
          [utf8('another key'), utf8('another value')],
        ]);
        const foreign = createProof(other, key);
        if (toHex(other.root()) !== toHex(root)) expectInvalid(() => verifyProof(root, key, foreign));
      }),
      { numRuns: 100 },
    );
  });

  it('handles the empty trie: empty proof, absent key; a non-empty root needs nodes', () => {
    const empty = new MerklePatriciaTrie();
    expect(createProof(empty, utf8('x'))).toEqual([]);
    expect(verifyProof(EMPTY_TRIE_ROOT, utf8('x'), [])).toBeUndefined();
    const trie = MerklePatriciaTrie.fromEntries([[utf8('x'), utf8('y')]]);
    expectInvalid(() => verifyProof(trie.root(), utf8('x'), []));
  });

  it('rejects malformed nodes that hash to the root with PROOF_INVALID, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.oneof(uriKey, shortKey), (garbage, key) => {
        try {
          verifyProof(keccak256(garbage), key, [garbage]);
        } catch (error) {
          expect(error).toMatchObject({ code: 'PROOF_INVALID' });
        }
      }),
      { numRuns: 500 },
    );
    const notAList = utf8('a string, not a node list, long enough');
    expectInvalid(() => verifyProof(keccak256(notAList), utf8('k'), [notAList]));
  });

  it('bounds the proof size by MAX_PROOF_NODES', () => {
    const nodes = Array.from({ length: MAX_PROOF_NODES + 1 }, () => new Uint8Array(1));
    expect(() => verifyProof(EMPTY_TRIE_ROOT, utf8('k'), nodes)).toThrow(/MAX_PROOF_NODES/);
  });
});
