/**
 * Certificates: commit certificates (finality, reused by light clients),
 * prepared certificates (carried in VIEW-CHANGE) and checkpoint proofs.
 *
 * Browser-safe: imports only codec, crypto and chain helpers (no `node:*`).
 *
 * A certificate is a set of votes, each `{validator index, signature}` over the
 * same signing bytes. It is valid when the signers are distinct members of the
 * validator set, at least `quorum` (2f+1) of them, and every signature verifies.
 * Any two quorums share f+1 validators, hence at least one correct one, which
 * is what makes two conflicting certificates impossible with at most f faults.
 */

import type { BlockHeader } from '../../chain/header.ts';
import type { ValidatorSet } from '../../chain/validator-set.ts';
import { equalBytes, toHex } from '../../codec/bytes.ts';
import { verify as ed25519Verify } from '../../crypto/ed25519.ts';
import { VerificationError } from '../../errors.ts';
import { checkpointVoteBytes, commitVoteBytes, headerHashOf, prepareVoteBytes } from './messages.ts';
import type { CheckpointProof, CommitCertificate, PreparedCertificate, Vote } from './types.ts';

export type VerifyFunction = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

function fail(code: string, message: string, hint: string): never {
  throw new VerificationError(code, message, { hint });
}

/**
 * Checks `votes` form a quorum of valid signatures over `signed`; throws
 * `VerificationError` naming the first problem. `quorum` defaults to the set's.
 */
export function verifyVotes(
  votes: readonly Vote[],
  signed: Uint8Array,
  validators: ValidatorSet,
  verify: VerifyFunction,
  quorum = validators.quorum,
): void {
  const seen = new Set<number>();
  for (const vote of votes) {
    if (!Number.isSafeInteger(vote.validator) || vote.validator < 0 || vote.validator >= validators.size) {
      fail(
        'CERT_UNKNOWN_SIGNER',
        `vote from validator #${vote.validator}, but the set has ${validators.size} members`,
        'the certificate was made for a different validator set',
      );
    }
    if (seen.has(vote.validator)) {
      fail(
        'CERT_DUPLICATE_SIGNER',
        `validator #${vote.validator} signs twice`,
        'a certificate counts each validator once',
      );
    }
    seen.add(vote.validator);
    if (!verify(validators.publicKeys[vote.validator]!, signed, vote.signature)) {
      fail(
        'CERT_BAD_SIGNATURE',
        `the signature of validator #${vote.validator} does not verify`,
        'the certificate was altered or signed over different data',
      );
    }
  }
  if (seen.size < quorum) {
    fail(
      'CERT_NO_QUORUM',
      `${seen.size} distinct signatures, ${quorum} needed`,
      'a block is final only with 2f+1 signatures of its validator set',
    );
  }
}

/**
 * Verifies that `cert` proves `header` final under `validators` (the set named
 * by `header.validatorSetHash`). Throws `VerificationError` with a stable code:
 * CERT_VALIDATOR_SET_MISMATCH, CERT_HEIGHT_MISMATCH, CERT_HASH_MISMATCH,
 * CERT_UNKNOWN_SIGNER, CERT_DUPLICATE_SIGNER, CERT_BAD_SIGNATURE, CERT_NO_QUORUM.
 * `verify` defaults to Ed25519.
 */
export function verifyCommitCertificate(
  header: BlockHeader,
  cert: CommitCertificate,
  validators: ValidatorSet,
  verify: VerifyFunction = ed25519Verify,
): void {
  if (!equalBytes(header.validatorSetHash, validators.hash)) {
    fail(
      'CERT_VALIDATOR_SET_MISMATCH',
      `header names validator set ${toHex(header.validatorSetHash)}, verifying with ${toHex(validators.hash)}`,
      'verify with the validator set in force at this height',
    );
  }
  if (cert.height !== header.height) {
    fail(
      'CERT_HEIGHT_MISMATCH',
      `certificate is for height ${cert.height}, header is ${header.height}`,
      'pair each header with its own certificate',
    );
  }
  const hash = headerHashOf(header);
  if (!equalBytes(cert.headerHash, hash)) {
    fail(
      'CERT_HASH_MISMATCH',
      `certificate is for block ${toHex(cert.headerHash)}, header hashes to ${toHex(hash)}`,
      'the header was altered or belongs to another block',
    );
  }
  verifyVotes(cert.votes, commitVoteBytes(header.chainId, cert.view, cert.height, hash), validators, verify);
}

/** True when `cert` carries a quorum of prepare votes for its header in its view. */
export function isValidPreparedCertificate(
  chainId: string,
  cert: PreparedCertificate,
  validators: ValidatorSet,
  verify: VerifyFunction,
): boolean {
  if (cert.header.chainId !== chainId) return false;
  try {
    const signed = prepareVoteBytes(chainId, cert.view, cert.header.height, headerHashOf(cert.header));
    verifyVotes(cert.votes, signed, validators, verify);
    return true;
  } catch (error) {
    if (error instanceof VerificationError) return false;
    throw error;
  }
}

/**
 * True when `proof` shows a stable checkpoint: 2f+1 CHECKPOINT votes, or the
 * genesis checkpoint (height 0, the genesis hash, no votes needed).
 */
export function isValidCheckpointProof(
  chainId: string,
  proof: CheckpointProof,
  validators: ValidatorSet,
  verify: VerifyFunction,
  genesisHash: Uint8Array,
  checkpointInterval: number,
): boolean {
  if (proof.height === 0) return equalBytes(proof.headerHash, genesisHash);
  if (proof.height % checkpointInterval !== 0) return false;
  try {
    verifyVotes(
      proof.votes,
      checkpointVoteBytes(chainId, proof.height, proof.headerHash, proof.stateRoot),
      validators,
      verify,
    );
    return true;
  } catch (error) {
    if (error instanceof VerificationError) return false;
    throw error;
  }
}
