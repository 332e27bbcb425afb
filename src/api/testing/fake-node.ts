/**
 * Test support only: an in-memory `NodeApi` for the API's tests. It is not a
 * node (no consensus, no network), but its data is real: transactions are
 * decoded and signature-checked with chain/transaction.ts, headers are hashed
 * with chain/header.ts, certificates carry real Ed25519 signatures over the
 * header hash, and state lives in a real Merkle Patricia Trie per height, so
 * a proof the API serves verifies against the header's state root.
 *
 * Execution is a stand-in: `kv.put` with a JSON payload `{ key, value }`
 * stores `value` (JSON) under the key `kv/<key>`; other kinds fail with a
 * receipt error. Blocks are cut only when a test calls `commit()`.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { type BlockHeader, hashHeader } from '../../chain/header.ts';
import {
  checkTxChain,
  checkTxSignature,
  decodeTx,
  encodeTx,
  type SignedTx,
  txHash,
} from '../../chain/transaction.ts';
import { concatBytes, fromHex, toHex, utf8 } from '../../codec/bytes.ts';
import { generateSigningKeyPair, type SigningKeyPair, sign } from '../../crypto/ed25519.ts';
import { keccak256 } from '../../crypto/keccak.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { encodeReceipt, type Receipt } from '../../exec/receipt.ts';
import { createProof, EMPTY_TRIE_ROOT, MerklePatriciaTrie } from '../../trie/index.ts';
import { blockSummaryJson, headerJson, receiptJson, transactionJson, tryJson } from '../json-views.ts';
import type { EventInterest, NodeApi, NodeEvent } from '../node-api.ts';
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
} from '../schemas.ts';

export const FAKE_CHAIN_ID = 'meridian-api-test';
const GENESIS_TIME_MS = 1_700_000_000_000;

/** Trie root of `items` keyed by their index (a stand-in for the real transactions/receipts tries). */
function indexRoot(items: readonly Uint8Array[]): Uint8Array {
  if (items.length === 0) return EMPTY_TRIE_ROOT;
  return MerklePatriciaTrie.fromEntries(items.map((item, i) => [utf8(String(i)), item] as const)).root();
}

export class FakeNode implements NodeApi {
  readonly metrics = new Registry();
  readonly validatorKeys: SigningKeyPair[] = Array.from({ length: 4 }, () => generateSigningKeyPair());
  /** Transactions admitted at most; past it `submitTx` throws MEMPOOL_FULL. */
  mempoolCapacity = 1_000;
  healthy = true;
  /** When set, `status()` throws it: a stand-in for an unexpected failure inside the node. */
  statusFailure: Error | undefined;
  view = 0;

  readonly #heightGauge = new Gauge({
    name: 'meridian_height',
    help: 'head height',
    registers: [this.metrics],
  });
  readonly #txCounter = new Counter({
    name: 'meridian_txs_committed_total',
    help: 'transactions committed',
    registers: [this.metrics],
  });
  readonly #blocks: BlockJson[] = [];
  readonly #summaries: BlockSummaryJson[] = [];
  readonly #blocksByHash = new Map<string, BlockJson>();
  readonly #states: MerklePatriciaTrie[] = [];
  readonly #pending = new Map<string, SignedTx>();
  readonly #committed = new Map<string, TxStatusJson>();
  readonly #nonces = new Map<string, number>();
  readonly #listeners = new Set<(event: NodeEvent) => void>();

  constructor() {
    this.#cutBlock([], new MerklePatriciaTrie());
  }

  get head(): BlockJson {
    return this.#blocks.at(-1)!;
  }

  get primary(): SigningKeyPair {
    return this.validatorKeys[this.view % this.validatorKeys.length]!;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  status(): NodeStatusJson {
    if (this.statusFailure !== undefined) throw this.statusFailure;
    const status: NodeStatusJson & { internalSecret: string } = {
      chainId: FAKE_CHAIN_ID,
      genesisHash: this.#blocks[0]!.header.hash,
      nodeName: 'fake-0',
      nodeKey: toHex(this.validatorKeys[0]!.publicKey),
      height: this.head.header.height,
      headHash: this.head.header.hash,
      headTimestampMs: this.head.header.timestampMs,
      view: this.view,
      primary: toHex(this.primary.publicKey),
      validators: this.validatorKeys.length,
      peersConnected: this.validatorKeys.length - 1,
      mempool: { count: this.#pending.size, bytes: 0 },
      syncing: false,
      version: '0.1.0-test',
      // Not in the schema: the API must not serve it.
      internalSecret: 'must-not-leak',
    };
    return status;
  }

  health(): HealthJson {
    return {
      ok: this.healthy,
      checks: { consensus: { ok: this.healthy, detail: this.healthy ? 'committing' : 'no quorum' } },
    };
  }

  async submitTx(encodedTx: Uint8Array): Promise<SubmitTxResponseJson> {
    const tx = decodeTx(encodedTx);
    checkTxChain(tx, FAKE_CHAIN_ID);
    checkTxSignature(tx);
    const hash = toHex(txHash(tx.body));
    if (this.#pending.has(hash) || this.#committed.has(hash)) return { hash, status: 'duplicate' };
    const next = this.#nonces.get(toHex(tx.body.sender)) ?? 0;
    if (tx.body.nonce < next) {
      throw new ValidationError('TX_NONCE_TOO_LOW', `nonce ${tx.body.nonce} is used; the next is ${next}`, {
        hint: 'use the account’s next nonce',
      });
    }
    if (this.#pending.size >= this.mempoolCapacity) {
      throw new ValidationError('MEMPOOL_FULL', 'the mempool is full', { hint: 'retry in a moment' });
    }
    this.#pending.set(hash, tx);
    return { hash, status: 'pending' };
  }

  txStatus(hash: Uint8Array, options: { readonly withTransaction?: boolean } = {}): TxStatusJson {
    const hex = toHex(hash);
    const committed = this.#committed.get(hex);
    if (committed !== undefined) {
      if (options.withTransaction ?? true) return committed;
      const { transaction: _body, ...lean } = committed;
      return lean;
    }
    if (this.#pending.has(hex)) return { hash: hex, status: 'pending' };
    return { hash: hex, status: 'unknown' };
  }

  blockAt(height: number): BlockJson | undefined {
    return this.#blocks[height];
  }

  blockByHash(hash: Uint8Array): BlockJson | undefined {
    return this.#blocksByHash.get(toHex(hash));
  }

  blockTxHashes(height: number): BlockTxHashesJson | undefined {
    const block = this.#blocks[height];
    if (block === undefined) return undefined;
    return {
      height,
      hash: block.header.hash,
      timestampMs: block.header.timestampMs,
      txHashes: block.transactions.map((tx) => tx.hash),
    };
  }

  async query(module: string, name: string, params: unknown): Promise<unknown> {
    if (module === 'kv' && name === 'echo') return { params, height: this.head.header.height };
    throw new NotFoundError('QUERY_NOT_FOUND', `no query "${module}/${name}"`, {
      hint: 'known queries: kv/echo',
    });
  }

  recentBlocks(limit: number, beforeHeight?: number): BlockSummaryJson[] {
    const out: BlockSummaryJson[] = [];
    const start = Math.min(beforeHeight ?? this.#blocks.length, this.#blocks.length) - 1;
    for (let height = start; height >= 0 && out.length < limit; height--) out.push(this.#summaries[height]!);
    return out;
  }

  stateAt(key: Uint8Array, options: { prove: boolean; height?: number }): StateProofJson {
    const height = options.height ?? this.head.header.height;
    const trie = this.#states[height];
    const block = this.#blocks[height];
    if (trie === undefined || block === undefined) {
      throw new NotFoundError('HEIGHT_NOT_FOUND', `no committed block at height ${height}`, {
        hint: `the head is at ${this.head.header.height}`,
      });
    }
    const value = trie.get(key);
    const valueJson = value === undefined ? undefined : tryJson(value);
    return {
      key: toHex(key),
      value: value === undefined ? null : toHex(value),
      ...(valueJson === undefined ? {} : { valueJson }),
      height,
      ...(options.prove
        ? { proof: createProof(trie, key).map(toHex), header: block.header, certificate: block.certificate }
        : {}),
    };
  }

  account(publicKey: Uint8Array): AccountJson {
    return { publicKey: toHex(publicKey), nonce: this.#nonces.get(toHex(publicKey)) ?? 0 };
  }

  validators(_height?: number): ValidatorInfoJson[] {
    return this.validatorKeys.map((key, index) => ({
      index,
      name: `validator-${index}`,
      publicKey: toHex(key.publicKey),
      isPrimary: key === this.primary,
      connected: true,
      lastCommitHeight: this.head.header.height,
    }));
  }

  peers(): PeerInfoJson[] {
    return this.validatorKeys.slice(1).map((key, i) => ({
      publicKey: toHex(key.publicKey),
      name: `validator-${i + 1}`,
      address: `127.0.0.1:${27000 + i + 1}`,
      connected: true,
      queueDepth: 0,
      bytesIn: 1000 * (i + 1),
      bytesOut: 2000 * (i + 1),
      lastSeenMs: GENESIS_TIME_MS,
    }));
  }

  /** The interest the latest subscriber declared (what a real node would skip building). */
  lastInterest: EventInterest | undefined;

  subscribe(listener: (event: NodeEvent) => void, interest?: EventInterest): () => void {
    this.#listeners.add(listener);
    this.lastInterest = interest;
    return () => this.#listeners.delete(listener);
  }

  /** Pushes an event to subscribers as the node would (tests use it for synthetic events). */
  emit(event: NodeEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** Moves to the next view and tells subscribers. */
  changeView(): void {
    this.view += 1;
    this.emit({
      type: 'viewChange',
      view: this.view,
      primary: toHex(this.primary.publicKey),
      atMs: GENESIS_TIME_MS,
    });
  }

  /** Executes every pending transaction whose nonce is next, cuts a block, and pushes head/tx/event events. */
  commit(): BlockJson {
    const ordered = [...this.#pending.values()].sort(
      (a, b) => toHex(a.body.sender).localeCompare(toHex(b.body.sender)) || a.body.nonce - b.body.nonce,
    );
    const state = this.#states.at(-1)!.fork();
    const included: SignedTx[] = [];
    for (const tx of ordered) {
      const sender = toHex(tx.body.sender);
      if (tx.body.nonce !== (this.#nonces.get(sender) ?? 0)) continue;
      this.#nonces.set(sender, tx.body.nonce + 1);
      this.#pending.delete(toHex(txHash(tx.body)));
      included.push(tx);
    }
    const receipts = included.map((tx) => this.#execute(tx, state));
    return this.#cutBlock(included, state, receipts);
  }

  #execute(tx: SignedTx, state: MerklePatriciaTrie): Receipt {
    const payload = tryJson(tx.body.payload) as { key?: unknown; value?: unknown } | undefined;
    const base = {
      txHash: txHash(tx.body),
      errorCode: '',
      errorMessage: '',
      result: new Uint8Array(0),
      events: [],
    };
    if (tx.body.kind !== 'kv.put' || typeof payload?.key !== 'string') {
      return {
        ...base,
        status: 'error',
        errorCode: 'UNKNOWN_KIND',
        errorMessage: `the fake node runs kv.put only, not ${tx.body.kind}`,
        gasUsed: 1,
      };
    }
    const value = payload.value ?? null;
    state.put(utf8(`kv/${payload.key}`), utf8(JSON.stringify(value)));
    return {
      ...base,
      status: 'ok',
      result: utf8(JSON.stringify({ stored: `kv/${payload.key}` })),
      events: [{ module: 'kv', name: 'put', data: utf8(JSON.stringify({ key: payload.key, value })) }],
      gasUsed: 21,
    };
  }

  #cutBlock(txs: SignedTx[], state: MerklePatriciaTrie, executed: Receipt[] = []): BlockJson {
    const parent = this.#blocks.at(-1);
    const height = parent === undefined ? 0 : parent.header.height + 1;
    const header: BlockHeader = {
      chainId: FAKE_CHAIN_ID,
      height,
      parentHash: parent === undefined ? new Uint8Array(32) : fromHex(parent.header.hash),
      timestampMs: GENESIS_TIME_MS + height * 1000,
      proposer: this.primary.publicKey,
      view: this.view,
      transactionsRoot: indexRoot(txs.map(encodeTx)),
      stateRoot: state.root(),
      receiptsRoot: indexRoot(executed.map(encodeReceipt)),
      provenanceRoot: EMPTY_TRIE_ROOT,
      validatorSetHash: keccak256(concatBytes(...this.validatorKeys.map((k) => k.publicKey))),
    };
    const hash = hashHeader(header);
    const quorum = this.validatorKeys.slice(0, 3);
    const receipts = executed.map(receiptJson);
    const block: BlockJson = {
      header: headerJson(header),
      certificate:
        height === 0
          ? null
          : {
              view: this.view,
              height,
              headerHash: toHex(hash),
              signatures: quorum.map((key) => ({
                validator: toHex(key.publicKey),
                signature: toHex(sign(key.secretKey, hash)),
              })),
            },
      transactions: txs.map(transactionJson),
      receipts,
    };
    this.#blocks.push(block);
    this.#blocksByHash.set(block.header.hash, block);
    this.#summaries.push(blockSummaryJson(header, txs.length));
    this.#states.push(state);
    this.#heightGauge.set(height);
    this.#txCounter.inc(txs.length);
    txs.forEach((tx, index) => {
      const transaction = transactionJson(tx);
      this.#committed.set(transaction.hash, {
        hash: transaction.hash,
        status: 'committed',
        height,
        index,
        blockHash: block.header.hash,
        transaction,
        receipt: receipts[index]!,
      });
    });
    this.emit({ type: 'head', block: this.#summaries.at(-1)! });
    for (const receipt of receipts) {
      this.emit({ type: 'tx', hash: receipt.txHash, height, receipt });
      for (const event of receipt.events) {
        this.emit({ type: 'event', ...event, txHash: receipt.txHash, height });
      }
    }
    return block;
  }
}
