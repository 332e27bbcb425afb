/**
 * Verifying a state read in the browser, and explaining it step by step.
 * The verdict is `verifyStateProof` from src/light (the same code the CLI and
 * light clients run); the steps around it say what was checked and where a
 * failure happened. `tamper` alters an answer the way a dishonest node could,
 * to show that the checks catch it.
 */
import type { StateProofJson, ValidatorInfoJson } from '../../../src/api/sdk.ts';
import { ValidatorSet } from '../../../src/chain/validator-set.ts';
import { fromHexFixed, toHex } from '../../../src/codec/bytes.ts';
import { type StateVerdict, verifyStateProof } from '../../../src/light/verify-state.ts';
import { describeProofPath, type ProofPath } from './proof-path.ts';

/** The verifier's own order: header hash, then certificate (validator set, signatures, quorum), then trie path, then value. */
export type StepId = 'header' | 'certificate' | 'path' | 'value';
export type StepStatus = 'pass' | 'fail' | 'skipped';

export interface VerificationReport {
  readonly verdict: StateVerdict;
  readonly validatorSetHash: string;
  readonly validatorSetMatches: boolean;
  readonly quorum: number;
  readonly steps: Readonly<Record<StepId, StepStatus>>;
  readonly path: ProofPath | undefined;
  /** Which validator (index) a CERT_BAD_SIGNATURE failure names. */
  readonly badSigner: number | undefined;
}

const STEP_OF_CODE: [RegExp, StepId][] = [
  [/^HEADER_HASH_MISMATCH$/, 'header'],
  [/^(CERT_|GENESIS_NOT_TRUSTED)/, 'certificate'],
  [/^PROOF_/, 'path'],
  [/^VALUE_MISMATCH$/, 'value'],
];
const ORDER: StepId[] = ['header', 'certificate', 'path', 'value'];

export function verifyAnswer(
  answer: StateProofJson,
  validators: readonly ValidatorInfoJson[],
  trustedGenesisHash: string | undefined,
): VerificationReport {
  const set = new ValidatorSet(validators.map((v) => fromHexFixed(v.publicKey, 32, 'validator key')));
  const verdict = verifyStateProof(answer, set, trustedGenesisHash ? { trustedGenesisHash } : {});
  const validatorSetHash = toHex(set.hash);
  const validatorSetMatches = answer.header?.validatorSetHash.toLowerCase() === validatorSetHash;
  let failedAt: StepId | undefined;
  if (!verdict.valid) {
    const code = verdict.failure?.code ?? '';
    failedAt = STEP_OF_CODE.find(([pattern]) => pattern.test(code))?.[1] ?? 'header';
    if (code === 'PROOF_MISSING') failedAt = 'header';
  }
  const steps = {} as Record<StepId, StepStatus>;
  let reached = true;
  for (const id of ORDER) {
    if (!reached) steps[id] = 'skipped';
    else if (id === failedAt) {
      steps[id] = 'fail';
      reached = false;
    } else steps[id] = verdict.valid || failedAt !== undefined ? 'pass' : 'skipped';
  }
  let path: ProofPath | undefined;
  if (answer.header && answer.proof) {
    try {
      path = describeProofPath(answer.header.stateRoot, answer.key, answer.proof);
    } catch {
      path = undefined;
    }
  }
  const badSigner = /validator #(\d+)/.exec(verdict.failure?.message ?? '')?.[1];
  return {
    verdict,
    validatorSetHash,
    validatorSetMatches,
    quorum: set.quorum,
    steps,
    path,
    badSigner:
      verdict.failure?.code === 'CERT_BAD_SIGNATURE' && badSigner !== undefined
        ? Number(badSigner)
        : undefined,
  };
}

export type Tampering = 'none' | 'value' | 'proof' | 'header' | 'signature' | 'quorum';

export const TAMPERINGS: readonly { id: Tampering; label: string }[] = [
  { id: 'none', label: 'an honest node (the answer as served)' },
  { id: 'value', label: 'a node that lies about the value' },
  { id: 'proof', label: 'a node that alters a trie node' },
  { id: 'header', label: 'a node that forges the state root in the header' },
  { id: 'signature', label: 'a node that forges a validator’s signature' },
  { id: 'quorum', label: 'a node that shows too few signatures' },
];

function flipLastByte(hex: string): string {
  if (hex.length < 4) return '0x01';
  const last = Number.parseInt(hex.slice(-2), 16) ^ 0x01;
  return hex.slice(0, -2) + last.toString(16).padStart(2, '0');
}

/** A copy of `answer` altered as a dishonest node might; the original is not touched. */
export function tamper(answer: StateProofJson, how: Tampering): StateProofJson {
  const copy = structuredClone(answer);
  switch (how) {
    case 'none':
      return copy;
    case 'value':
      return { ...copy, value: copy.value === null ? '0x2a' : flipLastByte(copy.value) };
    case 'proof': {
      const proof = [...(copy.proof ?? [])];
      if (proof.length > 0) proof[proof.length - 1] = flipLastByte(proof[proof.length - 1]!);
      return { ...copy, proof };
    }
    case 'header':
      return copy.header
        ? { ...copy, header: { ...copy.header, stateRoot: flipLastByte(copy.header.stateRoot) } }
        : copy;
    case 'signature': {
      const certificate = copy.certificate;
      if (!certificate || certificate.signatures.length === 0) return copy;
      const signatures = certificate.signatures.map((s, i) =>
        i === 0 ? { ...s, signature: flipLastByte(s.signature) } : s,
      );
      return { ...copy, certificate: { ...certificate, signatures } };
    }
    case 'quorum': {
      const certificate = copy.certificate;
      if (!certificate) return copy;
      return { ...copy, certificate: { ...certificate, signatures: certificate.signatures.slice(0, 1) } };
    }
  }
}
