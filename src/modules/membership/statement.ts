/**
 * Registration statements: how a user, device or node proves it holds the
 * private key it is being registered with, without ever handing that key over.
 * The member signs "on chain <chainId>, register my key <publicKey> as a <kind>
 * of <organization> with roles <roles>"; the organisation's admin puts the
 * signed statement in its own transaction. The chain checks the signature
 * against the statement's key, so an admin cannot register a key it does not
 * control the consent of, and a statement made for one chain, organisation or
 * role set is worthless for another.
 *
 * Signed bytes: UTF-8 of `meridian/registration/v1\n` + the RFC 8785 canonical
 * JSON of the statement without its signature. A statement replayed later
 * does nothing: a key is registered at most once (a suspended key stays
 * registered).
 */
import { fromHexFixed, toHex, utf8 } from '../../codec/bytes.ts';
import { canonicalJson } from '../../codec/canonical-json.ts';
import type { JsonValue } from '../../codec/json.ts';
import type { SigningKeyPair } from '../../crypto/ed25519.ts';
import { sign, verify } from '../../crypto/ed25519.ts';
import { ValidationError } from '../../errors.ts';
import {
  checkDisplayName,
  checkMemberKind,
  checkNodeAddress,
  checkOrganizationId,
  checkPublicKey,
  checkRoleList,
  type MemberKind,
} from './identity.ts';

const DOMAIN = 'meridian/registration/v1\n';
/** A statement file or payload field, before it is parsed. */
export const MAX_STATEMENT_BYTES = 4 * 1024;
const MAX_CHAIN_ID_CHARS = 64;

export interface RegistrationClaims {
  readonly chainId: string;
  readonly organization: string;
  readonly publicKey: string;
  readonly kind: MemberKind;
  readonly name: string;
  /** Sorted, distinct. */
  readonly roles: readonly string[];
  /** Nodes only: where peers reach the node. */
  readonly host?: string;
  readonly port?: number;
}

export interface RegistrationStatement extends RegistrationClaims {
  /** Ed25519 signature by `publicKey` over the statement's signing bytes, 0x-hex. */
  readonly signature: string;
}

function claimsJson(claims: RegistrationClaims): JsonValue {
  return {
    chainId: claims.chainId,
    organization: claims.organization,
    publicKey: claims.publicKey,
    kind: claims.kind,
    name: claims.name,
    roles: [...claims.roles],
    ...(claims.host === undefined ? {} : { host: claims.host }),
    ...(claims.port === undefined ? {} : { port: claims.port }),
  };
}

export function statementSigningBytes(claims: RegistrationClaims): Uint8Array {
  return utf8(DOMAIN + canonicalJson(claimsJson(claims)));
}

/** Checks the claims' shapes and normalises them (lowercase key, sorted roles). */
export function parseClaims(raw: unknown): RegistrationClaims {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ValidationError('BAD_STATEMENT', 'a registration statement must be a JSON object');
  const value = raw as Record<string, unknown>;
  const allowed = [
    'chainId',
    'organization',
    'publicKey',
    'kind',
    'name',
    'roles',
    'host',
    'port',
    'signature',
  ];
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new ValidationError('BAD_STATEMENT', `a registration statement has no field "${key}"`);
  }
  if (
    typeof value.chainId !== 'string' ||
    value.chainId.length === 0 ||
    value.chainId.length > MAX_CHAIN_ID_CHARS
  )
    throw new ValidationError('BAD_STATEMENT', 'the statement must name the chain (chainId)');
  const kind = checkMemberKind(value.kind);
  const address =
    kind === 'node'
      ? checkNodeAddress(value.host, value.port)
      : value.host === undefined && value.port === undefined
        ? undefined
        : (() => {
            throw new ValidationError('BAD_STATEMENT', 'only a node statement carries host and port');
          })();
  return {
    chainId: value.chainId,
    organization: checkOrganizationId(value.organization),
    publicKey: checkPublicKey(value.publicKey),
    kind,
    name: checkDisplayName(value.name),
    roles: checkRoleList(value.roles),
    ...(address ?? {}),
  };
}

/** Signs claims with the member's own key (on the member's machine). */
export function signStatement(claims: RegistrationClaims, signer: SigningKeyPair): RegistrationStatement {
  const normalised = parseClaims(claims);
  if (normalised.publicKey !== toHex(signer.publicKey)) {
    throw new ValidationError(
      'STATEMENT_KEY_MISMATCH',
      'a statement can only be signed by the key it registers',
    );
  }
  return { ...normalised, signature: toHex(sign(signer.secretKey, statementSigningBytes(normalised))) };
}

/**
 * Parses a statement and checks its signature and that it was made for this
 * chain. Throws `BAD_STATEMENT`, `STATEMENT_WRONG_CHAIN` or `BAD_STATEMENT_SIGNATURE`.
 */
export function verifyStatement(raw: unknown, chainId: string): RegistrationStatement {
  const claims = parseClaims(raw);
  const signatureHex = (raw as Record<string, unknown>).signature;
  if (typeof signatureHex !== 'string')
    throw new ValidationError('BAD_STATEMENT', 'the statement carries no signature');
  let signature: Uint8Array;
  try {
    signature = fromHexFixed(signatureHex, 64, 'signature');
  } catch {
    throw new ValidationError('BAD_STATEMENT', 'the signature must be 0x-hex (64 bytes)');
  }
  if (claims.chainId !== chainId) {
    throw new ValidationError(
      'STATEMENT_WRONG_CHAIN',
      `the statement was made for chain "${claims.chainId}", this is "${chainId}"`,
      { hint: 'sign a new statement naming this chain' },
    );
  }
  if (!verify(fromHexFixed(claims.publicKey, 32), statementSigningBytes(claims), signature)) {
    throw new ValidationError(
      'BAD_STATEMENT_SIGNATURE',
      'the statement is not signed by the key it registers (or was changed after signing)',
      {
        hint: 'the member signs the statement with its own key: `meridian member statement --key <its key file>`',
      },
    );
  }
  return { ...claims, signature: toHex(signature) };
}
