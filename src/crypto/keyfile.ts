/**
 * Passphrase-protected key files: an identity's Ed25519 signing seed and X25519
 * encryption secret, encrypted with AES-256-GCM under a key derived by scrypt.
 * The public keys are stored in clear (and bound to the ciphertext as associated
 * data) so a key file can be listed and identified without the passphrase.
 *
 * Runs in Node and in browsers (noble scrypt + WebCrypto AES-GCM), so the web
 * console can open a key file locally and sign without the key ever leaving the page.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { concatBytes, equalBytes, fromHex, toHex, utf8 } from '../codec/bytes.ts';
import { KeyFileError } from '../errors.ts';
import { generateSigningKeyPair, type SigningKeyPair, signingKeyPairFromSecret } from './ed25519.ts';
import { type EncryptionKeyPair, encryptionKeyPairFromSecret, generateEncryptionKeyPair } from './hpke.ts';
import { randomBytes } from './random.ts';

export const KEY_FILE_VERSION = 1;
/** Default scrypt cost: 2^15 × r=8 uses 32 MiB and takes well under a second. */
export const DEFAULT_SCRYPT_LOG_N = 15;
/** Key files are tiny; anything bigger than this is not one. */
export const MAX_KEY_FILE_BYTES = 16 * 1024;

/** An identity: one key for signing, one for receiving sealed payloads. */
export interface Identity {
  readonly signing: SigningKeyPair;
  readonly encryption: EncryptionKeyPair;
}

export interface KeyFile {
  readonly meridianKeyFile: typeof KEY_FILE_VERSION;
  readonly label: string;
  readonly publicKey: string;
  readonly encryptionPublicKey: string;
  readonly kdf: {
    readonly name: 'scrypt';
    readonly logN: number;
    readonly r: number;
    readonly p: number;
    readonly salt: string;
  };
  readonly cipher: { readonly name: 'aes-256-gcm'; readonly iv: string };
  readonly ciphertext: string;
}

export function generateIdentity(): Identity {
  return { signing: generateSigningKeyPair(), encryption: generateEncryptionKeyPair() };
}

async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  logN: number,
  r: number,
  p: number,
): Promise<CryptoKey> {
  const raw = await scryptAsync(utf8(passphrase.normalize('NFKC')), salt, { N: 2 ** logN, r, p, dkLen: 32 });
  return globalThis.crypto.subtle.importKey('raw', raw.slice().buffer as ArrayBuffer, 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
}

function associatedData(label: string, publicKey: Uint8Array, encryptionPublicKey: Uint8Array): ArrayBuffer {
  return concatBytes(
    utf8(`meridian-key-file/v${KEY_FILE_VERSION}/${label}`),
    publicKey,
    encryptionPublicKey,
  ).slice().buffer as ArrayBuffer;
}

export async function encryptKeyFile(
  identity: Identity,
  passphrase: string,
  options: { label?: string; logN?: number } = {},
): Promise<KeyFile> {
  const label = options.label ?? '';
  const logN = options.logN ?? DEFAULT_SCRYPT_LOG_N;
  const r = 8;
  const p = 1;
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, logN, r, p);
  const plaintext = concatBytes(identity.signing.secretKey, identity.encryption.secretKey);
  const ciphertext = await globalThis.crypto.subtle.encrypt(
    {
      name: 'AES-GCM',
      iv: iv.slice().buffer as ArrayBuffer,
      additionalData: associatedData(label, identity.signing.publicKey, identity.encryption.publicKey),
    },
    key,
    plaintext.slice().buffer as ArrayBuffer,
  );
  return {
    meridianKeyFile: KEY_FILE_VERSION,
    label,
    publicKey: toHex(identity.signing.publicKey),
    encryptionPublicKey: toHex(identity.encryption.publicKey),
    kdf: { name: 'scrypt', logN, r, p, salt: toHex(salt) },
    cipher: { name: 'aes-256-gcm', iv: toHex(iv) },
    ciphertext: toHex(new Uint8Array(ciphertext)),
  };
}

/** Validates the shape of untrusted JSON claiming to be a key file. */
export function parseKeyFile(text: string): KeyFile {
  if (text.length > MAX_KEY_FILE_BYTES) {
    throw new KeyFileError(
      'KEY_FILE_INVALID',
      `a key file is at most ${MAX_KEY_FILE_BYTES} bytes; this is ${text.length}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyFileError('KEY_FILE_INVALID', 'the key file is not JSON', {
      hint: 'pass the file written by `meridian key gen`',
    });
  }
  const file = value as Partial<KeyFile>;
  const ok =
    typeof file === 'object' &&
    file !== null &&
    file.meridianKeyFile === KEY_FILE_VERSION &&
    typeof file.label === 'string' &&
    typeof file.publicKey === 'string' &&
    typeof file.encryptionPublicKey === 'string' &&
    typeof file.ciphertext === 'string' &&
    file.kdf?.name === 'scrypt' &&
    Number.isInteger(file.kdf.logN) &&
    file.kdf.logN >= 10 &&
    file.kdf.logN <= 20 &&
    Number.isInteger(file.kdf.r) &&
    file.kdf.r >= 1 &&
    file.kdf.r <= 32 &&
    Number.isInteger(file.kdf.p) &&
    file.kdf.p >= 1 &&
    file.kdf.p <= 16 &&
    typeof file.kdf.salt === 'string' &&
    file.cipher?.name === 'aes-256-gcm' &&
    typeof file.cipher.iv === 'string';
  if (!ok) {
    throw new KeyFileError(
      'KEY_FILE_INVALID',
      `not a version-${KEY_FILE_VERSION} Meridian key file (missing or out-of-range fields)`,
      {
        hint: 'pass the file written by `meridian key gen`',
      },
    );
  }
  return file as KeyFile;
}

/** Decrypts a key file. Wrong passphrase or any tampering gives `KEY_FILE_DECRYPT_FAILED`. */
export async function decryptKeyFile(file: KeyFile, passphrase: string): Promise<Identity> {
  let plaintext: Uint8Array;
  const publicKey = fromHex(file.publicKey, 'publicKey');
  const encryptionPublicKey = fromHex(file.encryptionPublicKey, 'encryptionPublicKey');
  try {
    const key = await deriveKey(
      passphrase,
      fromHex(file.kdf.salt, 'kdf.salt'),
      file.kdf.logN,
      file.kdf.r,
      file.kdf.p,
    );
    plaintext = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: fromHex(file.cipher.iv, 'cipher.iv').slice().buffer as ArrayBuffer,
          additionalData: associatedData(file.label, publicKey, encryptionPublicKey),
        },
        key,
        fromHex(file.ciphertext, 'ciphertext').slice().buffer as ArrayBuffer,
      ),
    );
  } catch (cause) {
    throw new KeyFileError('KEY_FILE_DECRYPT_FAILED', 'could not decrypt the key file', {
      hint: 'check the passphrase; if it is right, the file is corrupt',
      cause,
    });
  }
  if (plaintext.length !== 64)
    throw new KeyFileError('KEY_FILE_INVALID', 'the key file holds a key of the wrong length');
  const identity = {
    signing: signingKeyPairFromSecret(plaintext.slice(0, 32)),
    encryption: encryptionKeyPairFromSecret(plaintext.slice(32, 64)),
  };
  if (
    !equalBytes(identity.signing.publicKey, publicKey) ||
    !equalBytes(identity.encryption.publicKey, encryptionPublicKey)
  ) {
    throw new KeyFileError('KEY_FILE_INVALID', 'the public keys in the file do not match its secret keys');
  }
  return identity;
}
