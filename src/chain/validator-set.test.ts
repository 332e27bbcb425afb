import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { ValidatorSet } from './validator-set.ts';

const keys = (n: number) => Array.from({ length: n }, () => generateSigningKeyPair().publicKey);

describe('ValidatorSet', () => {
  it('derives f and a quorum whose any two instances intersect in f+1 validators', () => {
    for (let n = 1; n <= 40; n++) {
      const set = new ValidatorSet(keys(n));
      expect(set.f).toBe(Math.floor((n - 1) / 3));
      expect(2 * set.quorum - n).toBeGreaterThanOrEqual(set.f + 1);
      expect(set.quorum).toBeLessThanOrEqual(n - set.f); // live with f silent validators
    }
    expect(new ValidatorSet(keys(4)).quorum).toBe(3);
    expect(new ValidatorSet(keys(7)).quorum).toBe(5);
  });

  it('hashes the ordered key list, so order and membership both change the hash', () => {
    const k = keys(4);
    const a = new ValidatorSet(k);
    expect(toHex(new ValidatorSet([...k]).hash)).toBe(toHex(a.hash));
    expect(toHex(new ValidatorSet([k[1]!, k[0]!, k[2]!, k[3]!]).hash)).not.toBe(toHex(a.hash));
    expect(toHex(new ValidatorSet(k.slice(0, 3)).hash)).not.toBe(toHex(a.hash));
    expect(a.indexOf(k[2]!)).toBe(2);
    expect(a.indexOf(keys(1)[0]!)).toBe(-1);
  });

  it('rejects empty sets, duplicates and malformed keys', () => {
    const k = keys(2);
    expect(() => new ValidatorSet([])).toThrow(/1 to/);
    expect(() => new ValidatorSet([k[0]!, k[0]!])).toThrow(/twice/);
    expect(() => new ValidatorSet([new Uint8Array(31)])).toThrow(/not 32 bytes/);
  });
});
