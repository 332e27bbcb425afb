/**
 * Self-signed X.509 certificates for node keys, and the reverse: the node key
 * inside a peer's certificate.
 *
 * Nodes do not use a CA. A certificate is only a carrier that lets TLS 1.3 prove
 * possession of the node's Ed25519 key (CertificateVerify); trust comes from
 * pinning that key against the admitted node keys of the network. Hence:
 *   - the certificate's key IS the node key (checked when the certificate is made);
 *   - validity runs to 9999-12-31 (RFC 5280 §4.1.2.5 "no well-defined expiration
 *     date"): expiry would add an outage without adding safety, because peers
 *     never check dates, only keys. Revocation is removal from the admitted keys;
 *   - the certificate is deterministic (fixed dates, serial derived from the key,
 *     RFC 8032 signatures are deterministic), so a node can rebuild it from its
 *     key at every start and need not store it.
 */
import 'reflect-metadata';
import { createPrivateKey, type KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { concatBytes, equalBytes, toHex, utf8 } from '../codec/bytes.ts';
import { PUBLIC_KEY_BYTES, type SigningKeyPair } from '../crypto/ed25519.ts';
import { sha256 } from '../crypto/sha256.ts';
import { assert, ValidationError } from '../errors.ts';

/** PEM strings in the shape `tls.createServer` / `tls.connect` take as `cert` and `key`. */
export interface NodeCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM of the node's Ed25519 private key. Secret: never log or send it. */
  readonly keyPem: string;
}

const NOT_BEFORE = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));
const NOT_AFTER = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

function base64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** A positive 16-byte serial derived from the key, so the certificate is reproducible. */
function serialFor(publicKey: Uint8Array): string {
  const digest = sha256(concatBytes(utf8('meridian/net/cert-serial/v1'), publicKey)).slice(0, 16);
  digest[0] = (digest[0]! & 0x7f) | 0x01; // positive, and never a leading zero byte
  return toHex(digest).slice(2);
}

/**
 * Makes the self-signed certificate of a node key. The result is the same for
 * the same key, every time.
 */
export async function makeNodeCertificate(keyPair: SigningKeyPair): Promise<NodeCertificate> {
  const jwk = {
    kty: 'OKP',
    crv: 'Ed25519',
    d: base64Url(keyPair.secretKey),
    x: base64Url(keyPair.publicKey),
  };
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey('jwk', jwk, { name: 'Ed25519' }, false, ['sign']);
  const publicKey = await subtle.importKey('raw', keyPair.publicKey, { name: 'Ed25519' }, true, ['verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialFor(keyPair.publicKey),
      name: `CN=meridian-node-${toHex(keyPair.publicKey).slice(2, 18)}`,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      keys: { privateKey, publicKey },
      signingAlgorithm: { name: 'Ed25519' },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ],
    },
    webcrypto as unknown as Crypto,
  );
  const certPem = certificate.toString('pem');
  const keyPem = createPrivateKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' });
  assert(typeof keyPem === 'string', 'PEM export yields a string');
  // The whole scheme rests on this: the certificate carries the node key, and
  // the private key we hand to TLS is the node key (a mismatch would make TLS
  // prove possession of some other key).
  const parsed = new X509Certificate(certPem);
  assert(equalBytes(publicKeyFromCertificate(parsed), keyPair.publicKey), 'certificate key is the node key');
  assert(parsed.checkPrivateKey(createPrivateKey(keyPem)), 'TLS private key matches the certificate');
  return { certPem, keyPem };
}

/** The raw 32-byte Ed25519 key of a public KeyObject; `ValidationError` `NET_CERT_NOT_ED25519` otherwise. */
export function ed25519KeyFromKeyObject(key: KeyObject): Uint8Array {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
    throw new ValidationError(
      'NET_CERT_NOT_ED25519',
      `peer certificate holds a ${key.asymmetricKeyType ?? 'unknown'} key; node certificates hold Ed25519 keys`,
      { hint: 'make the node certificate from the node key with meridian init' },
    );
  }
  const jwk = key.export({ format: 'jwk' });
  const raw = typeof jwk.x === 'string' ? new Uint8Array(Buffer.from(jwk.x, 'base64url')) : new Uint8Array();
  if (raw.length !== PUBLIC_KEY_BYTES) {
    throw new ValidationError('NET_CERT_NOT_ED25519', `peer certificate Ed25519 key has ${raw.length} bytes`);
  }
  return raw;
}

/** The node key a certificate carries (the raw 32-byte Ed25519 public key). */
export function publicKeyFromCertificate(certificate: X509Certificate): Uint8Array {
  return ed25519KeyFromKeyObject(certificate.publicKey);
}

/**
 * The node key of the peer on a TLS socket whose handshake completed. Throws
 * `ValidationError` `NET_NO_PEER_CERTIFICATE` when the peer sent none (a server
 * must ask with `requestCert: true`), or `NET_CERT_NOT_ED25519`.
 */
export function peerPublicKey(socket: TLSSocket): Uint8Array {
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) {
    throw new ValidationError('NET_NO_PEER_CERTIFICATE', 'peer presented no TLS certificate', {
      hint: 'nodes must present their node certificate (made by meridian init) on every connection',
    });
  }
  return publicKeyFromCertificate(certificate);
}
