/**
 * The `StateReader` view of a world-state trie that execution and admission read through:
 * point reads, prefix scans and prefix versions (for memoising what is derived from a
 * namespace, e.g. a sender's membership).
 */
import { entriesWithPrefix, type MerklePatriciaTrie, prefixVersion } from '../trie/index.ts';
import type { StateReader } from './overlay.ts';

export function trieReader(trie: MerklePatriciaTrie): StateReader {
  return {
    get: (key) => trie.get(key),
    entriesWithPrefix: (prefix) => entriesWithPrefix(trie, prefix),
    prefixVersion: (prefix) => prefixVersion(trie, prefix),
  };
}
