import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { createProof, verifyProof } from './proof.ts';
import {
  decodeKeyProof,
  decodeSubtreeProof,
  encodeKeyProof,
  encodeSubtreeProof,
  keyProofToJson,
  parseKeyProofJson,
  parseSubtreeProofJson,
  proofJsonType,
  subtreeProofToJson,
} from './proof-codec.ts';
import { createSubtreeProof, verifySubtreeProof } from './subtree-proof.ts';
import { anyKey, trieValue } from './test-support.ts';
import { MerklePatriciaTrie } from './trie.ts';

const scenario = fc
  .uniqueArray(fc.tuple(anyKey, trieValue), { selector: ([k]) => toHex(k), minLength: 1, maxLength: 30 })
  .chain((entries) =>
    fc.tuple(
      fc.constant(entries),
      fc
        .nat(entries.length - 1)
        .chain((i) => fc.nat(entries[i]![0].length).map((n) => entries[i]![0].slice(0, n))),
    ),
  );

describe('proof serialisation', () => {
  it('round-trips key proofs through RLP and JSON, and the decoded proofs still verify', () => {
    fc.assert(
      fc.property(scenario, ([entries]) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const [key, value] = entries[0]!;
        const proof = { key, nodes: createProof(trie, key) };
        const viaRlp = decodeKeyProof(encodeKeyProof(proof));
        expect(viaRlp).toEqual(proof);
        const json = JSON.stringify(keyProofToJson(proof, trie.root()));
        expect(proofJsonType(json)).toBe('trie-proof');
        const viaJson = parseKeyProofJson(json);
        expect(viaJson.root).toEqual(trie.root());
        expect(verifyProof(trie.root(), viaJson.key, viaJson.nodes)).toEqual(value);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips subtree proofs through RLP and JSON', () => {
    fc.assert(
      fc.property(scenario, ([entries, prefix]) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const proof = createSubtreeProof(trie, prefix);
        const viaRlp = decodeSubtreeProof(encodeSubtreeProof(proof));
        expect(viaRlp).toEqual({ prefix: proof.prefix, nodes: proof.nodes, entries: proof.entries });
        const json = JSON.stringify(subtreeProofToJson(proof));
        expect(proofJsonType(json)).toBe('trie-subtree-proof');
        const viaJson = parseSubtreeProofJson(json);
        expect(verifySubtreeProof(trie.root(), viaJson).entries).toEqual(proof.entries);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects malformed input with DecodeError codes, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
        for (const decodeIt of [decodeKeyProof, decodeSubtreeProof]) {
          try {
            decodeIt(garbage);
          } catch (error) {
            expect((error as { code?: string }).code).toMatch(/^RLP_/);
          }
        }
      }),
      { numRuns: 300 },
    );
    const bad = [
      '',
      'null',
      '[]',
      '{"type":"trie-proof","key":"0x00"}',
      '{"type":"trie-proof","key":"0x0","nodes":[]}',
      '{"type":"trie-proof","key":"0x00","nodes":["zz"]}',
      '{"type":"trie-proof","key":"0x00","nodes":[],"extra":1}',
      '{"type":"trie-subtree-proof","prefix":"0x","nodes":[],"entries":[["0x01"]]}',
      '{"type":"other"}',
    ];
    for (const text of bad) {
      expect(() =>
        text.includes('subtree') ? parseSubtreeProofJson(text) : parseKeyProofJson(text),
      ).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(PROOF_JSON_INVALID|BAD_HEX)$/) }));
    }
  });

  it('refuses oversized input before parsing', () => {
    expect(() => parseKeyProofJson(' '.repeat(20 * 1024 * 1024))).toThrow(
      expect.objectContaining({ code: 'PROOF_TOO_LARGE' }),
    );
    expect(() => decodeKeyProof(new Uint8Array(4 * 1024 * 1024))).toThrow(
      expect.objectContaining({ code: 'RLP_TOO_LARGE' }),
    );
  });
});
