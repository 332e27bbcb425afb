import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesKey, toHex, utf8 } from '../codec/bytes.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { MemoryKvStore } from '../store/memory-kv.ts';
import { EMPTY_TRIE_ROOT, MerklePatriciaTrie } from '../trie/index.ts';
import { decodeNode } from '../trie/node-decoding.ts';
import { hashedChildren, TrieSync } from './trie-sync.ts';

const entryArb = fc.tuple(
  fc.string({ minLength: 1, maxLength: 5 }).map(utf8),
  fc.oneof(fc.string({ minLength: 1, maxLength: 3 }), fc.string({ minLength: 40, maxLength: 60 })).map(utf8),
);

async function committed(entries: readonly [Uint8Array, Uint8Array][], store: MemoryKvStore) {
  const trie = new MerklePatriciaTrie({ store });
  for (const [key, value] of entries) trie.put(key, value);
  if (trie.isEmpty()) return EMPTY_TRIE_ROOT;
  return trie.commit();
}

/** Every stored node's hashed children are stored too (what `MerklePatriciaTrie.open` relies on). */
function subtreesComplete(store: MemoryKvStore): boolean {
  for (const [, value] of store.iterate()) {
    for (const child of hashedChildren(decodeNode(value))) if (!store.has(child)) return false;
  }
  return true;
}

function contents(trie: MerklePatriciaTrie): string {
  return JSON.stringify([...trie.entries()].map(([k, v]) => [bytesKey(k), bytesKey(v)]));
}

describe('TrieSync', () => {
  it('copies a trie from a source store: any delivery order, junk and repeats, partial local copies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { maxLength: 60 }),
        fc.array(entryArb, { maxLength: 20 }),
        fc.boolean(),
        fc.infiniteStream(fc.nat()),
        async (entries, edits, targetHasOlder, choices) => {
          const source = new MemoryKvStore();
          const target = new MemoryKvStore();
          // The target may already hold an older version of the trie: shared subtrees are not fetched.
          if (targetHasOlder) {
            await committed(entries, target);
          }
          const root = await committed([...entries, ...edits], source);
          const sync = new TrieSync(target, root);
          const pick = choices[Symbol.iterator]();
          let rounds = 0;
          while (!sync.done) {
            expect(rounds++).toBeLessThan(10_000);
            const asked = sync.wanted(1 + (pick.next().value % 5));
            // A peer answers some of them, in any order, plus a node nobody asked for and a corrupt one.
            const answers = asked
              .filter(() => pick.next().value % 4 !== 0)
              .map((hash) => source.get(hash)!)
              .reverse();
            expect(sync.deliver(utf8('not a node at all'))).toBe(false);
            for (const answer of answers) {
              const corrupt = new Uint8Array(answer);
              corrupt[corrupt.length - 1]! ^= 1;
              expect(sync.deliver(corrupt)).toBe(false);
              expect(sync.deliver(answer)).toBe(true);
              expect(sync.deliver(answer)).toBe(false); // no longer wanted
            }
            if (pick.next().value % 3 === 0) {
              await sync.flush();
              expect(subtreesComplete(target)).toBe(true);
            }
            if (answers.length === 0 && asked.length === 0) await sync.flush();
          }
          expect(subtreesComplete(target)).toBe(true);
          const copy = MerklePatriciaTrie.open(target, root);
          expect(contents(copy)).toBe(contents(MerklePatriciaTrie.open(source, root)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('asks for nothing when the trie is empty or already stored, and for the root first otherwise', async () => {
    const store = new MemoryKvStore();
    expect(new TrieSync(store, EMPTY_TRIE_ROOT).done).toBe(true);
    const root = await committed([[utf8('k'), utf8('v'.repeat(40))]], store);
    expect(new TrieSync(store, root).done).toBe(true);
    const fresh = new TrieSync(new MemoryKvStore(), root);
    expect(fresh.done).toBe(false);
    expect(fresh.wanted(10).map(toHex)).toEqual([toHex(root)]);
  });

  it('fetches only the changed path when an older version is stored', async () => {
    const entries = Array.from({ length: 500 }, (_, i): [Uint8Array, Uint8Array] => [
      utf8(`account/${i}`),
      keccak256(utf8(String(i))),
    ]);
    const source = new MemoryKvStore();
    const target = new MemoryKvStore();
    await committed(entries, target);
    const root = await committed([...entries, [utf8('account/7'), utf8('changed')]], source);
    const sync = new TrieSync(target, root);
    while (!sync.done) {
      for (const hash of sync.wanted(64)) sync.deliver(source.get(hash)!);
      await sync.flush();
    }
    // The root, the branch for "account/" and the few nodes down to key 7: a handful, not 500 leaves.
    expect(sync.received).toBeGreaterThan(0);
    expect(sync.received).toBeLessThan(8);
  });
});
