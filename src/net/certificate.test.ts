import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { ed25519KeyFromKeyObject, makeNodeCertificate, publicKeyFromCertificate } from './certificate.ts';

describe('node certificates', () => {
  it('carry the node key itself, are self-signed, and pair with the PEM private key', async () => {
    const node = generateSigningKeyPair();
    const { certPem, keyPem } = await makeNodeCertificate(node);
    const certificate = new X509Certificate(certPem);
    expect([...publicKeyFromCertificate(certificate)]).toEqual([...node.publicKey]);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.subject).toContain('meridian-node-');
    expect(keyPem).toContain('BEGIN PRIVATE KEY');
    expect(certificate.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
  });

  it('are valid until 9999 (pinned by key, not by dates) and reproducible from the key', async () => {
    const node = generateSigningKeyPair();
    const first = await makeNodeCertificate(node);
    const second = await makeNodeCertificate(node);
    expect(second.certPem).toBe(first.certPem);
    expect(new Date(new X509Certificate(first.certPem).validTo).getUTCFullYear()).toBe(9999);
    const other = await makeNodeCertificate(generateSigningKeyPair());
    expect(other.certPem).not.toBe(first.certPem);
  });

  it('refuse to extract a node key from a non-Ed25519 key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => ed25519KeyFromKeyObject(publicKey)).toThrow(
      expect.objectContaining({ code: 'NET_CERT_NOT_ED25519' }),
    );
  });
});
