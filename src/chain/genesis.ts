/**
 * The genesis file: what every node of a network must agree on before block 1.
 * It names the chain, the initial validators (their Ed25519 keys and where to
 * reach them), and the consensus parameters. Its hash (SHA-256 of the RFC 8785
 * canonical JSON) identifies the network: nodes refuse peers and blocks of a
 * different genesis.
 *
 * Optional sections: `organizations` (the regulator and founding members
 * with their keys and roles: see modules/membership/genesis.ts; when present,
 * every transaction is authorised against the membership registry) and
 * `governance` (the quorum rule: modules/governance/settings.ts). Absent
 * sections stay absent, so older genesis files keep their hash. Unknown
 * fields are refused so that a typo is an error, not a silently ignored
 * setting.
 */
import { fromHexFixed, toHex } from '../codec/bytes.ts';
import { hashRecord } from '../codec/canonical-json.ts';
import { ValidationError } from '../errors.ts';
import { type GovernanceSettings, validateGovernanceSettings } from '../modules/governance/settings.ts';
import { type GenesisOrganization, validateGenesisOrganizations } from '../modules/membership/genesis.ts';
import { type BlockHeader, MAX_CHAIN_ID_BYTES } from './header.ts';
import { ValidatorSet } from './validator-set.ts';

export const MAX_GENESIS_BYTES = 1024 * 1024;
const CHAIN_ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export interface GenesisValidator {
  readonly name: string;
  /** Ed25519 public key, 0x-hex. */
  readonly publicKey: string;
  /** Where peers dial this validator's node-to-node (TLS) port. */
  readonly host: string;
  readonly port: number;
}

export interface ConsensusParameters {
  readonly maxBatchCount: number;
  readonly maxBatchBytes: number;
  readonly maxBatchAgeMs: number;
  readonly checkpointInterval: number;
  readonly watermarkWindow: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly viewChangeTimeoutMs: number;
}

export interface Genesis {
  readonly chainId: string;
  readonly genesisTimeMs: number;
  readonly validators: readonly GenesisValidator[];
  readonly parameters: ConsensusParameters;
  readonly organizations?: readonly GenesisOrganization[];
  readonly governance?: GovernanceSettings;
}

export const DEFAULT_CONSENSUS_PARAMETERS: ConsensusParameters = {
  maxBatchCount: 2_000,
  maxBatchBytes: 4 * 1024 * 1024,
  // 50 rather than 20: on the 2-core devnet a block costs every validator ~1 ms of signatures and
  // lmdb writes whatever it holds; at 500 tx/s p50/p99 fell from ~310/610-725 ms to ~100-155/300-450 ms.
  maxBatchAgeMs: 50,
  checkpointInterval: 32,
  watermarkWindow: 128,
  heartbeatIntervalMs: 200,
  heartbeatTimeoutMs: 1_000,
  requestTimeoutMs: 3_000,
  viewChangeTimeoutMs: 1_500,
};

const PARAMETER_BOUNDS: Record<keyof ConsensusParameters, [number, number]> = {
  maxBatchCount: [1, 100_000],
  maxBatchBytes: [1_024, 64 * 1024 * 1024],
  maxBatchAgeMs: [0, 60_000],
  checkpointInterval: [1, 100_000],
  watermarkWindow: [2, 1_000_000],
  heartbeatIntervalMs: [10, 60_000],
  heartbeatTimeoutMs: [20, 600_000],
  requestTimeoutMs: [50, 600_000],
  viewChangeTimeoutMs: [50, 600_000],
};

function bad(message: string, hint?: string): never {
  throw new ValidationError('GENESIS_INVALID', message, hint === undefined ? {} : { hint });
}

function expectKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      bad(`${where} has an unknown field "${key}"`, `allowed fields: ${allowed.join(', ')}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and validates a genesis document (JSON text). */
export function parseGenesis(text: string): Genesis {
  if (text.length > MAX_GENESIS_BYTES) bad(`the genesis file is over ${MAX_GENESIS_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    bad('the genesis file is not JSON', 'create it with `meridian genesis`');
  }
  return validateGenesis(raw);
}

export function validateGenesis(raw: unknown): Genesis {
  if (!isRecord(raw)) bad('genesis must be a JSON object');
  expectKeys(
    raw,
    ['chainId', 'genesisTimeMs', 'validators', 'parameters', 'organizations', 'governance'],
    'genesis',
  );
  const { chainId, genesisTimeMs, validators, parameters, organizations, governance } = raw;
  if (typeof chainId !== 'string' || !CHAIN_ID_PATTERN.test(chainId) || chainId.length > MAX_CHAIN_ID_BYTES) {
    bad(`chainId must be 1-${MAX_CHAIN_ID_BYTES} characters of a-z, 0-9 and "-"`);
  }
  if (!Number.isSafeInteger(genesisTimeMs) || (genesisTimeMs as number) < 0)
    bad('genesisTimeMs must be a non-negative integer');
  if (!Array.isArray(validators) || validators.length === 0) bad('validators must be a non-empty list');
  const parsedValidators = validators.map((v, i): GenesisValidator => {
    if (!isRecord(v)) bad(`validators[${i}] must be an object`);
    expectKeys(v, ['name', 'publicKey', 'host', 'port'], `validators[${i}]`);
    if (typeof v.name !== 'string' || v.name.length === 0 || v.name.length > 64)
      bad(`validators[${i}].name must be 1-64 characters`);
    if (typeof v.publicKey !== 'string') bad(`validators[${i}].publicKey must be 0x-hex`);
    const key = fromHexFixed(v.publicKey, 32, `validators[${i}].publicKey`);
    if (typeof v.host !== 'string' || v.host.length === 0 || v.host.length > 255)
      bad(`validators[${i}].host must be a host name or address`);
    if (!Number.isInteger(v.port) || (v.port as number) < 1 || (v.port as number) > 65_535)
      bad(`validators[${i}].port must be 1-65535`);
    return { name: v.name, publicKey: toHex(key), host: v.host, port: v.port as number };
  });
  new ValidatorSet(parsedValidators.map((v) => fromHexFixed(v.publicKey, 32))); // rejects duplicates
  const params = validateConsensusParameters(parameters ?? {}, DEFAULT_CONSENSUS_PARAMETERS, bad);
  return {
    chainId: chainId as string,
    genesisTimeMs: genesisTimeMs as number,
    validators: parsedValidators,
    parameters: params,
    ...(organizations === undefined
      ? {}
      : { organizations: validateGenesisOrganizations(organizations, parsedValidators) }),
    ...(governance === undefined ? {} : { governance: validateGovernanceSettings(governance) }),
  };
}

/**
 * Applies `changes` (an object of parameter names to integers) over `base` and
 * checks every bound and cross-parameter rule; `fail` reports a violation (it
 * must throw). Shared by genesis validation and governance parameter changes.
 */
export function validateConsensusParameters(
  changes: unknown,
  base: ConsensusParameters,
  fail: (message: string, hint?: string) => never,
): ConsensusParameters {
  if (!isRecord(changes)) fail('parameters must be an object');
  const params = { ...base };
  for (const [name, value] of Object.entries(changes)) {
    if (!Object.hasOwn(PARAMETER_BOUNDS, name))
      fail(
        `parameters has an unknown field "${name}"`,
        `allowed fields: ${Object.keys(PARAMETER_BOUNDS).join(', ')}`,
      );
    const [min, max] = PARAMETER_BOUNDS[name as keyof ConsensusParameters];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      fail(`parameters.${name} must be an integer in ${min}..${max}`);
    }
    (params as Record<string, number>)[name] = value as number;
  }
  if (params.watermarkWindow < 2 * params.checkpointInterval) {
    fail(
      'parameters.watermarkWindow must be at least twice checkpointInterval',
      'so a checkpoint can stabilise while the next heights proceed',
    );
  }
  if (params.heartbeatTimeoutMs <= params.heartbeatIntervalMs)
    fail('parameters.heartbeatTimeoutMs must exceed heartbeatIntervalMs');
  return params;
}

/** SHA-256 of the canonical genesis JSON: the network's identity. */
export function genesisHash(genesis: Genesis): Uint8Array {
  return hashRecord(genesis);
}

export function genesisValidatorSet(genesis: Genesis): ValidatorSet {
  return new ValidatorSet(genesis.validators.map((v) => fromHexFixed(v.publicKey, 32)));
}

/**
 * Block 0. Its parent hash is the genesis hash, so every header of the chain
 * commits to the genesis document; it has no certificate (nodes trust it by
 * configuration) and no transactions.
 */
export function genesisHeader(genesis: Genesis, stateRoot: Uint8Array, emptyRoot: Uint8Array): BlockHeader {
  return {
    chainId: genesis.chainId,
    height: 0,
    parentHash: genesisHash(genesis),
    timestampMs: genesis.genesisTimeMs,
    proposer: new Uint8Array(32),
    view: 0,
    transactionsRoot: emptyRoot,
    stateRoot,
    receiptsRoot: emptyRoot,
    provenanceRoot: emptyRoot,
    validatorSetHash: genesisValidatorSet(genesis).hash,
  };
}
