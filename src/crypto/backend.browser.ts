/**
 * Browser / light-client implementation of the crypto backend (package.json
 * `imports` `#crypto-backend`, condition `browser`): pure JS from @noble, no
 * `node:` imports. Same exports and byte-for-byte the same results as
 * `backend.node.ts`.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export const backendName = 'browser';

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed);
}

/**
 * The node backend's rules (libsodium's, ADR 0007): RFC 8032 strict (`zip215: false`: canonical
 * encodings; small-order keys refused), and a small-order R refused too, which noble alone accepts.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    if (ed25519.Point.fromBytes(signature.subarray(0, 32)).isSmallOrder()) return false;
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
