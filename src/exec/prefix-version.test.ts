import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesKey, startsWithBytes, utf8 } from '../codec/bytes.ts';
import { MerklePatriciaTrie, prefixVersion } from '../trie/index.ts';
import { StateOverlay } from './overlay.ts';
import { trieReader } from './trie-reader.ts';

const PREFIX = utf8('m/');
// Keys inside and outside the watched prefix, including ones that share its first byte.
const keyArb = fc
  .oneof(
    fc.constantFrom('m/a', 'm/b', 'm/ab', 'm/', 'k/a', 'ma', 'x', 'm/zzzz'),
    fc.string({ minLength: 1, maxLength: 6 }),
  )
  .map(utf8);
const opsArb = fc.array(fc.tuple(keyArb, fc.constantFrom('', 'v1', 'v2')), { maxLength: 12 });

function entriesUnder(trie: MerklePatriciaTrie): string {
  return JSON.stringify(
    [...trie.entries()]
      .filter(([key]) => startsWithBytes(key, PREFIX))
      .map(([key, value]) => [bytesKey(key), bytesKey(value)]),
  );
}

describe('prefixVersion (memoisation token of a namespace)', () => {
  it('on a trie: the same token means the same entries under the prefix (any edits, forks)', () => {
    fc.assert(
      fc.property(opsArb, opsArb, (base, edits) => {
        const parent = new MerklePatriciaTrie();
        for (const [key, value] of base) parent.put(key, utf8(value));
        const child = parent.fork();
        for (const [key, value] of edits) child.put(key, utf8(value));
        const same = prefixVersion(parent, PREFIX) === prefixVersion(child, PREFIX);
        if (same) expect(entriesUnder(child)).toBe(entriesUnder(parent));
      }),
      { numRuns: 500 },
    );
  });

  it('survives edits outside the prefix once the namespace has its own subtree (what makes memos pay)', () => {
    const trie = new MerklePatriciaTrie();
    for (const key of ['m/a', 'm/b', 'k/a', 'x']) trie.put(utf8(key), utf8('1'));
    const before = prefixVersion(trie, PREFIX);
    const fork = trie.fork();
    for (const key of ['k/a', 'k/b', 'x', 'y', 'n/']) fork.put(utf8(key), utf8('2'));
    fork.del(utf8('x'));
    expect(prefixVersion(fork, PREFIX)).toBe(before);
  });

  it('changes on a trie when a key under the prefix changes', () => {
    const trie = new MerklePatriciaTrie();
    trie.put(utf8('m/a'), utf8('1'));
    trie.put(utf8('k/a'), utf8('1'));
    const before = prefixVersion(trie, PREFIX);
    const fork = trie.fork();
    fork.put(utf8('m/a'), utf8('2'));
    expect(prefixVersion(fork, PREFIX)).not.toBe(before);
    expect(prefixVersion(trie, PREFIX)).toBe(before);
  });

  it("on an overlay: the base's token until the layer writes under the prefix, then null", () => {
    const trie = new MerklePatriciaTrie();
    trie.put(utf8('m/a'), utf8('1'));
    const base = trieReader(trie);
    const block = new StateOverlay(base);
    const tx = new StateOverlay(block);
    const version = prefixVersion(trie, PREFIX);
    expect(tx.prefixVersion(PREFIX)).toBe(version);
    tx.put(utf8('k/x'), utf8('1'));
    expect(tx.prefixVersion(PREFIX)).toBe(version);
    tx.put(utf8('m/b'), utf8('1'));
    expect(tx.prefixVersion(PREFIX)).toBeNull();
    expect(block.prefixVersion(PREFIX)).toBe(version);
    tx.commitTo(block);
    expect(block.prefixVersion(PREFIX)).toBeNull();
    // A layer that wrote under the prefix before it was first asked is caught too.
    const late = new StateOverlay(base);
    late.del(utf8('m/a'));
    expect(late.prefixVersion(PREFIX)).toBeNull();
    expect(new StateOverlay({ get: () => undefined }).prefixVersion(PREFIX)).toBeNull();
  });
});
