/**
 * The contract module's state (namespace `contract/`):
 *
 *   meta/<name>               ContractRecord (canonical JSON)
 *   code/<0x code hash>       the JavaScript artefact, chunked (chunks.ts); shared by every
 *                             contract and version with that hash, never deleted, so old
 *                             versions stay auditable
 *   state/<name>/<key>        a contract's own state: canonical JSON of the value
 *
 * Contract names match `[a-z][a-z0-9-]*` (no `/`), so `state/<name>/` prefixes
 * never overlap and (contract, key) pairs map to state keys one-to-one,
 * whatever bytes the key holds.
 */
import { fromUtf8, utf8 } from '../../codec/bytes.ts';
import { canonicalJson } from '../../codec/canonical-json.ts';
import type { JsonValue } from '../../codec/json.ts';
import { getChunked } from './chunks.ts';

export const CONTRACT_MODULE = 'contract';
/** Versions and status changes one contract's history may hold. */
export const MAX_CONTRACT_HISTORY = 256;

export type ContractStatus = 'active' | 'disabled';

export interface ContractHistoryEntry {
  readonly action: 'deploy' | 'upgrade' | 'disable' | 'enable';
  readonly version: number;
  readonly codeHash: string;
  readonly height: number;
  readonly txHash: string;
  /** The governance proposal that decided it. */
  readonly proposal: number | null;
}

export interface ContractRecord {
  readonly name: string;
  readonly version: number;
  readonly codeHash: string;
  readonly codeBytes: number;
  readonly status: ContractStatus;
  readonly methods: readonly string[];
  readonly history: readonly ContractHistoryEntry[];
}

type Get = (key: Uint8Array) => Uint8Array | undefined;

export const META_PREFIX = utf8('meta/');
export const metaKey = (name: string) => utf8(`meta/${name}`);
export const codeKey = (codeHash: string) => `code/${codeHash}`;
export const statePrefix = (name: string) => `state/${name}/`;
export const stateKey = (name: string, key: string) => utf8(`state/${name}/${key}`);

export function readContract(get: Get, name: string): ContractRecord | undefined {
  const raw = get(metaKey(name));
  return raw === undefined ? undefined : (JSON.parse(fromUtf8(raw)) as ContractRecord);
}

export function encodeJson(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

export function decodeJson(raw: Uint8Array): JsonValue {
  return JSON.parse(fromUtf8(raw, 'contract state')) as JsonValue;
}

export function readCode(get: Get, codeHash: string): string | undefined {
  const bytes = getChunked(get, codeKey(codeHash));
  return bytes === undefined ? undefined : fromUtf8(bytes, 'contract code');
}
