/**
 * The sandbox's `ContractHost` over the world state: one for execution (over
 * a transaction's `ModuleCall`, so a call sees the block's earlier writes and
 * nothing of its own until it succeeds) and one for read-only queries (over
 * the committed head). Both are synchronous and deterministic, as the sandbox
 * requires; only active contracts resolve.
 */
import { compareBytes, fromUtf8, utf8 } from '../../codec/bytes.ts';
import type { ContractHost, DeployedContract, JsonValue, StateEntry } from '../../contracts/index.ts';
import type { ModuleCall, ModuleQueryContext } from '../../exec/module.ts';
import { MAX_QUERY_SCAN } from '../../exec/query.ts';
import { decodeJson, readCode, readContract, stateKey, statePrefix } from './records.ts';

type Get = (key: Uint8Array) => Uint8Array | undefined;

/** Code is content-addressed, so a cache by hash is always right; bounded by the code each block touches. */
export type CodeCache = Map<string, string>;

function resolve(get: Get, cache: CodeCache, name: string): DeployedContract | undefined {
  const record = readContract(get, name);
  if (record?.status !== 'active') return undefined;
  let code = cache.get(record.codeHash);
  if (code === undefined) {
    code = readCode(get, record.codeHash);
    if (code === undefined) return undefined;
    cache.set(record.codeHash, code);
  }
  return { code, codeHash: record.codeHash };
}

function entries(raw: [Uint8Array, Uint8Array][], contract: string): StateEntry[] {
  const base = statePrefix(contract).length;
  return raw.map(([key, value]) => ({ key: fromUtf8(key).slice(base), value: decodeJson(value) }));
}

export function executionHost(call: ModuleCall, cache: CodeCache): ContractHost {
  const get: Get = (key) => call.state.get(key);
  return {
    readState(contract: string, key: string): JsonValue | undefined {
      const raw = get(stateKey(contract, key));
      return raw === undefined ? undefined : decodeJson(raw);
    },
    scanState(contract, prefix, after, limit) {
      const base = statePrefix(contract);
      return entries(
        call.scan(utf8(base + prefix), limit, after === undefined ? undefined : utf8(base + after)),
        contract,
      );
    },
    resolveContract: (name) => resolve(get, cache, name),
  };
}

/**
 * Over the committed head. Limitation: a query scan with `after` pages within
 * the first MAX_QUERY_SCAN entries under the prefix (the query context has no
 * seek); execution has no such limit.
 */
export function queryHost(context: ModuleQueryContext, cache: CodeCache): ContractHost {
  const get: Get = (key) => context.get(key);
  return {
    readState(contract: string, key: string): JsonValue | undefined {
      const raw = get(stateKey(contract, key));
      return raw === undefined ? undefined : decodeJson(raw);
    },
    scanState(contract, prefix, after, limit) {
      const base = statePrefix(contract);
      const afterKey = after === undefined ? undefined : utf8(base + after);
      const raw = context
        .scan(utf8(base + prefix), after === undefined ? limit : MAX_QUERY_SCAN)
        .filter(([key]) => afterKey === undefined || compareBytes(key, afterKey) > 0)
        .slice(0, limit);
      return entries(raw, contract);
    },
    resolveContract: (name) => resolve(get, cache, name),
  };
}
