/**
 * Signatures for the simulator. By default a keyed hash stands in for Ed25519:
 * `sig = keccak(secret || message)` (twice, to fill 64 bytes), verified by
 * recomputing with the secret the simulator holds for each public key. In the
 * model this is unforgeable: Byzantine replicas only ever sign with their own
 * secret. It is ~50x cheaper than Ed25519, which lets the simulator run
 * thousands of seeds; `real: true` switches to Ed25519 (a test does that for a
 * few seeds so the real scheme is exercised end to end).
 *
 * Every verification is counted (`verifications`).
 */

import { concatBytes, equalBytes, toHex, utf8 } from '../../codec/bytes.ts';
import {
  sign as ed25519Sign,
  verify as ed25519Verify,
  signingKeyPairFromSecret,
} from '../../crypto/ed25519.ts';
import { keccak256 } from '../../crypto/keccak.ts';

export interface SimKey {
  readonly publicKey: Uint8Array;
  readonly secret: Uint8Array;
}

export class SimCrypto {
  readonly keys: SimKey[];
  private readonly secretByPublic = new Map<string, Uint8Array>();
  verifications = 0;

  constructor(
    count: number,
    seed: number,
    readonly real = false,
  ) {
    this.keys = [];
    for (let i = 0; i < count; i++) {
      const secret = keccak256(utf8(`meridian-sim-key/${seed}/${i}`));
      const publicKey = real
        ? signingKeyPairFromSecret(secret).publicKey
        : keccak256(concatBytes(utf8('pub'), secret));
      this.keys.push({ publicKey, secret });
      this.secretByPublic.set(toHex(publicKey), secret);
    }
  }

  signer(index: number): (message: Uint8Array) => Uint8Array {
    const secret = this.keys[index]!.secret;
    return (message) => this.sign(secret, message);
  }

  sign(secret: Uint8Array, message: Uint8Array): Uint8Array {
    if (this.real) return ed25519Sign(secret, message);
    const mac = keccak256(concatBytes(secret, message));
    const out = new Uint8Array(64);
    out.set(mac);
    out.set(mac, 32);
    return out;
  }

  readonly verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
    this.verifications++;
    if (this.real) return ed25519Verify(publicKey, message, signature);
    const secret = this.secretByPublic.get(toHex(publicKey));
    if (!secret || signature.length !== 64) return false;
    return equalBytes(signature, this.sign(secret, message));
  };
}
