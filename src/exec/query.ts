/**
 * Read-only module queries against a committed state: the API's
 * `POST /v1/query/{module}/{name}`. A query sees the state of one block and
 * cannot write; unknown modules or queries are `QUERY_NOT_FOUND`.
 */

import { concatBytes, utf8 } from '../codec/bytes.ts';
import type { JsonValue } from '../codec/json.ts';
import { NotFoundError } from '../errors.ts';
import { entriesWithPrefix, type MerklePatriciaTrie } from '../trie/index.ts';
import { moduleKey } from './keys.ts';
import type { Module, ModuleQueryContext } from './module.ts';

/** Most entries a query may scan in one call. */
export const MAX_QUERY_SCAN = 10_000;

export function queryContext(
  trie: MerklePatriciaTrie,
  module: string,
  height: number,
  timestampMs: number,
): ModuleQueryContext {
  const namespace = utf8(`${module}/`);
  return {
    height,
    timestampMs,
    get: (key) => trie.get(moduleKey(module, key)),
    read: (other, key) => trie.get(moduleKey(other, key)),
    scan(prefix, limit) {
      const out: [Uint8Array, Uint8Array][] = [];
      const bound = Math.min(limit, MAX_QUERY_SCAN);
      for (const [key, value] of entriesWithPrefix(trie, concatBytes(namespace, prefix))) {
        if (out.length >= bound) break;
        out.push([key.subarray(namespace.length), value]);
      }
      return out;
    },
  };
}

export async function runQuery(
  modules: ReadonlyMap<string, Module>,
  trie: MerklePatriciaTrie,
  block: { height: number; timestampMs: number },
  moduleName: string,
  queryName: string,
  params: JsonValue,
): Promise<JsonValue> {
  const module = modules.get(moduleName);
  const query = module?.queries?.[queryName];
  if (!module || !query) {
    const known = [...modules.values()].flatMap((m) =>
      Object.keys(m.queries ?? {}).map((q) => `${m.name}/${q}`),
    );
    throw new NotFoundError('QUERY_NOT_FOUND', `no query "${moduleName}/${queryName}"`, {
      hint: known.length > 0 ? `known queries: ${known.join(', ')}` : 'this chain has no module queries',
    });
  }
  return query(queryContext(trie, moduleName, block.height, block.timestampMs), params);
}
