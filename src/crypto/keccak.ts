/**
 * keccak-256 (the pre-NIST Keccak used by Ethereum, not SHA3-256) via hash-wasm.
 * The structural hash of tries, headers and transactions. Works in Node and browsers.
 */
import { createKeccak } from 'hash-wasm';

const hasher = await createKeccak(256);

export function keccak256(data: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(data);
  return hasher.digest('binary');
}

/** keccak-256 of the empty string: the hash of an empty byte string. */
export const KECCAK_EMPTY = keccak256(new Uint8Array(0));
