/**
 * The `StateReader` view of a world-state trie that execution and admission read through:
 * point reads, prefix scans and prefix versions (for memoising what is derived from a
 * namespace, e.g. a sender's membership).
 *
 * Contract: the trie does not change while the reader is in use (a committed head state, or the
 * fork a block executes on, whose writes land only after its last transaction). That lets the
 * reader find each prefix's version once instead of walking the trie on every question: the
 * membership version is asked for every transaction.
 */
import { bytesKey } from '../codec/bytes.ts';
import { entriesWithPrefix, type MerklePatriciaTrie, prefixVersion } from '../trie/index.ts';
import { remember } from './bounded-memo.ts';
import type { StateReader } from './overlay.ts';

/** Prefixes whose version one reader remembers; callers ask about a handful of fixed namespaces. */
const MAX_REMEMBERED_PREFIXES = 64;

export function trieReader(trie: MerklePatriciaTrie): StateReader {
  const versions = new Map<string, object>();
  return {
    get: (key) => trie.get(key),
    entriesWithPrefix: (prefix) => entriesWithPrefix(trie, prefix),
    prefixVersion: (prefix) =>
      remember(versions, bytesKey(prefix), MAX_REMEMBERED_PREFIXES, () => prefixVersion(trie, prefix)),
  };
}
