/**
 * Turning API JSON back into the structures whose hashes and signatures are
 * checked, validating every field on the way (a light client trusts nothing it
 * is served). Browser-safe.
 */

import type { CertificateJson, HeaderJson } from '../api/schemas.ts';
import type { BlockHeader } from '../chain/header.ts';
import type { ValidatorSet } from '../chain/validator-set.ts';
import { fromHexFixed } from '../codec/bytes.ts';
import type { CommitCertificate } from '../consensus/pbft/types.ts';
import { VerificationError } from '../errors.ts';

export function headerFromJson(json: HeaderJson): BlockHeader {
  return {
    chainId: json.chainId,
    height: json.height,
    parentHash: fromHexFixed(json.parentHash, 32, 'header.parentHash'),
    timestampMs: json.timestampMs,
    proposer: fromHexFixed(json.proposer, 32, 'header.proposer'),
    view: json.view,
    transactionsRoot: fromHexFixed(json.transactionsRoot, 32, 'header.transactionsRoot'),
    stateRoot: fromHexFixed(json.stateRoot, 32, 'header.stateRoot'),
    receiptsRoot: fromHexFixed(json.receiptsRoot, 32, 'header.receiptsRoot'),
    provenanceRoot: fromHexFixed(json.provenanceRoot, 32, 'header.provenanceRoot'),
    validatorSetHash: fromHexFixed(json.validatorSetHash, 32, 'header.validatorSetHash'),
  };
}

/** Maps signer public keys back to indexes of `validators`; an unknown signer is a verification failure. */
export function certificateFromJson(json: CertificateJson, validators: ValidatorSet): CommitCertificate {
  return {
    view: json.view,
    height: json.height,
    headerHash: fromHexFixed(json.headerHash, 32, 'certificate.headerHash'),
    votes: json.signatures.map((s) => {
      const index = validators.indexOf(fromHexFixed(s.validator, 32, 'certificate.signatures[].validator'));
      if (index < 0) {
        throw new VerificationError(
          'CERT_UNKNOWN_SIGNER',
          `certificate signer ${s.validator} is not in the validator set`,
          {
            hint: 'verify with the validator set in force at this height',
          },
        );
      }
      return {
        validator: index,
        signature: fromHexFixed(s.signature, 64, 'certificate.signatures[].signature'),
      };
    }),
  };
}
