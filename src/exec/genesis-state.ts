/** The world state at block 0: each module writes its initial state from the genesis document. */
import type { Genesis } from '../chain/genesis.ts';
import type { KvStore } from '../store/kv.ts';
import { MerklePatriciaTrie } from '../trie/index.ts';
import { moduleKey } from './keys.ts';
import type { Module } from './module.ts';

export function buildGenesisState(
  genesis: Genesis,
  modules: ReadonlyMap<string, Module>,
  store?: KvStore,
): MerklePatriciaTrie {
  const trie = new MerklePatriciaTrie(store ? { store } : {});
  for (const module of modules.values()) {
    module.initGenesis?.(
      {
        get: (key) => trie.get(moduleKey(module.name, key)),
        put: (key, value) => trie.put(moduleKey(module.name, key), value),
        del: (key) => trie.del(moduleKey(module.name, key)),
      },
      genesis,
    );
  }
  return trie;
}
