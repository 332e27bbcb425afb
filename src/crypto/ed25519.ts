/**
 * Ed25519 identities. A secret key is the 32-byte RFC 8032 seed; a public key is
 * 32 bytes; a signature is 64 bytes. Private keys are generated where they are
 * used and never leave their owner: nothing in Meridian serialises a secret key
 * except `keyfile.ts`, which encrypts it.
 */

import { ed25519PublicKey, ed25519Sign, ed25519Verify } from '#crypto-backend';
import { ValidationError } from '../errors.ts';
import { randomBytes } from './random.ts';

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

export interface SigningKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export function generateSigningKeyPair(): SigningKeyPair {
  const secretKey = randomBytes(SECRET_KEY_BYTES);
  return { secretKey, publicKey: ed25519PublicKey(secretKey) };
}

/** Rebuilds the pair from a stored seed. */
export function signingKeyPairFromSecret(secretKey: Uint8Array): SigningKeyPair {
  if (secretKey.length !== SECRET_KEY_BYTES) {
    throw new ValidationError(
      'BAD_SECRET_KEY',
      `an Ed25519 secret key is ${SECRET_KEY_BYTES} bytes, got ${secretKey.length}`,
    );
  }
  return { secretKey, publicKey: ed25519PublicKey(secretKey) };
}

export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  if (secretKey.length !== SECRET_KEY_BYTES) {
    throw new ValidationError(
      'BAD_SECRET_KEY',
      `an Ed25519 secret key is ${SECRET_KEY_BYTES} bytes, got ${secretKey.length}`,
    );
  }
  return ed25519Sign(secretKey, message);
}

/** True only for a valid signature; malformed keys or signatures give false, never a throw. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return ed25519Verify(publicKey, message, signature);
}
