import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../codec/bytes.ts';
import * as browser from './backend.browser.ts';
import * as node from './backend.node.ts';
import { generateSigningKeyPair, sign, signingKeyPairFromSecret, verify } from './ed25519.ts';
import { keccak256 } from './keccak.ts';
import { sha256 } from './sha256.ts';

describe('hashes', () => {
  it('keccak-256 matches the known empty-string and "abc" digests (Keccak, not SHA3)', () => {
    expect(toHex(keccak256(new Uint8Array(0)))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
    expect(toHex(keccak256(utf8('abc')))).toBe(
      '0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45',
    );
  });

  it('SHA-256 matches the FIPS 180-2 "abc" vector in both backends', () => {
    const expected = '0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(toHex(sha256(utf8('abc')))).toBe(expected);
    expect(toHex(browser.sha256(utf8('abc')))).toBe(expected);
  });
});

describe('Ed25519', () => {
  // RFC 8032 §7.1, TEST 2
  const secret = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
  const publicKey = '0x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
  const signature =
    '0x92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';

  it('reproduces the RFC 8032 test vector in both backends', () => {
    for (const backend of [node, browser]) {
      expect(toHex(backend.ed25519PublicKey(secret))).toBe(publicKey);
      expect(toHex(backend.ed25519Sign(secret, Uint8Array.of(0x72)))).toBe(signature);
      expect(backend.ed25519Verify(fromHex(publicKey), Uint8Array.of(0x72), fromHex(signature))).toBe(true);
    }
  });

  it('node and browser backends agree on random keys and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        (seed, message) => {
          const sig = node.ed25519Sign(seed, message);
          expect(toHex(browser.ed25519Sign(seed, message))).toBe(toHex(sig));
          expect(browser.ed25519Verify(node.ed25519PublicKey(seed), message, sig)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('signs and verifies through views at any offset of larger buffers (decoded messages are views)', () => {
    const within = (bytes: Uint8Array, at: number) => {
      const buffer = new Uint8Array(at + bytes.length + 7).fill(0xee);
      buffer.set(bytes, at);
      return buffer.subarray(at, at + bytes.length);
    };
    const seed = new Uint8Array(32).fill(3);
    const message = utf8('a message inside a frame');
    const sig = node.ed25519Sign(within(seed, 5), within(message, 9));
    expect(toHex(sig)).toBe(toHex(node.ed25519Sign(seed, message)));
    const key = node.ed25519PublicKey(within(seed, 1));
    expect(node.ed25519Verify(within(key, 3), within(message, 11), within(sig, 13))).toBe(true);
    const flipped = sig.slice();
    flipped[0]! ^= 1;
    expect(node.ed25519Verify(within(key, 3), within(message, 11), within(flipped, 13))).toBe(false);
  });

  it('rejects a signature over a different message, a flipped bit, and malformed inputs without throwing', () => {
    const pair = generateSigningKeyPair();
    const message = utf8('transfer 10');
    const sig = sign(pair.secretKey, message);
    expect(verify(pair.publicKey, message, sig)).toBe(true);
    expect(verify(pair.publicKey, utf8('transfer 11'), sig)).toBe(false);
    const flipped = sig.slice();
    flipped[5]! ^= 1;
    expect(verify(pair.publicKey, message, flipped)).toBe(false);
    expect(verify(pair.publicKey.slice(0, 31), message, sig)).toBe(false);
    expect(verify(pair.publicKey, message, sig.slice(0, 63))).toBe(false);
    expect(verify(new Uint8Array(32).fill(0xff), message, sig)).toBe(false);
  });

  // The eight points of small order (libsodium refuses them as keys and as R; see ADR 0007).
  const SMALL_ORDER = [
    '0x0100000000000000000000000000000000000000000000000000000000000000',
    '0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0x0000000000000000000000000000000000000000000000000000000000000000',
    '0x0000000000000000000000000000000000000000000000000000000000000080',
    '0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    '0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    '0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  ].map((h) => fromHex(h));

  it('refuses every signature under a small-order key, where one signature (R = identity, S = 0) fits many messages', () => {
    const forged = new Uint8Array(64);
    forged.set(SMALL_ORDER[0]!); // R = the identity, S = 0
    const messages = Array.from({ length: 64 }, (_, i) => utf8(`transfer ${i}`));
    // OpenSSL's rules accept it under the identity key for every message: anyone could sign as it.
    expect(messages.every((m) => node.opensslEd25519Verify(SMALL_ORDER[0]!, m, forged))).toBe(true);
    for (const backend of [node, browser]) {
      for (const key of SMALL_ORDER) {
        expect(messages.filter((m) => backend.ed25519Verify(key, m, forged))).toEqual([]);
      }
    }
  });

  it('refuses a signature whose R is small order, even when the key owner made it', () => {
    // Made with seed 0x07…07 and R = identity (S = H(R‖A‖M)·a mod L); OpenSSL accepts it.
    const key = fromHex('0xea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c');
    const signature = fromHex(
      '0x01000000000000000000000000000000000000000000000000000000000000003d0bbf5a4ed793ead3f7b10780839e942adb184cbef90ff5eb180831f811eb05',
    );
    expect(toHex(node.ed25519PublicKey(new Uint8Array(32).fill(7)))).toBe(toHex(key));
    expect(node.opensslEd25519Verify(key, utf8('hello'), signature)).toBe(true);
    expect(node.ed25519Verify(key, utf8('hello'), signature)).toBe(false);
    expect(browser.ed25519Verify(key, utf8('hello'), signature)).toBe(false);
  });

  it('rebuilds the same public key from a stored secret and refuses a wrong-length secret', () => {
    const pair = generateSigningKeyPair();
    expect(toHex(signingKeyPairFromSecret(pair.secretKey).publicKey)).toBe(toHex(pair.publicKey));
    expect(() => signingKeyPairFromSecret(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});
