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
import { MeridianError, ValidationError } from '../../errors.ts';
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

/** The permission check that follows membership: the role a transaction's kind requires. */
function checkPermission(member: Member, kind: string): void {
  const permission = permissionFor(kind);
  if (permission === 'member') return;
  if (permission === 'governance') {
    throw new ValidationError(
      'GOVERNANCE_ONLY',
      `${kind} is done by a passed governance proposal, not by a transaction`,
      {
        hint: 'propose it: `meridian gov propose` or `meridian contract deploy`',
      },
    );
  }
  requireRole(member, permission.role, kind);
}

const namespaceOf =
  (state: StateReader): NamespaceGet =>
  (key) =>
    state.get(moduleKey(MEMBERSHIP_MODULE, key));

/** The executor's `authorize` hook. Open (allows everything) on a chain without organisations. */
export function authorizeTx(state: StateReader, tx: SignedTx): void {
  const get = namespaceOf(state);
  if (!isEnforced(get)) return;
  checkPermission(activeMember(get, toHex(tx.body.sender)), tx.body.kind);
}

/** Senders whose membership outcome `memoisedAuthorizeTx` remembers (oldest forgotten first). */
export const AUTHORIZATION_MEMO_SIZE = 16_384;
const MEMBERSHIP_PREFIX = moduleKey(MEMBERSHIP_MODULE, new Uint8Array(0));

/** What `activeMember` concluded about one sender at one version of the membership namespace. */
interface MemberOutcome {
  readonly version: object;
  /** `open`: the chain does not enforce membership. */
  readonly outcome: 'open' | Member | MeridianError;
}

/**
 * `authorizeTx` with the membership lookup memoised per sender and version of the membership
 * namespace (`StateReader.prefixVersion`): every transaction still gets the same verdict as
 * `authorizeTx` on the same state, but a sender's record is read and decoded once per change of
 * the registry instead of twice per transaction (admission and execution). Readers that cannot
 * version the namespace (or have written under it) are served by `authorizeTx` directly.
 */
export function memoisedAuthorizeTx(
  size = AUTHORIZATION_MEMO_SIZE,
): (state: StateReader, tx: SignedTx) => void {
  const memo = new Map<string, MemberOutcome>();
  return (state, tx) => {
    const version = state.prefixVersion?.(MEMBERSHIP_PREFIX) ?? null;
    if (version === null) {
      authorizeTx(state, tx);
      return;
    }
    const senderHex = toHex(tx.body.sender);
    let known = memo.get(senderHex);
    if (known?.version !== version) {
      known = { version, outcome: memberOutcome(namespaceOf(state), senderHex) };
      memo.delete(senderHex);
      if (memo.size >= size) memo.delete(memo.keys().next().value as string);
      memo.set(senderHex, known);
    }
    const { outcome } = known;
    if (outcome === 'open') return;
    if (outcome instanceof MeridianError) throw outcome;
    checkPermission(outcome, tx.body.kind);
  };
}

function memberOutcome(get: NamespaceGet, senderHex: string): MemberOutcome['outcome'] {
  if (!isEnforced(get)) return 'open';
  try {
    return activeMember(get, senderHex);
  } catch (error) {
    if (error instanceof MeridianError) return error;
    throw error;
  }
}
