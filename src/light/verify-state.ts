/**
 * Checks a state read served by any node, trusting only a validator set:
 * the header hashes to what its commit certificate signs, a quorum of that
 * validator set signed it, and the MPT proof leads from the header's state root
 * to the claimed value (or proves the key absent). Browser-safe; the CLI's
 * `state get --prove`, the console and light clients all use it.
 */

import type { StateProofJson } from '../api/schemas.ts';
import { hashHeader } from '../chain/header.ts';
import type { ValidatorSet } from '../chain/validator-set.ts';
import { equalBytes, fromHex, toHex } from '../codec/bytes.ts';
import { verifyCommitCertificate } from '../consensus/pbft/certificate.ts';
import { MeridianError } from '../errors.ts';
import { verifyProof } from '../trie/index.ts';
import { certificateFromJson, headerFromJson } from './from-json.ts';

export interface StateVerdict {
  readonly valid: boolean;
  /** The proven value (undefined = proven absent). Only meaningful when valid. */
  readonly value: Uint8Array | undefined;
  readonly height: number;
  /** Which step failed and why, when not valid. */
  readonly failure?: { readonly code: string; readonly message: string };
  readonly signers: number;
}

export function verifyStateProof(
  response: StateProofJson,
  validators: ValidatorSet,
  options: { trustedGenesisHash?: string } = {},
): StateVerdict {
  const failed = (code: string, message: string): StateVerdict => ({
    valid: false,
    value: undefined,
    height: response.height,
    failure: { code, message },
    signers: 0,
  });
  try {
    if (!response.header || !response.proof)
      return failed('PROOF_MISSING', 'the response carries no proof: ask with prove=true');
    const header = headerFromJson(response.header);
    const hash = hashHeader(header);
    if (toHex(hash) !== response.header.hash.toLowerCase())
      return failed('HEADER_HASH_MISMATCH', 'the header does not hash to its stated hash');
    let signers = 0;
    if (header.height === 0) {
      if (
        options.trustedGenesisHash === undefined ||
        options.trustedGenesisHash.toLowerCase() !== toHex(hash)
      ) {
        return failed(
          'GENESIS_NOT_TRUSTED',
          'block 0 has no certificate; pass the genesis block hash you trust',
        );
      }
    } else {
      if (!response.certificate)
        return failed('CERT_MISSING', `block ${header.height} came without its commit certificate`);
      const certificate = certificateFromJson(response.certificate, validators);
      verifyCommitCertificate(header, certificate, validators);
      signers = certificate.votes.length;
    }
    const key = fromHex(response.key, 'key');
    const value = verifyProof(
      header.stateRoot,
      key,
      response.proof.map((n) => fromHex(n, 'proof node')),
    );
    const claimed = response.value === null ? undefined : fromHex(response.value, 'value');
    const same =
      value === undefined ? claimed === undefined : claimed !== undefined && equalBytes(value, claimed);
    if (!same) return failed('VALUE_MISMATCH', 'the proof proves a different value than the one served');
    return { valid: true, value, height: header.height, signers };
  } catch (error) {
    if (error instanceof MeridianError) return failed(error.code, error.message);
    throw error;
  }
}
