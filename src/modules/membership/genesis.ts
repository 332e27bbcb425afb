/**
 * The genesis `organizations` section: the regulator organisation(s) and the
 * founding members, each with its admins, users, devices and nodes. Checked
 * by `validateGenesis` (chain/genesis.ts) before a node starts, and written to
 * the registry at block 0 by the membership module.
 *
 * ```json
 * "organizations": [
 *   { "id": "regulator", "name": "City Regulator", "regulator": true, "roles": [],
 *     "members": [{ "publicKey": "0x…", "kind": "user", "name": "admin", "roles": ["org-admin", "regulator"] }] },
 *   { "id": "org-0", "name": "Organisation 0", "roles": ["auditor"],
 *     "members": [{ "publicKey": "0x…", "kind": "user", "name": "admin", "roles": ["org-admin"] },
 *                 { "publicKey": "0x…", "kind": "node", "name": "validator-0", "roles": ["validator"],
 *                   "host": "127.0.0.1", "port": 26600 }] }
 * ]
 * ```
 *
 * Rules: ids and keys are unique; at least one organisation is a regulator;
 * every organisation has an `org-admin` user (else nobody could act for it);
 * every genesis validator is a node of some organisation; roles follow
 * `checkMemberRoles`. No possession proofs are needed here: every founding
 * organisation agrees on the whole genesis file.
 */
import { MeridianError, ValidationError } from '../../errors.ts';
import {
  checkDisplayName,
  checkMemberKind,
  checkMemberRoles,
  checkNodeAddress,
  checkOrganizationId,
  checkOrganizationRoles,
  checkPublicKey,
  checkRoleList,
  type MemberKind,
} from './identity.ts';
import { MAX_NODES } from './records.ts';

/** Organisations named in a genesis file. */
export const MAX_GENESIS_ORGANIZATIONS = 256;
/** Members of one organisation named in a genesis file. */
export const MAX_GENESIS_MEMBERS_PER_ORGANIZATION = 256;

export interface GenesisMember {
  readonly publicKey: string;
  readonly kind: MemberKind;
  readonly name: string;
  readonly roles: readonly string[];
  readonly host?: string;
  readonly port?: number;
}

export interface GenesisOrganization {
  readonly id: string;
  readonly name: string;
  readonly regulator: boolean;
  readonly roles: readonly string[];
  readonly members: readonly GenesisMember[];
}

function bad(message: string, hint?: string): never {
  throw new ValidationError('GENESIS_INVALID', message, hint === undefined ? {} : { hint });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      bad(`${where} has an unknown field "${key}"`, `allowed fields: ${allowed.join(', ')}`);
  }
}

/** Runs a check, turning its failure into GENESIS_INVALID naming where it happened. */
function at<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof MeridianError && error.code !== 'GENESIS_INVALID')
      bad(`${where}: ${error.message}`, error.hint);
    throw error;
  }
}

function parseMember(raw: unknown, organization: GenesisOrganization, where: string): GenesisMember {
  if (!isRecord(raw)) bad(`${where} must be an object`);
  expectKeys(raw, ['publicKey', 'kind', 'name', 'roles', 'host', 'port'], where);
  return at(where, () => {
    const kind = checkMemberKind(raw.kind);
    const roles = checkRoleList(raw.roles ?? []);
    checkMemberRoles(organization, kind, roles);
    const member: GenesisMember = {
      publicKey: checkPublicKey(raw.publicKey),
      kind,
      name: checkDisplayName(raw.name),
      roles,
      ...(kind === 'node' ? checkNodeAddress(raw.host, raw.port) : {}),
    };
    if (kind !== 'node' && (raw.host !== undefined || raw.port !== undefined))
      bad(`${where}: only nodes have host and port`);
    return member;
  });
}

/** Validates the `organizations` section against the genesis validators. */
export function validateGenesisOrganizations(
  raw: unknown,
  validators: readonly { readonly publicKey: string }[],
): GenesisOrganization[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_GENESIS_ORGANIZATIONS)
    bad(`organizations must be a list of 1 to ${MAX_GENESIS_ORGANIZATIONS} organisations`);
  const ids = new Set<string>();
  const keys = new Set<string>();
  let nodes = 0;
  const organizations = raw.map((value, i): GenesisOrganization => {
    const where = `organizations[${i}]`;
    if (!isRecord(value)) bad(`${where} must be an object`);
    expectKeys(value, ['id', 'name', 'regulator', 'roles', 'members'], where);
    const shell = at(where, () => ({
      id: checkOrganizationId(value.id),
      name: checkDisplayName(value.name),
      regulator: value.regulator === true,
      roles: checkOrganizationRoles(value.roles ?? []),
      members: [] as GenesisMember[],
    }));
    if (value.regulator !== undefined && typeof value.regulator !== 'boolean')
      bad(`${where}.regulator must be true or false`);
    if (ids.has(shell.id)) bad(`${where}: organisation id "${shell.id}" appears twice`);
    ids.add(shell.id);
    const members = value.members;
    if (
      !Array.isArray(members) ||
      members.length === 0 ||
      members.length > MAX_GENESIS_MEMBERS_PER_ORGANIZATION
    )
      bad(`${where}.members must list 1 to ${MAX_GENESIS_MEMBERS_PER_ORGANIZATION} members`);
    for (const [j, m] of members.entries()) {
      const member = parseMember(m, shell, `${where}.members[${j}]`);
      if (keys.has(member.publicKey))
        bad(`${where}.members[${j}]: key ${member.publicKey} is registered twice`);
      keys.add(member.publicKey);
      if (member.kind === 'node') nodes++;
      shell.members.push(member);
    }
    if (!shell.members.some((m) => m.roles.includes('org-admin')))
      bad(`${where}: organisation "${shell.id}" has no org-admin`, 'give one user the role "org-admin"');
    return shell;
  });
  if (!organizations.some((o) => o.regulator))
    bad('no organisation is a regulator', 'mark the regulator organisation with "regulator": true');
  if (nodes > MAX_NODES) bad(`the organisations register ${nodes} nodes; the limit is ${MAX_NODES}`);
  const nodeKeys = new Set(
    organizations.flatMap((o) => o.members.filter((m) => m.kind === 'node').map((m) => m.publicKey)),
  );
  for (const validator of validators) {
    if (!nodeKeys.has(validator.publicKey.toLowerCase())) {
      bad(
        `validator ${validator.publicKey} is not a node of any organisation`,
        'list every validator as a member of kind "node" with the role "validator" in its organisation',
      );
    }
  }
  return organizations;
}
