import { readFileSync } from 'node:fs';
import { createMPT } from '@ethereumjs/mpt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesFromCliString, compareBytes, fromHex, toHex, utf8 } from '../codec/bytes.ts';
import { encodeRlpItem } from '../codec/rlp.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { MAX_TRIE_KEY_BYTES } from './limits.ts';
import { entriesWithPrefix } from './prefix-cover.ts';
import { anyKey, inMemoryHashedNodes, MapKvStore, shortKey, trieValue, uriKey } from './test-support.ts';
import { EMPTY_TRIE_ROOT, MerklePatriciaTrie } from './trie.ts';

const VECTORS = new URL('../../test/vectors/ethereum-trie/', import.meta.url);

function loadVectors(
  name: string,
): Record<string, { in?: unknown; data?: unknown; root?: string; result?: string }> {
  return JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8'));
}

/** Vector keys/values: 0x-hex or plain strings; null means delete. */
function vectorBytes(text: string | null): Uint8Array {
  return text === null ? new Uint8Array(0) : bytesFromCliString(text);
}

function vectorPairs(input: unknown): [Uint8Array, Uint8Array][] {
  const pairs = Array.isArray(input) ? input : Object.entries(input as Record<string, string | null>);
  return pairs.map(([k, v]: [string, string | null]) => [vectorBytes(k), vectorBytes(v)]);
}

async function oracleRoot(entries: Iterable<[Uint8Array, Uint8Array]>): Promise<string> {
  const oracle = await createMPT({ useKeyHashing: false });
  for (const [key, value] of entries) await oracle.put(key, value);
  return toHex(oracle.root());
}

/** Applies put/del operations to a model map (the expected final contents). */
function model(ops: readonly [Uint8Array, Uint8Array | null][]): Map<string, [Uint8Array, Uint8Array]> {
  const map = new Map<string, [Uint8Array, Uint8Array]>();
  for (const [key, value] of ops) {
    if (value === null || value.length === 0) map.delete(toHex(key));
    else map.set(toHex(key), [key, value]);
  }
  return map;
}

describe('MerklePatriciaTrie: Ethereum conformance', () => {
  it('has the empty root keccak256(RLP(""))', () => {
    expect(EMPTY_TRIE_ROOT).toEqual(keccak256(encodeRlpItem(new Uint8Array(0))));
    expect(toHex(new MerklePatriciaTrie().root())).toBe(
      '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421',
    );
  });

  const trietest = loadVectors('trietest.json');
  for (const [name, vector] of Object.entries(trietest)) {
    it(`trietest.json ${name}: incremental puts and deletes`, () => {
      const trie = new MerklePatriciaTrie();
      for (const [key, value] of vectorPairs(vector.in)) trie.put(key, value);
      expect(toHex(trie.root())).toBe(vector.root);
    });
    it(`trietest.json ${name}: bulk build`, () => {
      const trie = MerklePatriciaTrie.fromEntries(vectorPairs(vector.in));
      expect(toHex(trie.root())).toBe(vector.root);
    });
  }

  const secure = loadVectors('hex_encoded_securetrie_test.json');
  for (const [name, vector] of Object.entries(secure)) {
    it(`hex_encoded_securetrie_test.json ${name} (keys hashed with keccak before insertion)`, () => {
      const pairs = vectorPairs(vector.data ?? vector.in).map(
        ([k, v]) => [keccak256(k), v] as [Uint8Array, Uint8Array],
      );
      const trie = new MerklePatriciaTrie();
      for (const [key, value] of pairs) trie.put(key, value);
      expect(toHex(trie.root())).toBe(vector.result ?? vector.root);
      expect(toHex(MerklePatriciaTrie.fromEntries(pairs).root())).toBe(vector.result ?? vector.root);
    });
  }

  it('gives the right root after deleting a key under a branch that holds a value (@ethereumjs/mpt 10.1.3 gets this wrong)', async () => {
    const trie = new MerklePatriciaTrie();
    trie.put(fromHex('0x0011'), fromHex('0x010202'));
    trie.put(fromHex('0x1122'), fromHex('0x010202'));
    trie.put(fromHex('0x11'), fromHex('0x010201'));
    trie.put(fromHex('0x1100'), fromHex('0x010202'));
    trie.del(fromHex('0x1100'));
    const expected = '0x175336aff5ef02197bbc4805d57a0b40db1b5a3a8f28796aee314f43bc304f04';
    expect(toHex(trie.root())).toBe(expected);
    // The oracle agrees when it only inserts the remaining three pairs.
    const remaining: [Uint8Array, Uint8Array][] = [
      [fromHex('0x11'), fromHex('0x010201')],
      [fromHex('0x0011'), fromHex('0x010202')],
      [fromHex('0x1122'), fromHex('0x010202')],
    ];
    expect(await oracleRoot(remaining)).toBe(expected);
  });
});

describe('MerklePatriciaTrie: differential against @ethereumjs/mpt (insert-only oracle)', () => {
  const runs: [string, fc.Arbitrary<Uint8Array>, number][] = [
    ['mixed keys', anyKey, 400],
    ['URI-shaped keys (datasets, features, attributes; many prefixes)', uriKey, 350],
    ['short keys over a tiny alphabet (deep branches, branch values, the empty key)', shortKey, 350],
  ];
  for (const [label, keyArb, numRuns] of runs) {
    it(`random put/del sequences, ${label}: same root as the oracle built from the final key set`, async () => {
      const ops = fc.array(fc.tuple(keyArb, fc.option(trieValue, { nil: null, freq: 4 })), { maxLength: 30 });
      await fc.assert(
        fc.asyncProperty(ops, async (sequence) => {
          const trie = new MerklePatriciaTrie();
          for (const [key, value] of sequence) {
            if (value === null) trie.del(key);
            else trie.put(key, value);
          }
          const expected = model(sequence);
          expect(toHex(trie.root())).toBe(await oracleRoot(expected.values()));
          for (const [key, value] of expected.values()) expect(trie.get(key)).toEqual(value);
          for (const [key] of sequence) if (!expected.has(toHex(key))) expect(trie.get(key)).toBeUndefined();
          expect([...trie.entries()].length).toBe(expected.size);
        }),
        { numRuns },
      );
    });
  }
});

describe('MerklePatriciaTrie: bulk build', () => {
  it('equals incremental puts for any entry list (duplicates: last wins; empty value: delete)', () => {
    const entry = fc.tuple(anyKey, fc.oneof(trieValue, fc.constant(new Uint8Array(0))));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), (entries) => {
        const incremental = new MerklePatriciaTrie();
        for (const [key, value] of entries) incremental.put(key, value);
        const bulk = MerklePatriciaTrie.fromEntries(entries);
        expect(toHex(bulk.root())).toBe(toHex(incremental.root()));
        expect(bulk.countNodes()).toBe(incremental.countNodes());
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on insertion order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(uriKey, trieValue), { selector: ([k]) => toHex(k), maxLength: 40 }),
        (entries) => {
          const forward = new MerklePatriciaTrie();
          const backward = new MerklePatriciaTrie();
          for (const [k, v] of entries) forward.put(k, v);
          for (const [k, v] of [...entries].reverse()) backward.put(k, v);
          expect(forward.root()).toEqual(backward.root());
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('MerklePatriciaTrie: semantics', () => {
  it('treats putting an empty value as a delete', () => {
    const trie = new MerklePatriciaTrie();
    trie.put(utf8('dog'), utf8('puppy'));
    trie.put(utf8('doge'), utf8('coin'));
    const before = trie.root();
    trie.put(utf8('do'), utf8('verb'));
    trie.put(utf8('do'), new Uint8Array(0));
    expect(trie.get(utf8('do'))).toBeUndefined();
    expect(trie.root()).toEqual(before);
  });

  it('holds values at branch nodes for keys that prefix other keys, and the empty key', () => {
    const trie = new MerklePatriciaTrie();
    trie.put(new Uint8Array(0), utf8('root value'));
    trie.put(utf8('a'), utf8('1'));
    trie.put(utf8('ab'), utf8('2'));
    expect(trie.get(new Uint8Array(0))).toEqual(utf8('root value'));
    expect(trie.get(utf8('a'))).toEqual(utf8('1'));
    expect(trie.get(utf8('ab'))).toEqual(utf8('2'));
    expect(trie.get(utf8('abc'))).toBeUndefined();
    expect([...trie.entries()].map(([k]) => toHex(k))).toEqual(['0x', '0x61', '0x6162']);
  });

  it('lists entries in ascending key order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyKey, trieValue), { maxLength: 40 }), (entries) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const keys = [...trie.entries()].map(([k]) => k);
        const sorted = [...new Set(entries.map(([k]) => toHex(k)))].map((h) => fromHex(h)).sort(compareBytes);
        expect(keys).toEqual(sorted);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects keys over MAX_TRIE_KEY_BYTES with TRIE_KEY_TOO_LONG', () => {
    const trie = new MerklePatriciaTrie();
    expect(() => trie.put(new Uint8Array(MAX_TRIE_KEY_BYTES + 1), utf8('x'))).toThrow(
      expect.objectContaining({ code: 'TRIE_KEY_TOO_LONG' }),
    );
    trie.put(new Uint8Array(MAX_TRIE_KEY_BYTES), utf8('x'));
    expect(trie.get(new Uint8Array(MAX_TRIE_KEY_BYTES))).toEqual(utf8('x'));
  });

  it('counts branch, extension and leaf nodes, embedded or not', () => {
    // 0x01 and 0x02: extension [0] -> branch {1: leaf [], 2: leaf []}
    const trie = MerklePatriciaTrie.fromEntries([
      [Uint8Array.of(0x01), utf8('a')],
      [Uint8Array.of(0x02), utf8('b')],
    ]);
    expect(trie.countNodes()).toBe(4);
    expect(new MerklePatriciaTrie().countNodes()).toBe(0);
    // Adding 0x0: the branch gets a value, no new node... but 0x0 is the byte 0x00, path [0,0]:
    // extension [0] -> branch {0: leaf [], 1: leaf [], 2: leaf []}
    trie.put(Uint8Array.of(0x00), utf8('c'));
    expect(trie.countNodes()).toBe(5);
  });
});

describe('MerklePatriciaTrie: persistence', () => {
  it('commits new nodes in one write batch, stores only hashed nodes and the root, and reopens by root', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(anyKey, trieValue), {
          selector: ([k]) => toHex(k),
          minLength: 1,
          maxLength: 40,
        }),
        async (entries) => {
          const store = new MapKvStore();
          const trie = MerklePatriciaTrie.fromEntries(entries, { store });
          const root = await trie.commit();
          expect(store.writeCalls).toBe(1);
          for (const { key, value } of store.map.values()) {
            expect(keccak256(value)).toEqual(key);
            expect(value.length >= 32 || compareBytes(key, root) === 0).toBe(true);
          }
          const reopened = MerklePatriciaTrie.open(store, root, { cacheSize: 3 });
          expect(reopened.root()).toEqual(root);
          for (const [key, value] of entries) expect(reopened.get(key)).toEqual(value);
          expect(reopened.countNodes()).toBe(trie.countNodes());
          // Change the reopened trie and commit again: only new nodes are written.
          const sizeBefore = store.map.size;
          reopened.put(entries[0]![0], utf8('changed value that is long enough to be hashed...'));
          const root2 = await reopened.commit({ release: true });
          expect(store.writeCalls).toBe(2);
          expect(store.map.size).toBeGreaterThanOrEqual(sizeBefore);
          const again = MerklePatriciaTrie.open(store, root2);
          expect(again.get(entries[0]![0])).toEqual(
            utf8('changed value that is long enough to be hashed...'),
          );
          for (const [key, value] of entries.slice(1)) expect(again.get(key)).toEqual(value);
          // A second commit with nothing new writes nothing.
          await again.commit();
          expect(store.writeCalls).toBe(2);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reports a missing node as TRIE_NODE_MISSING', async () => {
    const store = new MapKvStore();
    const trie = MerklePatriciaTrie.fromEntries(
      Array.from({ length: 20 }, (_, i) => [utf8(`key-${i}`), utf8(`value number ${i} long enough to hash`)]),
      { store },
    );
    const root = await trie.commit();
    const empty = new MapKvStore();
    expect(() => MerklePatriciaTrie.open(empty, root)).toThrow(
      expect.objectContaining({ code: 'TRIE_NODE_MISSING' }),
    );
    // Remove one non-root node: reading through it fails, others still work.
    const victim = [...store.map.keys()].find((k) => k !== toHex(root))!;
    store.map.delete(victim);
    const reopened = MerklePatriciaTrie.open(store, root, { cacheSize: 0 });
    expect(() => [...reopened.entries()]).toThrow(expect.objectContaining({ code: 'TRIE_NODE_MISSING' }));
  });

  it('reports a stored node whose bytes do not hash to its key as TRIE_NODE_CORRUPT', async () => {
    const store = new MapKvStore();
    const trie = MerklePatriciaTrie.fromEntries(
      Array.from({ length: 20 }, (_, i) => [utf8(`key-${i}`), utf8(`value number ${i} long enough to hash`)]),
      { store },
    );
    const root = await trie.commit();
    const row = store.map.get(toHex(root))!;
    row.value = row.value.slice();
    row.value[row.value.length - 1]! ^= 1;
    expect(() => MerklePatriciaTrie.open(store, root)).toThrow(
      expect.objectContaining({ code: 'TRIE_NODE_CORRUPT' }),
    );
  });

  it('refuses to commit without a store', async () => {
    await expect(new MerklePatriciaTrie().commit()).rejects.toMatchObject({ code: 'TRIE_NO_STORE' });
  });

  it('opens the empty root without reading the store', () => {
    const trie = MerklePatriciaTrie.open(new MapKvStore(), EMPTY_TRIE_ROOT);
    expect(trie.isEmpty()).toBe(true);
    expect(trie.get(utf8('x'))).toBeUndefined();
  });
});

describe('MerklePatriciaTrie: commit with release', () => {
  it('keeps in memory only nodes the last commit that wrote anything wrote, with contents, root and older forks unchanged', async () => {
    const op = fc.tuple(uriKey, fc.option(trieValue, { freq: 4 }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 30 }), { minLength: 2, maxLength: 6 }),
        async (batches) => {
          const store = new MapKvStore();
          let lastWritten = new Set<string>();
          const write = store.write.bind(store);
          store.write = async (ops) => {
            lastWritten = new Set(ops.map((o) => toHex(o.key)));
            await write(ops);
          };
          const trie = new MerklePatriciaTrie({ store, cacheSize: 4 });
          const applied: [Uint8Array, Uint8Array | null][] = [];
          for (const batch of batches) {
            const before = trie.fork();
            const beforeEntries = [...before.entries()];
            for (const [key, value] of batch) trie.put(key, value ?? new Uint8Array(0));
            applied.push(...batch);
            const rootBefore = toHex(trie.root());
            // A commit with nothing new writes nothing, and what the one before wrote stays.
            expect(toHex(await trie.commit({ release: true }))).toBe(rootBefore);
            for (const hash of inMemoryHashedNodes(trie)) expect(lastWritten.has(hash)).toBe(true);
            const expected = [...model(applied).values()];
            expect(toHex(trie.root())).toBe(toHex(MerklePatriciaTrie.fromEntries(expected).root()));
            for (const [key, value] of expected) expect(trie.get(key)).toEqual(value);
            expect([...before.entries()]).toEqual(beforeEntries);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('holds a bounded part of a trie that keeps growing', async () => {
    const store = new MapKvStore();
    const trie = new MerklePatriciaTrie({ store });
    let inMemory = 0;
    for (let batch = 0; batch < 40; batch++) {
      for (let i = 0; i < 100; i++)
        trie.put(utf8(`load/run/${i % 7}/${batch * 100 + i}`), utf8('x'.repeat(24)));
      await trie.commit({ release: true });
      inMemory = inMemoryHashedNodes(trie).length;
    }
    // 4,000 keys make ~4,500 hashed nodes; one batch of 100 rewrites a few hundred.
    expect(trie.countNodes()).toBeGreaterThan(4000);
    expect(inMemory).toBeLessThan(400);
  });
});

describe('fork', () => {
  it('is an independent copy: changes to either side never show in the other', () => {
    const a = new MerklePatriciaTrie();
    a.put(utf8('k1'), utf8('v1'));
    a.put(utf8('k2'), utf8('v2'));
    const rootBefore = toHex(a.root());
    const b = a.fork();
    expect(toHex(b.root())).toBe(rootBefore);
    b.put(utf8('k1'), utf8('changed'));
    b.del(utf8('k2'));
    a.put(utf8('k3'), utf8('v3'));
    expect(a.get(utf8('k1'))).toEqual(utf8('v1'));
    expect(a.get(utf8('k2'))).toEqual(utf8('v2'));
    expect(b.get(utf8('k3'))).toBeUndefined();
    expect(b.get(utf8('k1'))).toEqual(utf8('changed'));
    const expectedA = MerklePatriciaTrie.fromEntries([
      [utf8('k1'), utf8('v1')],
      [utf8('k2'), utf8('v2')],
      [utf8('k3'), utf8('v3')],
    ]);
    expect(toHex(a.root())).toBe(toHex(expectedA.root()));
  });
});

describe('withEntries', () => {
  it('builds the trie of its entries in the same node store, committed beside the original', async () => {
    const store = new MapKvStore();
    const state = new MerklePatriciaTrie({ store });
    state.put(utf8('state-key'), utf8('state value, long enough to be stored as its own node'));
    const entries: [Uint8Array, Uint8Array][] = Array.from({ length: 50 }, (_, i) => [
      utf8(`geo://city/roads/${i}`),
      keccak256(utf8(String(i))),
    ]);
    const beside = state.withEntries(entries);
    expect(toHex(beside.root())).toBe(toHex(MerklePatriciaTrie.fromEntries(entries).root()));
    expect(toHex(state.get(utf8('state-key'))!)).toBe(
      toHex(utf8('state value, long enough to be stored as its own node')),
    );
    const root = await beside.commit();
    const reopened = MerklePatriciaTrie.open(store, root);
    expect(reopened.get(entries[7]![0])).toEqual(entries[7]![1]);
    await expect(new MerklePatriciaTrie().withEntries(entries).commit()).rejects.toThrow(/no node store/);
  });
});

describe('entriesWithPrefix', () => {
  it('yields exactly the entries whose key has the prefix, in key order, for any prefix', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(uriKey, trieValue), { maxLength: 40 }), fc.nat(), (entries, cut) => {
        const trie = MerklePatriciaTrie.fromEntries(entries);
        const all = [...trie.entries()];
        const source = all.length > 0 ? all[cut % all.length]![0] : utf8('http://');
        const prefix = source.slice(0, cut % (source.length + 1));
        const expected = all.filter(([k]) => toHex(k).startsWith(toHex(prefix)));
        expect([...entriesWithPrefix(trie, prefix)].map(([k]) => toHex(k))).toEqual(
          expected.map(([k]) => toHex(k)),
        );
      }),
      { numRuns: 300 },
    );
  });
});
