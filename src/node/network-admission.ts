/**
 * Who may talk to this node over the node-to-node transport, kept in step with
 * the chain: the validators of the set in force and of any scheduled set (a
 * joining validator must catch up before it signs), plus the nodes of admitted
 * organisations (`membership.admittedNodeKeys`). When an organisation is
 * suspended its nodes drop out of the allow-list and the transport disconnects
 * them.
 */

import type { GenesisValidator } from '../chain/genesis.ts';
import { equalBytes, fromHexFixed } from '../codec/bytes.ts';
import type { StateReader } from '../exec/overlay.ts';
import type { Receipt } from '../exec/receipt.ts';
import { type AdmittedNode, admittedNodes } from '../modules/membership/nodes.ts';
import { MEMBERSHIP_MODULE } from '../modules/membership/records.ts';
import type { Transport } from '../net/transport.ts';
import type { Logger } from './logger.ts';
import type { ValidatorSchedule } from './validator-schedule.ts';

export class NetworkAdmission {
  #allowedSignature = '';
  #peersSignature = '';
  /** The admitted nodes as of the last read of the registry; only membership calls change them. */
  #nodes: readonly AdmittedNode[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly schedule: ValidatorSchedule,
    private readonly ownKey: Uint8Array,
    private readonly logger: Logger,
  ) {}

  /**
   * Recomputes the allow-list and the peers to dial (validators, and admitted
   * nodes at the address they registered: every pair must know each other's
   * address, since only the lower key of a pair dials) from the registry in
   * `headState`; tells the transport only what changed.
   */
  refresh(headHeight: number, headState: StateReader): void {
    this.#nodes = admittedNodes(headState);
    this.#apply(headHeight);
  }

  /**
   * The same after committing a block whose receipts are `receipts`: reads the
   * registry again only if the block made a membership call (every change to
   * it emits a membership event; a failed call writes nothing). Reading it costs
   * several trie lookups per node, too much to repeat for every block.
   */
  afterBlock(headHeight: number, headState: StateReader, receipts: readonly Receipt[]): void {
    const touched = receipts.some((r) => r.events.some((e) => e.module === MEMBERSHIP_MODULE));
    if (touched) this.#nodes = admittedNodes(headState);
    this.#apply(headHeight);
  }

  #apply(headHeight: number): void {
    const validators = this.#relevantValidators(headHeight);
    const nodes = this.#nodes;
    const allowed = new Map<string, Uint8Array>();
    for (const v of validators) allowed.set(v.publicKey, fromHexFixed(v.publicKey, 32));
    for (const node of nodes) allowed.set(node.publicKey, fromHexFixed(node.publicKey, 32));
    const allowedSignature = [...allowed.keys()].sort().join(',');
    if (allowedSignature !== this.#allowedSignature) {
      this.#allowedSignature = allowedSignature;
      this.transport.setAllowedKeys([...allowed.values()]);
      this.logger.info({ admitted: allowed.size }, 'node-to-node allow-list updated');
    }
    const addresses = new Map<string, { publicKey: string; host: string; port: number }>();
    for (const node of nodes) {
      if (node.host !== undefined && node.port !== undefined)
        addresses.set(node.publicKey, { publicKey: node.publicKey, host: node.host, port: node.port });
    }
    for (const v of validators) addresses.set(v.publicKey, v);
    const peers = [...addresses.values()].filter(
      (v) => !equalBytes(fromHexFixed(v.publicKey, 32), this.ownKey),
    );
    const peersSignature = peers
      .map((p) => `${p.publicKey}@${p.host}:${p.port}`)
      .sort()
      .join(',');
    if (peersSignature !== this.#peersSignature) {
      this.#peersSignature = peersSignature;
      this.transport.setPeers(
        peers.map((v) => ({ publicKey: fromHexFixed(v.publicKey, 32), host: v.host, port: v.port })),
      );
    }
  }

  /** True when `signer` (an index into one of the sets in play) is the key of the peer that sent the message. */
  signerIsPeer(signer: number, from: Uint8Array, headHeight: number): boolean {
    const view = this.schedule.consensusView(headHeight);
    for (const set of [view.validators, view.previous?.set, view.pending?.validators]) {
      const key = set?.publicKeys[signer];
      if (key && equalBytes(key, from)) return true;
    }
    return false;
  }

  #relevantValidators(headHeight: number): GenesisValidator[] {
    const byKey = new Map<string, GenesisValidator>();
    for (const v of this.schedule.infoFor(headHeight + 1)) byKey.set(v.publicKey, v);
    for (const v of this.schedule.latest().validators) byKey.set(v.publicKey, v);
    return [...byKey.values()];
  }
}
