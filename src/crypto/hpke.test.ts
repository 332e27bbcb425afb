import { describe, expect, it } from 'vitest';
import { utf8 } from '../codec/bytes.ts';
import { encryptionKeyPairFromSecret, generateEncryptionKeyPair, open, seal } from './hpke.ts';

describe('HPKE sealed payloads', () => {
  it('every recipient can open, an outsider cannot', async () => {
    const a = generateEncryptionKeyPair();
    const b = generateEncryptionKeyPair();
    const outsider = generateEncryptionKeyPair();
    const sealed = await seal([a.publicKey, b.publicKey], utf8('parcel 42 owner list'));
    expect(new TextDecoder().decode(await open(a, sealed))).toBe('parcel 42 owner list');
    expect(new TextDecoder().decode(await open(encryptionKeyPairFromSecret(b.secretKey), sealed))).toBe(
      'parcel 42 owner list',
    );
    await expect(open(outsider, sealed)).rejects.toMatchObject({ code: 'NOT_A_RECIPIENT' });
  });

  it('detects tampering with the ciphertext or the recipient list', async () => {
    const a = generateEncryptionKeyPair();
    const b = generateEncryptionKeyPair();
    const sealed = await seal([a.publicKey, b.publicKey], utf8('secret'));
    const ciphertext = sealed.ciphertext.slice();
    ciphertext[0]! ^= 1;
    await expect(open(a, { ...sealed, ciphertext })).rejects.toMatchObject({
      code: 'SEALED_PAYLOAD_TAMPERED',
    });
    // Dropping a recipient changes the authenticated header.
    await expect(open(a, { ...sealed, recipients: sealed.recipients.slice(0, 1) })).rejects.toMatchObject({
      code: 'SEALED_PAYLOAD_TAMPERED',
    });
  });

  it('refuses zero recipients and malformed public keys', async () => {
    await expect(seal([], utf8('x'))).rejects.toMatchObject({ code: 'BAD_RECIPIENTS' });
    await expect(seal([new Uint8Array(31)], utf8('x'))).rejects.toMatchObject({ code: 'BAD_PUBLIC_KEY' });
  });
});
