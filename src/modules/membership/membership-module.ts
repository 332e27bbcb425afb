/**
 * `membership`: the registry of organisations and of their members (users,
 * devices, nodes), each bound to an Ed25519 key and to roles (see
 * identity.ts for the role rules, records.ts for the state layout,
 * authorize.ts for which key may send which transaction).
 *
 * | method                 | payload                              | who                                     |
 * | ---------------------- | ------------------------------------ | --------------------------------------- |
 * | admitOrganization      | { id, name, roles?, admin: statement } | a regulator, or a passed proposal     |
 * | suspendOrganization    | { id, reason? }                      | a regulator (not for regulator orgs), or a proposal |
 * | reinstateOrganization  | { id }                               | a regulator, or a proposal              |
 * | registerMember         | { statement }                        | an org-admin of the statement's organisation |
 * | suspendMember          | { publicKey, reason? }               | an org-admin of the member's organisation (not itself) |
 * | reinstateMember        | { publicKey }                        | an org-admin of the member's organisation |
 *
 * A statement is the member's own signed registration statement
 * (statement.ts): the admin never holds the member's private key.
 *
 * Events: organizationAdmitted, organizationSuspended, organizationReinstated,
 * memberRegistered, memberSuspended, memberReinstated, and nodesChanged
 * `{ admitted: [0x key...] }` whenever the set of admitted node keys changes.
 */
import { fromUtf8, utf8 } from '../../codec/bytes.ts';
import type { JsonValue } from '../../codec/json.ts';
import { ValidationError } from '../../errors.ts';
import { expectObject, parseJsonPayload } from '../../exec/json.ts';
import type { Module, ModuleCall, ModuleQueryContext } from '../../exec/module.ts';
import { MAX_QUERY_SCAN } from '../../exec/query.ts';
import { activeMember, requireRole } from './authorize.ts';
import {
  checkDisplayName,
  checkMemberRoles,
  checkOrganizationId,
  checkOrganizationRoles,
  checkPublicKey,
  type OrganizationShape,
} from './identity.ts';
import { admittedNodeKeyHexes } from './nodes.ts';
import {
  CONFIG_KEY,
  electorate,
  encodeRecord,
  MAX_NODES,
  MAX_ORGANIZATIONS,
  MEMBERSHIP_MODULE,
  type Member,
  memberKey,
  type NamespaceGet,
  NODES_KEY,
  ORG_PREFIX,
  ORGS_KEY,
  type Organization,
  orgKey,
  orgMemberKey,
  orgMemberPrefix,
  readMember,
  readNodeList,
  readOrganization,
  readOrganizationIds,
} from './records.ts';
import { MAX_STATEMENT_BYTES, type RegistrationStatement, verifyStatement } from './statement.ts';

/** A membership transaction's payload (a statement plus a little framing). */
export const MAX_MEMBERSHIP_PAYLOAD_BYTES = 2 * MAX_STATEMENT_BYTES;
/** A suspension reason (recorded in the event). */
export const MAX_REASON_BYTES = 500;
/** The module that may act with a regulator's or an admin's authority through `invoke` (governance-module.ts). */
const GOVERNANCE_MODULE = 'governance';

type Args = { [key: string]: JsonValue };

function fail(code: string, message: string, hint?: string): never {
  throw new ValidationError(code, message, hint === undefined ? {} : { hint });
}

function getOf(call: ModuleCall): NamespaceGet {
  return (key) => call.state.get(key);
}

/** Who acts with a regulator's authority: `governance` or the sender. */
function actingRegulator(call: ModuleCall, action: string): string {
  if (call.invokedBy === GOVERNANCE_MODULE) return 'governance';
  if (call.invokedBy !== undefined) fail('NOT_ALLOWED', `${action} cannot be invoked by ${call.invokedBy}`);
  requireRole(activeMember(getOf(call), call.senderHex), 'regulator', action);
  return call.senderHex;
}

/** Who acts as the admin of `organization`: `governance` or the sender. */
function actingAdmin(call: ModuleCall, organization: string, action: string): string {
  if (call.invokedBy === GOVERNANCE_MODULE) return 'governance';
  if (call.invokedBy !== undefined) fail('NOT_ALLOWED', `${action} cannot be invoked by ${call.invokedBy}`);
  const member = activeMember(getOf(call), call.senderHex);
  requireRole(member, 'org-admin', action);
  if (member.organization !== organization) {
    fail(
      'NOT_ORG_ADMIN',
      `${call.senderHex} is an admin of "${member.organization}", not of "${organization}"`,
      "sign with an admin key of the member's organisation",
    );
  }
  return call.senderHex;
}

function requireOrganization(get: NamespaceGet, id: string): Organization {
  const organization = readOrganization(get, id);
  if (!organization)
    fail('ORGANIZATION_NOT_FOUND', `no organisation "${id}"`, 'list them with `meridian org list`');
  return organization;
}

function optionalReason(args: Args): string | undefined {
  const reason = args.reason;
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || utf8(reason).length > MAX_REASON_BYTES)
    fail('PAYLOAD_INVALID', `reason must be text of at most ${MAX_REASON_BYTES} bytes`);
  return reason;
}

/** The current validators' keys, as governance records them (`governance/validators`). */
function validatorKeysOf(call: ModuleCall): Set<string> {
  const raw = call.read(GOVERNANCE_MODULE, utf8('validators'));
  const list = raw === undefined ? [] : (JSON.parse(fromUtf8(raw)) as { publicKey: string }[]);
  return new Set(list.map((v) => v.publicKey));
}

/** Runs `change`, then emits `nodesChanged` if it changed the admitted node keys. */
function watchingNodes<T>(call: ModuleCall, change: () => T): T {
  const get = getOf(call);
  const before = admittedNodeKeyHexes(get).join(',');
  const result = change();
  const after = admittedNodeKeyHexes(get);
  if (after.join(',') !== before) call.emit('nodesChanged', { admitted: after });
  return result;
}

function memberJson(member: Member): JsonValue {
  return member as unknown as JsonValue;
}

/**
 * Registers a verified statement's key as a member (checks the organisation
 * may grant the roles and that the key is new). The caller checked authority.
 */
function addMember(
  call: ModuleCall,
  organization: OrganizationShape,
  statement: RegistrationStatement,
  registeredBy: string,
): Member {
  const get = getOf(call);
  if (statement.organization !== organization.id) {
    fail(
      'STATEMENT_WRONG_ORGANIZATION',
      `the statement registers the key with "${statement.organization}", not "${organization.id}"`,
    );
  }
  checkMemberRoles(organization, statement.kind, statement.roles);
  const existing = readMember(get, statement.publicKey);
  if (existing) {
    fail(
      'MEMBER_EXISTS',
      `key ${statement.publicKey} is already registered with "${existing.organization}" (${existing.status})`,
      'a key is registered once; generate a new key for a new member',
    );
  }
  const member: Member = {
    publicKey: statement.publicKey,
    organization: organization.id,
    kind: statement.kind,
    name: statement.name,
    roles: statement.roles,
    status: 'active',
    registeredAtHeight: call.height,
    registeredBy,
    statusChangedAtHeight: call.height,
    ...(statement.host === undefined ? {} : { host: statement.host, port: statement.port! }),
  };
  if (member.kind === 'node') {
    const nodes = readNodeList(get);
    if (nodes.length >= MAX_NODES)
      fail('TOO_MANY_NODES', `the chain already has ${MAX_NODES} registered nodes`);
    call.state.put(NODES_KEY, encodeRecord([...nodes, member.publicKey].sort()));
  }
  call.state.put(memberKey(member.publicKey), encodeRecord(member));
  call.state.put(orgMemberKey(organization.id, member.publicKey), utf8('1'));
  call.emit('memberRegistered', {
    publicKey: member.publicKey,
    organization: member.organization,
    kind: member.kind,
    name: member.name,
    roles: [...member.roles],
  });
  return member;
}

function admitOrganization(call: ModuleCall, args: Args): JsonValue {
  const admittedBy = actingRegulator(call, 'admitting an organisation');
  const id = checkOrganizationId(args.id);
  const name = checkDisplayName(args.name, 'organisation name');
  const roles = checkOrganizationRoles(args.roles ?? []);
  const organizations = readOrganizationIds(getOf(call));
  if (organizations.includes(id)) fail('ORGANIZATION_EXISTS', `organisation "${id}" already exists`);
  if (organizations.length >= MAX_ORGANIZATIONS)
    fail('TOO_MANY_ORGANIZATIONS', `the chain already has ${MAX_ORGANIZATIONS} organisations`);
  const statement = verifyStatement(args.admin, call.chainId);
  if (statement.kind !== 'user' || !statement.roles.includes('org-admin')) {
    fail(
      'ADMIN_STATEMENT_REQUIRED',
      "the first member of an organisation is a user with the role 'org-admin'",
    );
  }
  const organization: Organization = {
    id,
    name,
    regulator: false,
    roles,
    status: 'active',
    admittedAtHeight: call.height,
    admittedBy,
    statusChangedAtHeight: call.height,
  };
  call.state.put(orgKey(id), encodeRecord(organization));
  call.state.put(ORGS_KEY, encodeRecord([...organizations, id].sort()));
  call.emit('organizationAdmitted', { id, name, roles, admittedBy });
  const admin = addMember(call, organization, statement, admittedBy);
  return { organization: organization as unknown as JsonValue, admin: memberJson(admin) };
}

function setOrganizationStatus(call: ModuleCall, args: Args, status: Organization['status']): JsonValue {
  const suspending = status === 'suspended';
  const actedBy = actingRegulator(
    call,
    suspending ? 'suspending an organisation' : 'reinstating an organisation',
  );
  const id = checkOrganizationId(args.id);
  const reason = optionalReason(args);
  const get = getOf(call);
  const organization = requireOrganization(get, id);
  if (organization.status === status)
    fail(suspending ? 'ALREADY_SUSPENDED' : 'NOT_SUSPENDED', `organisation "${id}" is already ${status}`);
  if (suspending && organization.regulator) {
    if (actedBy !== 'governance')
      fail('REGULATOR_PROTECTED', 'a regulator organisation can only be suspended by a governance proposal');
    const others = electorate(get).regulators.filter((other) => other !== id);
    if (others.length === 0)
      fail('LAST_REGULATOR', `"${id}" is the last active regulator; governance needs one`);
  }
  if (suspending) {
    const validators = validatorKeysOf(call);
    const running = readNodeList(get).filter(
      (key) => validators.has(key) && readMember(get, key)?.organization === id,
    );
    if (running.length > 0) {
      fail(
        'ORGANIZATION_RUNS_VALIDATOR',
        `organisation "${id}" runs validator ${running.join(', ')}`,
        'remove its validators by a governance proposal first (removeValidator), so consensus does not lose them unannounced',
      );
    }
  }
  return watchingNodes(call, () => {
    const updated: Organization = { ...organization, status, statusChangedAtHeight: call.height };
    call.state.put(orgKey(id), encodeRecord(updated));
    call.emit(suspending ? 'organizationSuspended' : 'organizationReinstated', {
      id,
      by: actedBy,
      ...(reason === undefined ? {} : { reason }),
    });
    return updated as unknown as JsonValue;
  });
}

function registerMember(call: ModuleCall, args: Args): JsonValue {
  const statement = verifyStatement(args.statement, call.chainId);
  const registeredBy = actingAdmin(call, statement.organization, 'registering a member');
  const organization = requireOrganization(getOf(call), statement.organization);
  if (organization.status !== 'active')
    fail('ORGANIZATION_SUSPENDED', `organisation "${organization.id}" is suspended`);
  return watchingNodes(call, () => memberJson(addMember(call, organization, statement, registeredBy)));
}

function setMemberStatus(call: ModuleCall, args: Args, status: Member['status']): JsonValue {
  const suspending = status === 'suspended';
  const publicKey = checkPublicKey(args.publicKey);
  const reason = optionalReason(args);
  const member = readMember(getOf(call), publicKey);
  if (!member) fail('MEMBER_NOT_FOUND', `no member with key ${publicKey}`);
  const actedBy = actingAdmin(
    call,
    member.organization,
    suspending ? 'suspending a member' : 'reinstating a member',
  );
  if (actedBy === publicKey)
    fail(
      'CANNOT_SUSPEND_SELF',
      'an admin cannot suspend its own key',
      'ask another admin of the organisation',
    );
  if (member.status === status)
    fail(suspending ? 'ALREADY_SUSPENDED' : 'NOT_SUSPENDED', `member ${publicKey} is already ${status}`);
  return watchingNodes(call, () => {
    const updated: Member = { ...member, status, statusChangedAtHeight: call.height };
    call.state.put(memberKey(publicKey), encodeRecord(updated));
    call.emit(suspending ? 'memberSuspended' : 'memberReinstated', {
      publicKey,
      organization: member.organization,
      by: actedBy,
      ...(reason === undefined ? {} : { reason }),
    });
    return memberJson(updated);
  });
}

function decodeAll<T>(entries: [Uint8Array, Uint8Array][]): T[] {
  return entries.map(([, raw]) => JSON.parse(fromUtf8(raw)) as T);
}

function queryGet(context: ModuleQueryContext): NamespaceGet {
  return (key) => context.get(key);
}

const STATUSES = ['active', 'suspended'];

export const membershipModule: Module = {
  name: MEMBERSHIP_MODULE,
  queries: {
    /** `{ status? }` -> organisations in id order. */
    organizations(context, params) {
      const { status } = expectObject(params, 'params');
      if (status !== undefined && !STATUSES.includes(status as string))
        fail('PAYLOAD_INVALID', `status must be one of ${STATUSES.join(', ')}`);
      const all = decodeAll<Organization>(context.scan(ORG_PREFIX, MAX_QUERY_SCAN));
      return (status === undefined ? all : all.filter((o) => o.status === status)) as unknown as JsonValue;
    },
    /** `{ id }` -> the organisation, or null. */
    organization(context, params) {
      const id = checkOrganizationId(expectObject(params, 'params').id);
      return (readOrganization(queryGet(context), id) ?? null) as unknown as JsonValue;
    },
    /** `{ organization }` -> its members in key order. */
    members(context, params) {
      const id = checkOrganizationId(expectObject(params, 'params').organization);
      const get = queryGet(context);
      const keys = context
        .scan(orgMemberPrefix(id), MAX_QUERY_SCAN)
        .map(([key]) => fromUtf8(key).split('/')[2]!);
      return keys.map((key) => readMember(get, key)!) as unknown as JsonValue;
    },
    /** `{ publicKey }` -> the member, or null. */
    member(context, params) {
      const key = checkPublicKey(expectObject(params, 'params').publicKey);
      return (readMember(queryGet(context), key) ?? null) as unknown as JsonValue;
    },
    /** `{}` -> the admitted node keys (active nodes of active organisations). */
    nodes(context) {
      return admittedNodeKeyHexes(queryGet(context));
    },
  },
  initGenesis(state, genesis) {
    if (genesis.organizations === undefined) return;
    state.put(CONFIG_KEY, encodeRecord({ enforced: true }));
    const nodes: string[] = [];
    for (const org of genesis.organizations) {
      const organization: Organization = {
        id: org.id,
        name: org.name,
        regulator: org.regulator,
        roles: org.roles,
        status: 'active',
        admittedAtHeight: 0,
        admittedBy: 'genesis',
        statusChangedAtHeight: 0,
      };
      state.put(orgKey(org.id), encodeRecord(organization));
      for (const m of org.members) {
        const member: Member = {
          publicKey: m.publicKey,
          organization: org.id,
          kind: m.kind,
          name: m.name,
          roles: m.roles,
          status: 'active',
          registeredAtHeight: 0,
          registeredBy: 'genesis',
          statusChangedAtHeight: 0,
          ...(m.host === undefined ? {} : { host: m.host, port: m.port! }),
        };
        state.put(memberKey(m.publicKey), encodeRecord(member));
        state.put(orgMemberKey(org.id, m.publicKey), utf8('1'));
        if (m.kind === 'node') nodes.push(m.publicKey);
      }
    }
    state.put(NODES_KEY, encodeRecord(nodes.sort()));
    state.put(ORGS_KEY, encodeRecord(genesis.organizations.map((o) => o.id).sort()));
  },
  execute(call, method, payload) {
    const args = expectObject(parseJsonPayload(payload, MAX_MEMBERSHIP_PAYLOAD_BYTES));
    switch (method) {
      case 'admitOrganization':
        return admitOrganization(call, args);
      case 'suspendOrganization':
        return setOrganizationStatus(call, args, 'suspended');
      case 'reinstateOrganization':
        return setOrganizationStatus(call, args, 'active');
      case 'registerMember':
        return registerMember(call, args);
      case 'suspendMember':
        return setMemberStatus(call, args, 'suspended');
      case 'reinstateMember':
        return setMemberStatus(call, args, 'active');
      default:
        fail(
          'UNKNOWN_METHOD',
          `membership has no method "${method}"`,
          'methods: admitOrganization, suspendOrganization, reinstateOrganization, registerMember, suspendMember, reinstateMember',
        );
    }
  },
};
