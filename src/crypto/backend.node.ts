/**
 * Node implementation of the crypto backend (selected by package.json `imports`
 * `#crypto-backend`, condition `default`). Native code: OpenSSL for hashing and
 * signing, libsodium for verifying (ADR 0007); ~12x faster than the pure-JS
 * fallback, which matters on the consensus hot path.
 * `backend.browser.ts` implements the same exports with @noble (all but
 * `opensslEd25519Verify`, a Node-only reference); a test checks the two agree
 * byte for byte.
 */
import { createPrivateKey, createPublicKey, hash, type KeyObject, sign, verify } from 'node:crypto';
import sodium from 'sodium-native';

export const backendName = 'node';

export function sha256(data: Uint8Array): Uint8Array {
  // One-shot `hash` costs about half of createHash().update().digest() for record-sized inputs.
  const digest = hash('sha256', data, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// KeyObject construction costs about as much as a signature or a verify, so key objects are
// cached. Bounded: a flood of distinct keys evicts the oldest entries instead of growing.
const MAX_CACHED_KEYS = 20_000;
const privateKeyCache = new Map<string, KeyObject>();
const publicKeyCache = new Map<string, KeyObject>();

function cached(cache: Map<string, KeyObject>, id: string, make: () => KeyObject): KeyObject {
  let key = cache.get(id);
  if (key === undefined) {
    key = make();
    if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
    cache.set(id, key);
  }
  return key;
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  const id = Buffer.from(seed).toString('hex');
  return cached(privateKeyCache, id, () =>
    createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  );
}

/** Ed25519 public key (32 bytes) of a 32-byte seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
}

/** RFC 8032 Ed25519 signature (64 bytes). */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyObject(seed)));
}

/**
 * Ed25519 verification with libsodium's rules (ADR 0007): RFC 8032 with canonical encodings of the
 * key, R and S, and small-order keys and R refused. Those rules refuse the weak keys under which
 * one signature verifies for many messages (OpenSSL accepts them), and libsodium verifies about
 * 1.7x faster. False (never a throw) for any malformed key or signature.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  return sodium.crypto_sign_verify_detached(asBuffer(signature), asBuffer(message), asBuffer(publicKey));
}

/** A Buffer view of the same bytes (no copy), for APIs typed with Buffer. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Ed25519 verification with OpenSSL's rules (`node:crypto`), which validators used before ADR 0007:
 * it accepts small-order keys and R. Not for validation; the reference the crypto tests compare
 * the rules against, and the peer `npm run bench:exec` measures.
 */
export function opensslEd25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const key = cached(publicKeyCache, Buffer.from(publicKey).toString('hex'), () =>
    createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' }),
  );
  return verify(null, message, key, signature);
}
