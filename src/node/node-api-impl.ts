/**
 * The node's implementation of the API facade (`api/node-api.ts`): read-only
 * views over the block store, the committed state and the live components,
 * plus transaction submission through `TxAdmission`.
 */

import {
  blockJson,
  blockSummaryJson,
  certificateJson,
  encodedTransactionJson,
  headerJson,
  receiptJson,
  tryJson,
} from '../api/json-views.ts';
import type { EventInterest, NodeApi, NodeEvent } from '../api/node-api.ts';
import type {
  AccountJson,
  BlockJson,
  BlockSummaryJson,
  BlockTxHashesJson,
  HealthJson,
  NodeStatusJson,
  PeerInfoJson,
  StateProofJson,
  SubmitTxResponseJson,
  TxStatusJson,
  ValidatorInfoJson,
} from '../api/schemas.ts';
import type { BlockStore } from '../chain/block-store.ts';
import { type Genesis, genesisHash } from '../chain/genesis.ts';
import { hashHeader } from '../chain/header.ts';
import type { Mempool } from '../chain/mempool.ts';
import { decodeTx, txHash, txHashOfEncoded } from '../chain/transaction.ts';
import type { ValidatorSet } from '../chain/validator-set.ts';
import { toHex } from '../codec/bytes.ts';
import type { JsonValue } from '../codec/json.ts';
import type { Replica } from '../consensus/pbft/replica.ts';
import { NotFoundError } from '../errors.ts';
import { readNonce } from '../exec/execute.ts';
import type { Module } from '../exec/module.ts';
import { runQuery } from '../exec/query.ts';
import type { Transport } from '../net/transport.ts';
import { createProof } from '../trie/index.ts';
import type { ChainState } from './chain-state.ts';
import type { NodeEvents } from './events.ts';
import type { NodeMetrics } from './metrics.ts';
import type { TxAdmission } from './tx-admission.ts';
import type { ValidatorSchedule } from './validator-schedule.ts';

export const MAX_RECENT_BLOCKS = 100;
export const NODE_VERSION = '0.1.0';

export interface NodeApiDeps {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly genesis: Genesis;
  readonly blocks: BlockStore;
  readonly chain: ChainState;
  readonly mempool: Mempool;
  readonly transport: Transport;
  readonly replica: Replica;
  readonly metrics: NodeMetrics;
  /** Which validators certify which heights. */
  readonly schedule: ValidatorSchedule;
  readonly admission: TxAdmission;
  readonly events: NodeEvents;
  readonly modules: ReadonlyMap<string, Module>;
}

export class NodeApiImpl implements NodeApi {
  /**
   * The genesis hash, computed once: it hashes the canonical JSON of the whole genesis, about
   * 70 µs for the devnet's on the 2-core machine, and clients such as the console poll `status`.
   */
  readonly #genesisHashHex: string;

  constructor(private readonly deps: NodeApiDeps) {
    this.#genesisHashHex = toHex(genesisHash(deps.genesis));
  }

  get metrics() {
    return this.deps.metrics.registry;
  }

  /** The set in force for the next block. */
  #currentSet(): ValidatorSet {
    return this.deps.schedule.setFor(this.deps.chain.head.height + 1);
  }

  status(): NodeStatusJson {
    const { chain, replica, mempool, transport, genesis } = this.deps;
    const head = chain.head;
    const validators = this.#currentSet();
    const replicaStatus = replica.status;
    return {
      chainId: genesis.chainId,
      genesisHash: this.#genesisHashHex,
      nodeName: this.deps.name,
      nodeKey: toHex(this.deps.publicKey),
      height: head.height,
      headHash: toHex(chain.headHash),
      headTimestampMs: head.timestampMs,
      view: replicaStatus.view,
      primary: toHex(validators.publicKeys[replicaStatus.primary]!),
      validators: validators.size,
      peersConnected: transport.peers().filter((p) => p.connected).length,
      mempool: { count: mempool.size, bytes: mempool.bytes },
      syncing: replicaStatus.committedHeight < head.height,
      version: NODE_VERSION,
    };
  }

  health(): HealthJson {
    const validators = this.#currentSet();
    const connected = this.deps.transport.peers().filter((p) => p.connected).length;
    const quorumReachable = connected + 1 >= validators.quorum;
    const ageMs = Date.now() - this.deps.chain.head.timestampMs;
    return {
      ok: quorumReachable,
      checks: {
        peers: {
          ok: quorumReachable,
          detail: `${connected} of ${validators.size - 1} other validators connected; ${validators.quorum} needed for a quorum`,
        },
        head: {
          ok: true,
          detail: `height ${this.deps.chain.head.height}, last block ${Math.round(ageMs / 1000)} s ago`,
        },
      },
    };
  }

  async submitTx(encodedTx: Uint8Array): Promise<SubmitTxResponseJson> {
    return this.deps.admission.admitFairly(encodedTx, false);
  }

  txStatus(hash: Uint8Array, options: { readonly withTransaction?: boolean } = {}): TxStatusJson {
    const withTransaction = options.withTransaction ?? true;
    const hashHex = toHex(hash);
    const pooled = this.deps.mempool.get(hashHex);
    if (pooled) {
      return withTransaction
        ? { hash: hashHex, status: 'pending', transaction: encodedTransactionJson(pooled.encoded) }
        : { hash: hashHex, status: 'pending' };
    }
    const location = this.deps.blocks.txLocation(hash);
    if (!location) return { hash: hashHex, status: 'unknown' };
    const { blocks } = this.deps;
    const encoded = withTransaction ? blocks.txAt(location.height, location.index) : undefined;
    const receipt = blocks.receiptAt(location.height, location.index);
    const header = blocks.headerAt(location.height)!;
    return {
      hash: hashHex,
      status: 'committed',
      height: location.height,
      index: location.index,
      blockHash: headerJson(header).hash,
      ...(encoded ? { transaction: encodedTransactionJson(encoded) } : {}),
      ...(receipt ? { receipt: receiptJson(receipt) } : {}),
    };
  }

  blockAt(height: number): BlockJson | undefined {
    const { blocks } = this.deps;
    const stored = blocks.blockAt(height);
    if (!stored) return undefined;
    return blockJson(
      stored.header,
      stored.txs,
      stored.certificate,
      blocks.receiptsAt(height) ?? [],
      this.deps.schedule.setFor(height),
    );
  }

  blockByHash(hash: Uint8Array): BlockJson | undefined {
    const height = this.deps.blocks.heightOf(hash);
    return height === undefined ? undefined : this.blockAt(height);
  }

  blockTxHashes(height: number): BlockTxHashesJson | undefined {
    const header = this.deps.blocks.headerAt(height);
    if (!header) return undefined;
    // Committed transactions are well formed, so their ids come from their bytes (no receipt decoding).
    const txs = this.deps.blocks.txsAt(height) ?? [];
    return {
      height,
      hash: toHex(hashHeader(header)),
      timestampMs: header.timestampMs,
      txHashes: txs.map((tx) => toHex(txHashOfEncoded(tx) ?? txHash(decodeTx(tx).body))),
    };
  }

  recentBlocks(limit: number, beforeHeight?: number): BlockSummaryJson[] {
    const { blocks } = this.deps;
    const head = blocks.height ?? 0;
    const start = Math.min(head, beforeHeight === undefined ? head : beforeHeight - 1);
    const out: BlockSummaryJson[] = [];
    for (let h = start; h >= 0 && out.length < Math.min(limit, MAX_RECENT_BLOCKS); h--) {
      const header = blocks.headerAt(h);
      if (!header) break;
      out.push(blockSummaryJson(header, blocks.txCountAt(h) ?? 0));
    }
    return out;
  }

  stateAt(key: Uint8Array, options: { prove: boolean; height?: number }): StateProofJson {
    const { blocks, chain } = this.deps;
    const height = options.height ?? chain.head.height;
    const header = blocks.headerAt(height);
    if (!header) {
      throw new NotFoundError('BLOCK_NOT_FOUND', `no committed block at height ${height}`, {
        hint: `the head is at ${chain.head.height}`,
      });
    }
    const trie = chain.stateAt(height);
    const value = trie.get(key);
    const valueJson = value ? tryJson(value) : undefined;
    const base: StateProofJson = {
      key: toHex(key),
      value: value ? toHex(value) : null,
      ...(valueJson === undefined ? {} : { valueJson }),
      height,
    };
    if (!options.prove) return base;
    const certificate = blocks.certificateAt(height);
    return {
      ...base,
      proof: createProof(trie, key).map(toHex),
      header: headerJson(header),
      certificate: certificate ? certificateJson(certificate, this.deps.schedule.setFor(height)) : null,
    };
  }

  account(publicKey: Uint8Array): AccountJson {
    return { publicKey: toHex(publicKey), nonce: readNonce(this.deps.chain.headState, publicKey) };
  }

  query(module: string, name: string, params: unknown): Promise<unknown> {
    const { chain } = this.deps;
    return runQuery(this.deps.modules, chain.headState, chain.head, module, name, params as JsonValue);
  }

  validators(height?: number): ValidatorInfoJson[] {
    const { schedule, chain } = this.deps;
    const at = height ?? chain.head.height + 1;
    const validators = schedule.setFor(at);
    const info = schedule.infoFor(at);
    const current = height === undefined || schedule.setFor(chain.head.height + 1).equals(validators);
    const primary = this.deps.replica.status.primary;
    const connected = new Set(
      this.deps.transport
        .peers()
        .filter((p) => p.connected)
        .map((p) => p.id),
    );
    const self = toHex(this.deps.publicKey);
    return validators.publicKeys.map((key, index) => {
      const hex = toHex(key);
      return {
        index,
        name: info.find((v) => v.publicKey === hex)?.name ?? `validator-${index}`,
        publicKey: hex,
        isPrimary: current && index === primary,
        connected: hex === self || connected.has(hex),
      };
    });
  }

  peers(): PeerInfoJson[] {
    return this.deps.transport.peers().map((p) => {
      const hex = toHex(p.publicKey);
      const name = this.deps.schedule.latest().validators.find((v) => v.publicKey === hex)?.name;
      const address = p.address ?? p.advertisedAddress;
      return {
        publicKey: hex,
        ...(name ? { name } : {}),
        address: address ? `${address.host}:${address.port}` : (p.remoteAddress ?? ''),
        connected: p.connected,
        queueDepth: p.queuedFrames,
        bytesIn: p.bytesIn,
        bytesOut: p.bytesOut,
        ...(p.lastSeenMs === undefined ? {} : { lastSeenMs: p.lastSeenMs }),
      };
    });
  }

  subscribe(listener: (event: NodeEvent) => void, interest?: EventInterest): () => void {
    return this.deps.events.subscribe(listener, interest);
  }
}
