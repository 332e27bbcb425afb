/**
 * `kv`: a minimal key-value registry, so a fresh network has something real to
 * send and to read back with a proof. `kv.put {key, value}` stores a UTF-8
 * value under a key; the first writer owns the key and only the owner may
 * overwrite or delete it (`kv.del {key}`). State: `kv/<key>` -> canonical JSON
 * `{ value, owner, height }`.
 */
import { fromUtf8, utf8 } from '../../codec/bytes.ts';
import { canonicalJson } from '../../codec/canonical-json.ts';
import { ValidationError } from '../../errors.ts';
import { expectObject, expectString, type JsonValue, parseJsonPayload } from '../../exec/json.ts';
import type { Module, ModuleCall } from '../../exec/module.ts';

export const KV_MAX_KEY_BYTES = 256;
export const KV_MAX_VALUE_BYTES = 16 * 1024;

export interface KvEntry {
  readonly value: string;
  readonly owner: string;
  readonly height: number;
}

export function kvStateKey(key: string): Uint8Array {
  return utf8(key);
}

function readEntry(call: ModuleCall, key: string): KvEntry | undefined {
  const raw = call.state.get(kvStateKey(key));
  return raw ? (JSON.parse(fromUtf8(raw)) as KvEntry) : undefined;
}

function requireOwner(call: ModuleCall, key: string, existing: KvEntry): void {
  if (existing.owner !== call.senderHex) {
    throw new ValidationError('KV_NOT_OWNER', `key "${key}" belongs to ${existing.owner}`, {
      hint: 'only the account that first wrote a key may change it; choose another key',
    });
  }
}

export const kvModule: Module = {
  name: 'kv',
  queries: {
    /** `{ key }` -> the entry `{ value, owner, height }`, or null. */
    get(context, params) {
      const key = expectString(expectObject(params, 'params'), 'key', KV_MAX_KEY_BYTES);
      const raw = context.get(kvStateKey(key));
      return raw ? (JSON.parse(fromUtf8(raw)) as JsonValue) : null;
    },
  },
  execute(call, method, payload): JsonValue {
    const args = expectObject(parseJsonPayload(payload, KV_MAX_KEY_BYTES + KV_MAX_VALUE_BYTES + 256));
    const key = expectString(args, 'key', KV_MAX_KEY_BYTES);
    const existing = readEntry(call, key);
    switch (method) {
      case 'put': {
        const value = expectString(args, 'value', KV_MAX_VALUE_BYTES);
        if (existing) requireOwner(call, key, existing);
        const entry: KvEntry = { value, owner: call.senderHex, height: call.height };
        call.state.put(kvStateKey(key), utf8(canonicalJson(entry)));
        call.emit('put', { key, owner: call.senderHex });
        return { key, created: existing === undefined };
      }
      case 'del': {
        if (!existing) throw new ValidationError('KV_NOT_FOUND', `key "${key}" does not exist`);
        requireOwner(call, key, existing);
        call.state.del(kvStateKey(key));
        call.emit('del', { key, owner: call.senderHex });
        return { key };
      }
      default:
        throw new ValidationError('UNKNOWN_METHOD', `kv has no method "${method}"`, {
          hint: 'use kv.put or kv.del',
        });
    }
  },
};
