/**
 * The membership registry's state (namespace `membership/`), all values
 * canonical JSON:
 *
 *   config                       { enforced: true }  present iff genesis named organisations
 *   org/<id>                     Organization
 *   member/<0x public key>       Member
 *   org-member/<id>/<0x key>     "1"  (index: an organisation's members in key order)
 *   nodes                        [0x key, ...] every registered node, sorted (bounded by MAX_NODES)
 *   orgs                         [id, ...] every organisation, sorted (bounded by MAX_ORGANIZATIONS)
 *
 * Readers take a `get` over the namespace (relative keys), so the same code
 * serves execution (`ModuleCall.state`), queries and `admittedNodeKeys`.
 */
import { fromUtf8, utf8 } from '../../codec/bytes.ts';
import { canonicalJson } from '../../codec/canonical-json.ts';
import type { MemberKind } from './identity.ts';

export const MEMBERSHIP_MODULE = 'membership';
/** Registered nodes, all organisations together (node keys are what the transport admits). */
export const MAX_NODES = 1024;
/** Organisations on one chain (governance tallies read them all on every vote). */
export const MAX_ORGANIZATIONS = 1024;

export type Status = 'active' | 'suspended';

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly regulator: boolean;
  /** Roles the organisation may hand its members besides the built-in ones. */
  readonly roles: readonly string[];
  readonly status: Status;
  /** 0 for genesis organisations. */
  readonly admittedAtHeight: number;
  /** `genesis`, `governance`, or the admitting regulator's 0x key. */
  readonly admittedBy: string;
  readonly statusChangedAtHeight: number;
}

export interface Member {
  readonly publicKey: string;
  readonly organization: string;
  readonly kind: MemberKind;
  readonly name: string;
  readonly roles: readonly string[];
  readonly status: Status;
  readonly registeredAtHeight: number;
  /** `genesis`, `governance`, or the registering admin's 0x key. */
  readonly registeredBy: string;
  readonly statusChangedAtHeight: number;
  readonly host?: string;
  readonly port?: number;
}

export type NamespaceGet = (key: Uint8Array) => Uint8Array | undefined;

export const CONFIG_KEY = utf8('config');
export const NODES_KEY = utf8('nodes');
export const ORGS_KEY = utf8('orgs');
export const orgKey = (id: string) => utf8(`org/${id}`);
export const memberKey = (publicKey: string) => utf8(`member/${publicKey}`);
export const orgMemberKey = (id: string, publicKey: string) => utf8(`org-member/${id}/${publicKey}`);
export const orgMemberPrefix = (id: string) => utf8(`org-member/${id}/`);
export const ORG_PREFIX = utf8('org/');

export function encodeRecord(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

function decodeRecord<T>(raw: Uint8Array | undefined): T | undefined {
  return raw === undefined ? undefined : (JSON.parse(fromUtf8(raw, 'membership record')) as T);
}

export function isEnforced(get: NamespaceGet): boolean {
  return get(CONFIG_KEY) !== undefined;
}

export function readOrganization(get: NamespaceGet, id: string): Organization | undefined {
  return decodeRecord<Organization>(get(orgKey(id)));
}

export function readMember(get: NamespaceGet, publicKey: string): Member | undefined {
  return decodeRecord<Member>(get(memberKey(publicKey)));
}

export function readNodeList(get: NamespaceGet): string[] {
  return decodeRecord<string[]>(get(NODES_KEY)) ?? [];
}

export function readOrganizationIds(get: NamespaceGet): string[] {
  return decodeRecord<string[]>(get(ORGS_KEY)) ?? [];
}

/** Active organisations split into regulators and members: who votes in governance. */
export function electorate(get: NamespaceGet): { members: string[]; regulators: string[] } {
  const members: string[] = [];
  const regulators: string[] = [];
  for (const id of readOrganizationIds(get)) {
    const organization = readOrganization(get, id);
    if (organization?.status !== 'active') continue;
    (organization.regulator ? regulators : members).push(id);
  }
  return { members, regulators };
}
