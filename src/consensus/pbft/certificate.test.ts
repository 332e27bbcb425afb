import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BlockHeader } from '../../chain/header.ts';
import { ValidatorSet } from '../../chain/validator-set.ts';
import { generateSigningKeyPair, sign } from '../../crypto/ed25519.ts';
import { VerificationError } from '../../errors.ts';
import { verifyCommitCertificate } from './certificate.ts';
import { commitVoteBytes, headerHashOf } from './messages.ts';
import type { CommitCertificate } from './types.ts';

const keys = Array.from({ length: 7 }, () => generateSigningKeyPair());
const validators = new ValidatorSet(keys.map((k) => k.publicKey));

function header(height = 9): BlockHeader {
  return {
    chainId: 'meridian-test',
    height,
    parentHash: new Uint8Array(32).fill(1),
    timestampMs: 1_700_000_000_000,
    proposer: keys[0]!.publicKey,
    view: 2,
    transactionsRoot: new Uint8Array(32).fill(3),
    stateRoot: new Uint8Array(32).fill(4),
    receiptsRoot: new Uint8Array(32),
    provenanceRoot: new Uint8Array(32),
    validatorSetHash: validators.hash,
  };
}

function certificate(h: BlockHeader, signers: number[], view = 3): CommitCertificate {
  const headerHash = headerHashOf(h);
  const bytes = commitVoteBytes(h.chainId, view, h.height, headerHash);
  return {
    view,
    height: h.height,
    headerHash,
    votes: signers.map((i) => ({ validator: i, signature: sign(keys[i]!.secretKey, bytes) })),
  };
}

function code(f: () => void): string | undefined {
  try {
    f();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(VerificationError);
    return (error as VerificationError).code;
  }
}

describe('verifyCommitCertificate (Ed25519, as a light client uses it)', () => {
  const h = header();
  // N = 7, f = 2, quorum = 5.
  it('accepts 2f+1 distinct valid signatures over (chainId, view, height, header hash)', () => {
    expect(validators.quorum).toBe(5);
    expect(
      code(() => verifyCommitCertificate(h, certificate(h, [0, 1, 2, 3, 4]), validators)),
    ).toBeUndefined();
    expect(
      code(() => verifyCommitCertificate(h, certificate(h, [6, 5, 4, 3, 2, 1, 0]), validators)),
    ).toBeUndefined();
  });

  it('refuses fewer than 2f+1 signers', () => {
    expect(code(() => verifyCommitCertificate(h, certificate(h, [0, 1, 2, 3]), validators))).toBe(
      'CERT_NO_QUORUM',
    );
  });

  it('counts a validator once', () => {
    const cert = certificate(h, [0, 1, 2, 3, 4]);
    const dup = { ...cert, votes: [...cert.votes.slice(0, 4), cert.votes[0]!] };
    expect(code(() => verifyCommitCertificate(h, dup, validators))).toBe('CERT_DUPLICATE_SIGNER');
  });

  it('refuses signers outside the set', () => {
    const cert = certificate(h, [0, 1, 2, 3, 4]);
    const outsider = {
      ...cert,
      votes: [...cert.votes, { validator: 7, signature: cert.votes[0]!.signature }],
    };
    expect(code(() => verifyCommitCertificate(h, outsider, validators))).toBe('CERT_UNKNOWN_SIGNER');
  });

  it('refuses a signature over another view, height, chain or header', () => {
    const wrongView = { ...certificate(h, [0, 1, 2, 3, 4], 3), view: 4 };
    expect(code(() => verifyCommitCertificate(h, wrongView, validators))).toBe('CERT_BAD_SIGNATURE');
    const other = header(10);
    expect(code(() => verifyCommitCertificate(other, certificate(h, [0, 1, 2, 3, 4]), validators))).toBe(
      'CERT_HEIGHT_MISMATCH',
    );
    const altered = { ...h, stateRoot: new Uint8Array(32).fill(9) };
    expect(code(() => verifyCommitCertificate(altered, certificate(h, [0, 1, 2, 3, 4]), validators))).toBe(
      'CERT_HASH_MISMATCH',
    );
    const otherChain = { ...h, chainId: 'other' };
    const forged = { ...certificate(h, [0, 1, 2, 3, 4]), headerHash: headerHashOf(otherChain) };
    expect(code(() => verifyCommitCertificate(otherChain, forged, validators))).toBe('CERT_BAD_SIGNATURE');
  });

  it('refuses a header certified for another validator set', () => {
    const otherSet = new ValidatorSet(keys.slice(0, 4).map((k) => k.publicKey));
    expect(code(() => verifyCommitCertificate(h, certificate(h, [0, 1, 2, 3, 4]), otherSet))).toBe(
      'CERT_VALIDATOR_SET_MISMATCH',
    );
  });

  it('property: any set of distinct signers verifies iff it has at least 2f+1 members', () => {
    fc.assert(
      fc.property(fc.subarray([0, 1, 2, 3, 4, 5, 6]), (signers) => {
        const result = code(() => verifyCommitCertificate(h, certificate(h, signers), validators));
        expect(result === undefined).toBe(signers.length >= validators.quorum);
      }),
      { numRuns: 40 },
    );
  });

  it('property: flipping any bit of any signature is detected', () => {
    const cert = certificate(h, [0, 1, 2, 3, 4]);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 0, max: 7 }),
        (v, byte, bit) => {
          const signature = cert.votes[v]!.signature.slice();
          signature[byte]! ^= 1 << bit;
          const votes = cert.votes.map((vote, i) => (i === v ? { ...vote, signature } : vote));
          expect(code(() => verifyCommitCertificate(h, { ...cert, votes }, validators))).toBe(
            'CERT_BAD_SIGNATURE',
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});
