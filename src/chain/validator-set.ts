/**
 * The validator set that certifies a block: an ordered list of distinct Ed25519
 * public keys. The order is significant (it is the base order for primary
 * rotation) and is part of the set's hash, which every header carries.
 *
 * Fault tolerance: with n validators the set tolerates f = floor((n-1)/3)
 * Byzantine ones, and a quorum is n - f (= 2f+1 when n = 3f+1). Any two quorums
 * intersect in at least f+1 validators, hence in at least one correct one.
 */

import { equalBytes, toHex } from '../codec/bytes.ts';
import { bytes, encode, list } from '../codec/schema.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { ValidationError } from '../errors.ts';

export const MAX_VALIDATORS = 256;
const ValidatorKeysCodec = list(bytes({ length: 32 }), MAX_VALIDATORS);

export class ValidatorSet {
  readonly publicKeys: readonly Uint8Array[];
  readonly hash: Uint8Array;
  /** Number of Byzantine validators tolerated. */
  readonly f: number;
  /** Votes needed for a quorum (prepared/committed/stable checkpoint/view change). */
  readonly quorum: number;
  private readonly indexByKey: Map<string, number>;

  constructor(publicKeys: readonly Uint8Array[]) {
    if (publicKeys.length === 0 || publicKeys.length > MAX_VALIDATORS) {
      throw new ValidationError(
        'BAD_VALIDATOR_SET',
        `a validator set has 1 to ${MAX_VALIDATORS} members, got ${publicKeys.length}`,
      );
    }
    this.indexByKey = new Map();
    publicKeys.forEach((key, i) => {
      if (key.length !== 32)
        throw new ValidationError('BAD_VALIDATOR_SET', `validator ${i} key is not 32 bytes`);
      const id = toHex(key);
      if (this.indexByKey.has(id))
        throw new ValidationError('BAD_VALIDATOR_SET', `validator ${id} is listed twice`);
      this.indexByKey.set(id, i);
    });
    this.publicKeys = publicKeys.map((k) => k.slice());
    this.hash = keccak256(encode(ValidatorKeysCodec, this.publicKeys as Uint8Array[]));
    this.f = Math.floor((publicKeys.length - 1) / 3);
    this.quorum = publicKeys.length - this.f;
  }

  get size(): number {
    return this.publicKeys.length;
  }

  /** Index of a validator's key, or -1 if the key is not in the set. */
  indexOf(publicKey: Uint8Array): number {
    return this.indexByKey.get(toHex(publicKey)) ?? -1;
  }

  has(publicKey: Uint8Array): boolean {
    return this.indexOf(publicKey) >= 0;
  }

  equals(other: ValidatorSet): boolean {
    return equalBytes(this.hash, other.hash);
  }
}
