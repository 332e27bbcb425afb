/**
 * Admission of every transaction (the executor's `authorize` hook): on a
 * chain whose genesis names organisations, a transaction is executed only if
 * its sender is a registered, active member of an active organisation and
 * holds the role its kind requires. A refused transaction gets an error
 * receipt; its nonce is consumed and nothing else is written.
 *
 * | kind                                                         | sender must be                          |
 * | ------------------------------------------------------------ | --------------------------------------- |
 * | membership.admitOrganization / suspendOrganization / reinstateOrganization | `regulator` (a regulator org's user) |
 * | membership.registerMember / suspendMember / reinstateMember  | `org-admin` (the module checks: of that organisation) |
 * | governance.propose / governance.vote                         | `org-admin` (votes for its organisation) |
 * | contract.deploy / upgrade / disable / enable                 | nobody: only a passed proposal (GOVERNANCE_ONLY) |
 * | anything else (kv.*, contract.call, ...)                     | any active member (user, device or node) |
 *
 * The modules check the finer rules themselves (which organisation, which
 * contract role), so this table is a first gate, not the only one.
 */
import type { SignedTx } from '../../chain/transaction.ts';
import { toHex } from '../../codec/bytes.ts';
import { ValidationError } from '../../errors.ts';
import { moduleKey } from '../../exec/keys.ts';
import type { StateReader } from '../../exec/overlay.ts';
import {
  isEnforced,
  MEMBERSHIP_MODULE,
  type Member,
  type NamespaceGet,
  readMember,
  readOrganization,
} from './records.ts';

export type Permission = { readonly role: string } | 'member' | 'governance';

export const TX_PERMISSIONS: Readonly<Record<string, Permission>> = {
  'membership.admitOrganization': { role: 'regulator' },
  'membership.suspendOrganization': { role: 'regulator' },
  'membership.reinstateOrganization': { role: 'regulator' },
  'membership.registerMember': { role: 'org-admin' },
  'membership.suspendMember': { role: 'org-admin' },
  'membership.reinstateMember': { role: 'org-admin' },
  'governance.propose': { role: 'org-admin' },
  'governance.vote': { role: 'org-admin' },
  'contract.deploy': 'governance',
  'contract.upgrade': 'governance',
  'contract.disable': 'governance',
  'contract.enable': 'governance',
};

export function permissionFor(kind: string): Permission {
  return TX_PERMISSIONS[kind] ?? 'member';
}

/**
 * The sender's member record if it is an active member of an active
 * organisation; else throws `NOT_A_MEMBER`, `MEMBER_SUSPENDED` or `ORGANIZATION_SUSPENDED`.
 */
export function activeMember(get: NamespaceGet, senderHex: string): Member {
  const member = readMember(get, senderHex);
  if (!member) {
    throw new ValidationError('NOT_A_MEMBER', `${senderHex} is not a registered member of this chain`, {
      hint: "an organisation's admin registers keys with `meridian member add`",
    });
  }
  if (member.status !== 'active')
    throw new ValidationError('MEMBER_SUSPENDED', `member ${senderHex} is suspended`, {
      hint: "ask the organisation's admin to reinstate it",
    });
  const organization = readOrganization(get, member.organization);
  if (organization?.status !== 'active') {
    throw new ValidationError(
      'ORGANIZATION_SUSPENDED',
      `organisation "${member.organization}" is suspended`,
      {
        hint: 'a regulator or a governance proposal can reinstate it',
      },
    );
  }
  return member;
}

export function requireRole(member: Member, role: string, action: string): void {
  if (!member.roles.includes(role)) {
    throw new ValidationError(
      'ROLE_REQUIRED',
      `${action} needs the role "${role}"; ${member.publicKey} has ${member.roles.join(', ') || 'none'}`,
      {
        hint: role === 'regulator' ? 'sign with a regulator admin key' : `sign with a key holding "${role}"`,
      },
    );
  }
}

/** The executor's `authorize` hook. Open (allows everything) on a chain without organisations. */
export function authorizeTx(state: StateReader, tx: SignedTx): void {
  const get: NamespaceGet = (key) => state.get(moduleKey(MEMBERSHIP_MODULE, key));
  if (!isEnforced(get)) return;
  const member = activeMember(get, toHex(tx.body.sender));
  const permission = permissionFor(tx.body.kind);
  if (permission === 'member') return;
  if (permission === 'governance') {
    throw new ValidationError(
      'GOVERNANCE_ONLY',
      `${tx.body.kind} is done by a passed governance proposal, not by a transaction`,
      {
        hint: 'propose it: `meridian gov propose` or `meridian contract deploy`',
      },
    );
  }
  requireRole(member, permission.role, tx.body.kind);
}
