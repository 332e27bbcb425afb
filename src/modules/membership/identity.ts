/**
 * Who can exist on a permissioned Meridian chain and with which roles: the
 * shapes of organisations and members, and the rule that decides which roles
 * a member may hold. Used by the genesis validator (chain/genesis.ts), by the
 * membership module for every registration, and by the CLI before it signs.
 *
 * Roles:
 * - built in: `regulator` (members of a regulator organisation only: admits
 *   and suspends organisations), `org-admin` (users: registers the
 *   organisation's members, votes in governance for it), `validator` (nodes
 *   only), `member`, `device`, `auditor` (granted to an organisation like a
 *   contract role, since it reads across organisations);
 * - organisation roles: what the regulator granted an organisation when it
 *   admitted it, e.g. `agency:planning`; contracts read them as `ctx.roles`.
 *   An organisation's admin can hand its members only roles the organisation
 *   holds, so no organisation can make itself the planning agency.
 */
import { fromHexFixed, toHex, utf8Length } from '../../codec/bytes.ts';
import { ValidationError } from '../../errors.ts';

/** Organisation ids: lowercase words joined by `-`, like contract names. */
export const MAX_ORGANIZATION_ID_BYTES = 32;
/** Display names of organisations and members. */
export const MAX_DISPLAY_NAME_BYTES = 128;
/** One role name (the contract sandbox's `MAX_ROLE_BYTES` too). */
export const MAX_ROLE_BYTES = 64;
/** Roles one member or organisation may hold (the sandbox accepts up to 32 per caller). */
export const MAX_ROLES_PER_HOLDER = 16;
/** Host names of nodes. */
export const MAX_HOST_BYTES = 255;

export const ORGANIZATION_ID_PATTERN = /^[a-z][a-z0-9-]*$/;
/** `word` or `word:word`, lowercase, digits and `-` (e.g. `agency:development-reform`). */
export const ROLE_PATTERN = /^[a-z][a-z0-9-]*(:[a-z0-9][a-z0-9-]*)?$/;

export const MEMBER_KINDS = ['user', 'device', 'node'] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

/** Roles every organisation may hand out, and the member kinds that may hold each. */
const BASE_ROLES: Readonly<Record<string, readonly MemberKind[]>> = {
  'org-admin': ['user'],
  member: ['user', 'device', 'node'],
  device: ['device'],
  validator: ['node'],
};
/** Roles that only a regulator organisation's users may hold. */
const REGULATOR_ROLES: readonly string[] = ['regulator'];
/** Roles that cannot be granted to an organisation (they come from the rules above). */
export const RESERVED_ROLES: readonly string[] = [...Object.keys(BASE_ROLES), ...REGULATOR_ROLES];

export interface OrganizationShape {
  readonly id: string;
  readonly regulator: boolean;
  /** Extra roles the organisation may hand its members (`auditor`, `agency:planning`, ...). */
  readonly roles: readonly string[];
}

function bad(code: string, message: string, hint?: string): never {
  throw new ValidationError(code, message, hint === undefined ? {} : { hint });
}

export function checkOrganizationId(id: unknown, what = 'organization id'): string {
  if (typeof id !== 'string' || !ORGANIZATION_ID_PATTERN.test(id) || id.length > MAX_ORGANIZATION_ID_BYTES) {
    bad(
      'BAD_ORGANIZATION_ID',
      `${what} must be 1-${MAX_ORGANIZATION_ID_BYTES} characters of a-z, 0-9 and "-", starting with a letter`,
    );
  }
  return id;
}

export function checkDisplayName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string' || name.trim().length === 0 || utf8Length(name) > MAX_DISPLAY_NAME_BYTES) {
    bad('BAD_NAME', `${what} must be 1-${MAX_DISPLAY_NAME_BYTES} bytes of text`);
  }
  return name;
}

/** A 0x-hex Ed25519 public key, returned in lowercase. */
export function checkPublicKey(key: unknown, what = 'publicKey'): string {
  if (typeof key !== 'string') bad('BAD_PUBLIC_KEY', `${what} must be 0x-hex (32 bytes)`);
  try {
    return toHex(fromHexFixed(key, 32, what));
  } catch {
    bad(
      'BAD_PUBLIC_KEY',
      `${what} must be 0x-hex (32 bytes)`,
      "print a key file's public key with `meridian key show`",
    );
  }
}

export function checkMemberKind(kind: unknown): MemberKind {
  if (!MEMBER_KINDS.includes(kind as MemberKind))
    bad('BAD_MEMBER_KIND', `kind must be one of ${MEMBER_KINDS.join(', ')}`);
  return kind as MemberKind;
}

/** A list of distinct well-formed role names, returned sorted. */
export function checkRoleList(roles: unknown, what = 'roles'): string[] {
  if (!Array.isArray(roles) || roles.length > MAX_ROLES_PER_HOLDER)
    bad('BAD_ROLES', `${what} must be a list of at most ${MAX_ROLES_PER_HOLDER} roles`);
  for (const role of roles) {
    if (typeof role !== 'string' || !ROLE_PATTERN.test(role) || utf8Length(role) > MAX_ROLE_BYTES) {
      bad(
        'BAD_ROLES',
        `${what} holds "${String(role)}": a role is lowercase words, optionally "scope:name", at most ${MAX_ROLE_BYTES} bytes`,
      );
    }
  }
  const sorted = [...new Set(roles as string[])].sort();
  if (sorted.length !== roles.length) bad('BAD_ROLES', `${what} lists a role twice`);
  return sorted;
}

/** The roles an organisation may be granted: well-formed and none of the built-in member roles. */
export function checkOrganizationRoles(roles: unknown): string[] {
  const list = checkRoleList(roles, 'organization roles');
  const reserved = list.filter((r) => RESERVED_ROLES.includes(r));
  if (reserved.length > 0) {
    bad(
      'BAD_ROLES',
      `organization roles cannot include ${reserved.join(', ')}`,
      'these roles are given to members directly; grant contract roles such as agency:planning or auditor',
    );
  }
  return list;
}

/** Throws `ROLE_NOT_ALLOWED` unless every role may be held by a member of this kind in this organisation. */
export function checkMemberRoles(
  organization: OrganizationShape,
  kind: MemberKind,
  roles: readonly string[],
): void {
  for (const role of roles) {
    const kinds = BASE_ROLES[role];
    if (kinds !== undefined) {
      if (!kinds.includes(kind)) bad('ROLE_NOT_ALLOWED', `a ${kind} cannot hold the role "${role}"`);
      continue;
    }
    if (REGULATOR_ROLES.includes(role)) {
      if (!organization.regulator || kind !== 'user')
        bad('ROLE_NOT_ALLOWED', `only users of a regulator organisation may hold "${role}"`);
      continue;
    }
    if (!organization.roles.includes(role)) {
      bad(
        'ROLE_NOT_ALLOWED',
        `organisation "${organization.id}" does not hold the role "${role}"`,
        `it holds: ${[...Object.keys(BASE_ROLES), ...organization.roles].join(', ')}; the regulator grants organisation roles at admission`,
      );
    }
  }
}

/** Checks a node's advertised address. */
export function checkNodeAddress(host: unknown, port: unknown): { host: string; port: number } {
  if (typeof host !== 'string' || host.length === 0 || utf8Length(host) > MAX_HOST_BYTES)
    bad('BAD_NODE_ADDRESS', 'a node needs a host name or address');
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65_535)
    bad('BAD_NODE_ADDRESS', 'a node needs a port from 1 to 65535');
  return { host, port: port as number };
}
