import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { MeridianError } from '../errors.ts';
import { sign, verify } from './ed25519.ts';
import { decryptKeyFile, encryptKeyFile, generateIdentity, parseKeyFile } from './keyfile.ts';

// logN 10 keeps the tests fast; the format and code path are the same as the default.
const FAST = { logN: 10 };

describe('key files', () => {
  it('round-trips an identity through an encrypted file and the key still signs', async () => {
    const identity = generateIdentity();
    const file = await encryptKeyFile(identity, 'correct horse', { ...FAST, label: 'alice' });
    expect(file.publicKey).toBe(toHex(identity.signing.publicKey));
    expect(JSON.stringify(file)).not.toContain(toHex(identity.signing.secretKey).slice(2));
    const opened = await decryptKeyFile(parseKeyFile(JSON.stringify(file)), 'correct horse');
    expect(toHex(opened.signing.secretKey)).toBe(toHex(identity.signing.secretKey));
    expect(toHex(opened.encryption.secretKey)).toBe(toHex(identity.encryption.secretKey));
    const message = new Uint8Array([1, 2, 3]);
    expect(verify(identity.signing.publicKey, message, sign(opened.signing.secretKey, message))).toBe(true);
  });

  it('refuses a wrong passphrase with KEY_FILE_DECRYPT_FAILED', async () => {
    const file = await encryptKeyFile(generateIdentity(), 'right', FAST);
    await expect(decryptKeyFile(file, 'wrong')).rejects.toMatchObject({ code: 'KEY_FILE_DECRYPT_FAILED' });
  });

  it('detects a swapped public key (bound as associated data)', async () => {
    const file = await encryptKeyFile(generateIdentity(), 'pw', FAST);
    const other = await encryptKeyFile(generateIdentity(), 'pw', FAST);
    await expect(decryptKeyFile({ ...file, publicKey: other.publicKey }, 'pw')).rejects.toBeInstanceOf(
      MeridianError,
    );
  });

  it('rejects non-JSON, oversize and out-of-range files before any work', () => {
    expect(() => parseKeyFile('nope')).toThrow(/not JSON/);
    expect(() => parseKeyFile('x'.repeat(20_000))).toThrow(/at most/);
    expect(() => parseKeyFile(JSON.stringify({ meridianKeyFile: 1 }))).toThrow(/missing or out-of-range/);
  });
});
