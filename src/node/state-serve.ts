/**
 * The serving half of state sync (see `state-sync.ts`): tells a peer the
 * latest height whose world state this node has written, and answers requests
 * for trie nodes by hash from the node store (which holds the world-state and
 * provenance tries). Replies are bounded in count by the wire format and in
 * bytes by `MAX_TRIE_NODES_REPLY_BYTES`; nodes this node lacks, or past the
 * byte bound, come back empty and the asker asks again.
 */

import type { Transport } from '../net/transport.ts';
import { ChainState, type StateStores } from './chain-state.ts';
import { encodeNodeMessage, MAX_TRIE_NODES_REPLY_BYTES, type NodeMessage } from './wire.ts';

const EMPTY = new Uint8Array(0);

export function serveStateOffer(
  transport: Transport,
  stores: StateStores,
  from: Uint8Array,
  request: Extract<NodeMessage, { type: 'stateOfferRequest' }>,
): void {
  const height = ChainState.writtenHeight(stores.meta) ?? 0;
  transport.send(from, encodeNodeMessage({ type: 'stateOffer', requestId: request.requestId, height }));
}

export function serveTrieNodes(
  transport: Transport,
  stores: StateStores,
  from: Uint8Array,
  request: Extract<NodeMessage, { type: 'trieNodesRequest' }>,
): void {
  let bytes = 0;
  const nodes = request.hashes.map((hash) => {
    if (bytes >= MAX_TRIE_NODES_REPLY_BYTES) return EMPTY;
    const node = stores.nodes.get(hash) ?? EMPTY;
    bytes += node.length;
    return node;
  });
  transport.send(from, encodeNodeMessage({ type: 'trieNodes', requestId: request.requestId, nodes }));
}
