/**
 * What a proposal can do, how its payload is checked, and its summary (the
 * action without its code, for listings and events).
 *
 * | type                    | fields                                   | enacted by                           |
 * | ----------------------- | ---------------------------------------- | ------------------------------------ |
 * | admitOrganization       | organization: { id, name, roles?, admin } | membership.admitOrganization         |
 * | suspendOrganization     | id, reason?                              | membership.suspendOrganization       |
 * | reinstateOrganization   | id                                       | membership.reinstateOrganization     |
 * | addValidator            | publicKey (a registered, active node)    | governance: validators list + event  |
 * | removeValidator         | publicKey                                | governance: validators list + event  |
 * | deployContract          | name, code, codeHash                     | contract.deploy                      |
 * | upgradeContract         | name, code, codeHash                     | contract.upgrade                     |
 * | disableContract         | name                                     | contract.disable                     |
 * | enableContract          | name                                     | contract.enable                      |
 * | setParameters           | parameters: { maxBatchCount?, ... }      | governance: parameters + event       |
 */
import { utf8Length } from '../../codec/bytes.ts';
import type { JsonValue } from '../../codec/json.ts';
import { isContractName } from '../../contracts/boundary.ts';
import { ValidationError } from '../../errors.ts';
import { checkOrganizationId, checkPublicKey } from '../membership/identity.ts';
import { MAX_REASON_BYTES } from '../membership/membership-module.ts';

export const ACTION_TYPES = [
  'admitOrganization',
  'suspendOrganization',
  'reinstateOrganization',
  'addValidator',
  'removeValidator',
  'deployContract',
  'upgradeContract',
  'disableContract',
  'enableContract',
  'setParameters',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export type ProposalAction =
  | { readonly type: 'admitOrganization'; readonly organization: { [key: string]: JsonValue } }
  | { readonly type: 'suspendOrganization'; readonly id: string; readonly reason?: string }
  | { readonly type: 'reinstateOrganization'; readonly id: string }
  | { readonly type: 'addValidator' | 'removeValidator'; readonly publicKey: string }
  | {
      readonly type: 'deployContract' | 'upgradeContract';
      readonly name: string;
      readonly code: string;
      readonly codeHash: string;
    }
  | { readonly type: 'disableContract' | 'enableContract'; readonly name: string }
  | { readonly type: 'setParameters'; readonly parameters: { [key: string]: JsonValue } };

function bad(message: string, hint?: string): never {
  throw new ValidationError('BAD_PROPOSAL', message, hint === undefined ? {} : { hint });
}

function isRecord(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fields(raw: { [key: string]: JsonValue }, allowed: readonly string[]): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key))
      bad(`a ${String(raw.type)} action has no field "${key}"`, `fields: ${allowed.join(', ')}`);
  }
}

function contractName(value: unknown): string {
  if (!isContractName(value)) bad('name must be a contract name: [a-z][a-z0-9-]*, at most 32 bytes');
  return value;
}

/** Checks an action's shape (not yet whether it can be enacted: that depends on the state). */
export function parseAction(raw: unknown): ProposalAction {
  if (!isRecord(raw)) bad('action must be an object with a "type"');
  const type = raw.type as ActionType;
  if (!ACTION_TYPES.includes(type))
    bad(`unknown action type "${String(raw.type)}"`, `types: ${ACTION_TYPES.join(', ')}`);
  switch (type) {
    case 'admitOrganization':
      fields(raw, ['type', 'organization']);
      if (!isRecord(raw.organization)) bad('organization must be { id, name, roles?, admin }');
      checkOrganizationId(raw.organization.id);
      return { type, organization: raw.organization };
    case 'suspendOrganization': {
      fields(raw, ['type', 'id', 'reason']);
      const reason = raw.reason;
      if (reason !== undefined && (typeof reason !== 'string' || utf8Length(reason) > MAX_REASON_BYTES))
        bad(`reason must be text of at most ${MAX_REASON_BYTES} bytes`);
      return { type, id: checkOrganizationId(raw.id), ...(reason === undefined ? {} : { reason }) };
    }
    case 'reinstateOrganization':
      fields(raw, ['type', 'id']);
      return { type, id: checkOrganizationId(raw.id) };
    case 'addValidator':
    case 'removeValidator':
      fields(raw, ['type', 'publicKey']);
      return { type, publicKey: checkPublicKey(raw.publicKey) };
    case 'deployContract':
    case 'upgradeContract':
      fields(raw, ['type', 'name', 'code', 'codeHash']);
      if (typeof raw.code !== 'string' || typeof raw.codeHash !== 'string')
        bad('a contract proposal carries code (compiled JavaScript) and its codeHash');
      return { type, name: contractName(raw.name), code: raw.code, codeHash: raw.codeHash };
    case 'disableContract':
    case 'enableContract':
      fields(raw, ['type', 'name']);
      return { type, name: contractName(raw.name) };
    case 'setParameters':
      fields(raw, ['type', 'parameters']);
      if (!isRecord(raw.parameters) || Object.keys(raw.parameters).length === 0)
        bad('parameters must be an object naming at least one consensus parameter');
      return { type, parameters: raw.parameters };
  }
}

/** The action as listings show it: code replaced by its size, the admin statement by its key. */
export function summarize(action: ProposalAction): JsonValue {
  switch (action.type) {
    case 'deployContract':
    case 'upgradeContract':
      return {
        type: action.type,
        name: action.name,
        codeHash: action.codeHash,
        codeBytes: utf8Length(action.code),
      };
    case 'admitOrganization': {
      const { id, name, roles, admin } = action.organization;
      return {
        type: action.type,
        id: id ?? null,
        name: name ?? null,
        roles: roles ?? [],
        admin: isRecord(admin) ? (admin.publicKey ?? null) : null,
      };
    }
    default:
      return action as unknown as JsonValue;
  }
}
