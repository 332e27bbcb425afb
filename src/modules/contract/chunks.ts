/**
 * Values larger than one trie value (contract code, a deploy proposal's
 * action) stored as numbered chunks under a key:
 *
 *   <key>            { chunks, bytes }
 *   <key>/<i>        chunk i (i = 0, 1, ... as 4 decimal digits), raw bytes
 *
 * Each chunk stays well below the trie's value limit.
 */
import { fromUtf8, utf8 } from '../../codec/bytes.ts';
import { assert } from '../../errors.ts';
import type { ModuleState } from '../../exec/module.ts';
import { MAX_TRIE_VALUE_BYTES } from '../../trie/limits.ts';

export const CHUNK_BYTES = 32 * 1024;
assert(CHUNK_BYTES < MAX_TRIE_VALUE_BYTES, 'a chunk fits one trie value');
const MAX_CHUNKS = 9_999;

const chunkKey = (key: string, index: number) => utf8(`${key}/${String(index).padStart(4, '0')}`);

export function putChunked(state: ModuleState, key: string, value: Uint8Array): void {
  const chunks = Math.ceil(value.length / CHUNK_BYTES);
  assert(chunks <= MAX_CHUNKS, 'chunked values are bounded by their callers');
  state.put(utf8(key), utf8(JSON.stringify({ chunks, bytes: value.length })));
  for (let i = 0; i < chunks; i++)
    state.put(chunkKey(key, i), value.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES));
}

/** The value stored under `key`, or undefined. */
export function getChunked(
  get: (key: Uint8Array) => Uint8Array | undefined,
  key: string,
): Uint8Array | undefined {
  const head = get(utf8(key));
  if (head === undefined) return undefined;
  const { chunks, bytes } = JSON.parse(fromUtf8(head)) as { chunks: number; bytes: number };
  const out = new Uint8Array(bytes);
  for (let i = 0; i < chunks; i++) {
    const chunk = get(chunkKey(key, i));
    assert(chunk !== undefined, `chunk ${i} of ${key} is stored`);
    out.set(chunk, i * CHUNK_BYTES);
  }
  return out;
}
