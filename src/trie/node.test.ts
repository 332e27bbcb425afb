import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRlpItem, type RlpItem } from '../codec/rlp.ts';
import { bytesToNibbles, hexPrefixDecode, hexPrefixEncode, nibblesToBytes } from './nibbles.ts';
import { type ChildRef, HashRef, type TrieNode } from './node.ts';
import { decodeNode } from './node-decoding.ts';
import { encodeNode } from './node-encoding.ts';
import { anyKey, trieValue } from './test-support.ts';
import { MerklePatriciaTrie } from './trie.ts';

const nibbles = fc.uint8Array({ max: 15, maxLength: 70 });

describe('nibbles and hex-prefix', () => {
  it('round-trips bytes through nibbles', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(nibblesToBytes(bytesToNibbles(b))).toEqual(b);
      }),
    );
  });

  it('round-trips paths through hex-prefix with the Yellow Paper flags', () => {
    fc.assert(
      fc.property(nibbles, fc.boolean(), (path, isLeaf) => {
        const encoded = hexPrefixEncode(path, isLeaf);
        expect(encoded[0]! >> 4).toBe((isLeaf ? 2 : 0) + (path.length % 2));
        expect(hexPrefixDecode(encoded)).toEqual({ path, isLeaf });
      }),
    );
    expect([...hexPrefixEncode(Uint8Array.of(1, 2, 3, 4, 5), false)]).toEqual([0x11, 0x23, 0x45]);
    expect([...hexPrefixEncode(Uint8Array.of(0, 1, 2, 3, 4, 5), false)]).toEqual([0x00, 0x01, 0x23, 0x45]);
    expect([...hexPrefixEncode(Uint8Array.of(0, 15, 1, 12, 11, 8), true)]).toEqual([0x20, 0x0f, 0x1c, 0xb8]);
    expect([...hexPrefixEncode(Uint8Array.of(15, 1, 12, 11, 8), true)]).toEqual([0x3f, 0x1c, 0xb8]);
  });

  it('rejects a bad flag, a non-zero pad nibble, and an empty encoding', () => {
    expect(() => hexPrefixDecode(Uint8Array.of(0x40))).toThrow(
      expect.objectContaining({ code: 'BAD_HEX_PREFIX' }),
    );
    expect(() => hexPrefixDecode(Uint8Array.of(0x01))).toThrow(
      expect.objectContaining({ code: 'BAD_HEX_PREFIX' }),
    );
    expect(() => hexPrefixDecode(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'BAD_HEX_PREFIX' }),
    );
  });
});

/** The node as generic nested RLP items (the reference encoding). */
function asItem(node: TrieNode): RlpItem {
  const ref = (child: ChildRef | undefined): RlpItem => {
    if (child === undefined) return new Uint8Array(0);
    if (child.kind === 'hash') return child.hash;
    const encoded = encodeRlpItem(asItem(child));
    return encoded.length < 32 ? asItem(child) : child.hash!;
  };
  if (node.kind === 'leaf') return [hexPrefixEncode(node.path, true), node.value];
  if (node.kind === 'extension') return [hexPrefixEncode(node.path, false), ref(node.child)];
  return [...node.children.map(ref), node.value ?? new Uint8Array(0)];
}

function walk(node: TrieNode, visit: (n: TrieNode) => void): void {
  visit(node);
  if (node.kind === 'extension' && node.child.kind !== 'hash') walk(node.child, visit);
  if (node.kind === 'branch') for (const c of node.children) if (c && c.kind !== 'hash') walk(c, visit);
}

describe('node encoding', () => {
  it('matches the generic RLP encoder for every node, and decodes back to the same encoding', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyKey, trieValue), { minLength: 1, maxLength: 30 }), (entries) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        trie.root();
        walk(trie.rootRef() as TrieNode, (node) => {
          const encoded = encodeNode(node);
          expect(encoded).toEqual(encodeRlpItem(asItem(node)));
          expect(encodeNode(reencodeable(decodeNode(encoded.slice())))).toEqual(encoded);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('encodes long values and long paths with long-form RLP headers', () => {
    const trie = MerklePatriciaTrie.fromEntries([
      [new Uint8Array(300).fill(0xab), new Uint8Array(1000).fill(7)],
    ]);
    const root = trie.rootRef() as TrieNode;
    expect(encodeNode(root)).toEqual(encodeRlpItem(asItem(root)));
  });

  it('rejects non-canonical or malformed nodes with DecodeError', () => {
    const bad: RlpItem[] = [
      [new Uint8Array(0)], // one item
      [Uint8Array.of(0x20), new Uint8Array(0)], // leaf with empty value
      [Uint8Array.of(0x00), new Uint8Array(0)], // extension with empty path
      [Uint8Array.of(0x11), new Uint8Array(5)], // extension with a 5-byte reference
      [...Array.from({ length: 16 }, () => new Uint8Array(0)), Uint8Array.of(1)], // branch with one slot
    ];
    for (const item of bad) {
      expect(() => decodeNode(encodeRlpItem(item))).toThrow(expect.objectContaining({ name: 'DecodeError' }));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (garbage) => {
        try {
          decodeNode(garbage);
        } catch (error) {
          expect((error as Error).name).toBe('DecodeError');
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** Decoded nodes carry their input as `encoded`; clear it so encodeNode really re-encodes. */
function reencodeable(node: TrieNode): TrieNode {
  node.encoded = undefined;
  if (node.kind === 'extension' && !(node.child instanceof HashRef)) reencodeable(node.child);
  if (node.kind === 'branch')
    for (const c of node.children) if (c && !(c instanceof HashRef)) reencodeable(c);
  return node;
}

describe('browser safety', () => {
  it('no file in src/trie imports node:*', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('./', import.meta.url);
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
      const source = readFileSync(new URL(name, dir), 'utf8');
      expect(source, name).not.toMatch(/from ['"]node:/);
    }
  });
});
