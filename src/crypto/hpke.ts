/**
 * Private payloads sealed to one or more recipients with HPKE (RFC 9180,
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, base mode).
 *
 * Recipients hold an X25519 encryption key pair, separate from their Ed25519
 * signing key (one key, one purpose). For several recipients the payload is
 * encrypted once under a fresh 256-bit content key with AES-256-GCM, and that
 * key is HPKE-sealed to each recipient (the envelope pattern of JWE and age);
 * the envelope's header is bound to the payload ciphertext as associated data.
 */
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { x25519 } from '@noble/curves/ed25519.js';
import { concatBytes, equalBytes, utf8 } from '../codec/bytes.ts';
import { ValidationError, VerificationError } from '../errors.ts';
import { randomBytes } from './random.ts';

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

export const ENCRYPTION_KEY_BYTES = 32;
const INFO = utf8('meridian/sealed-payload/v1');
/** Upper bound on a sealed payload; the API and contracts enforce smaller limits of their own. */
export const MAX_SEALED_PLAINTEXT_BYTES = 64 * 1024 * 1024;
export const MAX_RECIPIENTS = 256;

export interface EncryptionKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface SealedRecipient {
  /** The recipient's X25519 public key. */
  readonly publicKey: Uint8Array;
  /** HPKE encapsulated key. */
  readonly enc: Uint8Array;
  /** The content key, HPKE-sealed to this recipient. */
  readonly wrappedKey: Uint8Array;
}

export interface SealedPayload {
  readonly recipients: readonly SealedRecipient[];
  readonly iv: Uint8Array;
  /** AES-256-GCM ciphertext with its 16-byte tag appended. */
  readonly ciphertext: Uint8Array;
}

/** A fresh X25519 key pair; the secret key is the raw 32-byte RFC 7748 scalar HPKE serialises. */
export function generateEncryptionKeyPair(): EncryptionKeyPair {
  return encryptionKeyPairFromSecret(randomBytes(ENCRYPTION_KEY_BYTES));
}

export function encryptionKeyPairFromSecret(secretKey: Uint8Array): EncryptionKeyPair {
  if (secretKey.length !== ENCRYPTION_KEY_BYTES) {
    throw new ValidationError(
      'BAD_SECRET_KEY',
      `an X25519 secret key is ${ENCRYPTION_KEY_BYTES} bytes, got ${secretKey.length}`,
    );
  }
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

function headerBytes(recipients: readonly SealedRecipient[], iv: Uint8Array): Uint8Array {
  return concatBytes(INFO, iv, ...recipients.flatMap((r) => [r.publicKey, r.enc, r.wrappedKey]));
}

async function aesKey(raw: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', raw.slice().buffer as ArrayBuffer, 'AES-GCM', false, [
    usage,
  ]);
}

/** Seals `plaintext` so that only the holders of the given X25519 secret keys can open it. */
export async function seal(
  recipientPublicKeys: readonly Uint8Array[],
  plaintext: Uint8Array,
): Promise<SealedPayload> {
  if (recipientPublicKeys.length === 0 || recipientPublicKeys.length > MAX_RECIPIENTS) {
    throw new ValidationError(
      'BAD_RECIPIENTS',
      `a sealed payload needs 1 to ${MAX_RECIPIENTS} recipients, got ${recipientPublicKeys.length}`,
    );
  }
  if (plaintext.length > MAX_SEALED_PLAINTEXT_BYTES) {
    throw new ValidationError(
      'PAYLOAD_TOO_LARGE',
      `sealed payloads are limited to ${MAX_SEALED_PLAINTEXT_BYTES} bytes`,
    );
  }
  const contentKey = randomBytes(32);
  const recipients: SealedRecipient[] = [];
  for (const publicKey of recipientPublicKeys) {
    if (publicKey.length !== ENCRYPTION_KEY_BYTES) {
      throw new ValidationError(
        'BAD_PUBLIC_KEY',
        `an X25519 public key is ${ENCRYPTION_KEY_BYTES} bytes, got ${publicKey.length}`,
      );
    }
    const recipientPublicKey = await suite.kem.deserializePublicKey(publicKey.slice().buffer as ArrayBuffer);
    const sealed = await suite.seal(
      { recipientPublicKey, info: INFO.slice().buffer as ArrayBuffer },
      contentKey.slice().buffer as ArrayBuffer,
    );
    recipients.push({ publicKey, enc: new Uint8Array(sealed.enc), wrappedKey: new Uint8Array(sealed.ct) });
  }
  const iv = randomBytes(12);
  const ciphertext = await globalThis.crypto.subtle.encrypt(
    {
      name: 'AES-GCM',
      iv: iv.slice().buffer as ArrayBuffer,
      additionalData: headerBytes(recipients, iv).slice().buffer as ArrayBuffer,
    },
    await aesKey(contentKey, 'encrypt'),
    plaintext.slice().buffer as ArrayBuffer,
  );
  return { recipients, iv, ciphertext: new Uint8Array(ciphertext) };
}

/**
 * Opens a payload with one recipient's key pair. Throws `VerificationError`
 * (`NOT_A_RECIPIENT` or `SEALED_PAYLOAD_TAMPERED`) if it cannot.
 */
export async function open(keyPair: EncryptionKeyPair, sealed: SealedPayload): Promise<Uint8Array> {
  const mine = sealed.recipients.find((r) => equalBytes(r.publicKey, keyPair.publicKey));
  if (!mine) {
    throw new VerificationError('NOT_A_RECIPIENT', 'this payload was not sealed to the given key', {
      hint: 'ask the sender to seal it to your encryption public key',
    });
  }
  try {
    const recipientKey = await suite.kem.deserializePrivateKey(
      keyPair.secretKey.slice().buffer as ArrayBuffer,
    );
    const contentKey = await suite.open(
      { recipientKey, enc: mine.enc.slice().buffer as ArrayBuffer, info: INFO.slice().buffer as ArrayBuffer },
      mine.wrappedKey.slice().buffer as ArrayBuffer,
    );
    const plaintext = await globalThis.crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: sealed.iv.slice().buffer as ArrayBuffer,
        additionalData: headerBytes(sealed.recipients, sealed.iv).slice().buffer as ArrayBuffer,
      },
      await aesKey(new Uint8Array(contentKey), 'decrypt'),
      sealed.ciphertext.slice().buffer as ArrayBuffer,
    );
    return new Uint8Array(plaintext);
  } catch (cause) {
    throw new VerificationError('SEALED_PAYLOAD_TAMPERED', 'the sealed payload failed authentication', {
      cause,
    });
  }
}
