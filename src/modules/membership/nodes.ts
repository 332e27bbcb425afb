/**
 * The node keys the transport should admit: every registered node (validators
 * included) that is active and whose organisation is active. The node wires
 * this into `transport.setAllowedKeys` whenever a block carries a
 * `membership.nodesChanged` event, so the nodes of a suspended organisation
 * are disconnected.
 */
import { fromHexFixed } from '../../codec/bytes.ts';
import { moduleKey } from '../../exec/keys.ts';
import type { StateReader } from '../../exec/overlay.ts';
import {
  MEMBERSHIP_MODULE,
  type NamespaceGet,
  readMember,
  readNodeList,
  readOrganization,
} from './records.ts';

/** Admitted node keys (0x-hex, sorted), read through a namespace-relative `get`. */
export function admittedNodeKeyHexes(get: NamespaceGet): string[] {
  return readNodeList(get).filter((key) => {
    const member = readMember(get, key);
    if (member?.status !== 'active') return false;
    return readOrganization(get, member.organization)?.status === 'active';
  });
}

/**
 * Pure function of the world state (e.g. `chain.headState`): the keys of the
 * active nodes of active organisations, sorted. On a chain whose genesis named
 * no organisations the registry is empty and so is this list: such a chain
 * admits its genesis validators only, as before membership existed.
 */
export function admittedNodeKeys(state: StateReader): Uint8Array[] {
  return admittedNodeKeyHexes((key) => state.get(moduleKey(MEMBERSHIP_MODULE, key))).map((hex) =>
    fromHexFixed(hex, 32),
  );
}

export interface AdmittedNode {
  readonly publicKey: string;
  readonly name: string;
  readonly host?: string;
  readonly port?: number;
}

/** The admitted nodes with the addresses they registered (for dialling them), sorted by key. */
export function admittedNodes(state: StateReader): AdmittedNode[] {
  const get: NamespaceGet = (key) => state.get(moduleKey(MEMBERSHIP_MODULE, key));
  return admittedNodeKeyHexes(get).map((key) => {
    const member = readMember(get, key)!;
    return {
      publicKey: key,
      name: member.name,
      ...(member.host === undefined ? {} : { host: member.host }),
      ...(member.port === undefined ? {} : { port: member.port }),
    };
  });
}
