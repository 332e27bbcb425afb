/**
 * What the HTTP/WebSocket API needs from a node: a narrow, read-mostly facade
 * that the node (src/node) implements. The API layer never reaches into
 * consensus, storage or execution directly; anything the console shows, an
 * application could do through this same surface.
 *
 * Contract: every method is cheap and synchronous except `submitTx`, which
 * validates the transaction (signature, nonce, size) before it resolves.
 * Expected failures throw `MeridianError`s (e.g. `TX_BAD_SIGNATURE`,
 * `MEMPOOL_FULL`, `NOT_FOUND`), which the API maps to HTTP statuses.
 */
import type { Registry } from 'prom-client';
import type {
  AccountJson,
  BlockJson,
  BlockSummaryJson,
  BlockTxHashesJson,
  HealthJson,
  NodeStatusJson,
  PeerInfoJson,
  ReceiptJson,
  StateProofJson,
  SubmitTxResponseJson,
  TxStatusJson,
  ValidatorInfoJson,
} from './schemas.ts';

/** Pushed to subscribers as things commit. */
export type NodeEvent =
  | { readonly type: 'head'; readonly block: BlockSummaryJson }
  | { readonly type: 'tx'; readonly hash: string; readonly height: number; readonly receipt: ReceiptJson }
  | {
      readonly type: 'event';
      readonly module: string;
      readonly name: string;
      readonly data: unknown;
      readonly txHash: string;
      readonly height: number;
    }
  | { readonly type: 'viewChange'; readonly view: number; readonly primary: string; readonly atMs: number };

export interface NodeApi {
  status(): NodeStatusJson;
  health(): HealthJson;
  submitTx(encodedTx: Uint8Array): Promise<SubmitTxResponseJson>;
  /**
   * A transaction's status, location and receipt, and its decoded body (`transaction`) unless
   * `withTransaction` is false: rendering the body costs as much as the payload is large, and a
   * `tx` subscription push leaves it out.
   */
  txStatus(hash: Uint8Array, options?: { readonly withTransaction?: boolean }): TxStatusJson;
  /** A committed block by height, with its certificate and receipts; undefined past the head. */
  blockAt(height: number): BlockJson | undefined;
  blockByHash(hash: Uint8Array): BlockJson | undefined;
  /** The transaction hashes of the committed block at `height`, in order; undefined past the head. */
  blockTxHashes(height: number): BlockTxHashesJson | undefined;
  /** Up to `limit` block summaries, newest first, starting at `beforeHeight` (exclusive) or the head. */
  recentBlocks(limit: number, beforeHeight?: number): BlockSummaryJson[];
  /**
   * The value under a world-state key at a committed height (default: head),
   * with an MPT proof against that block's state root plus the header and its
   * certificate when `prove` is set.
   */
  stateAt(key: Uint8Array, options: { prove: boolean; height?: number }): StateProofJson;
  account(publicKey: Uint8Array): AccountJson;
  /**
   * A read-only module query (`<module>/<name>`) against the committed head.
   * Throws `QUERY_NOT_FOUND` for an unknown one, or the query's own errors.
   */
  query(module: string, name: string, params: unknown): Promise<unknown>;
  /** The validator set in force for the next block, or the one that certified `height`. */
  validators(height?: number): ValidatorInfoJson[];
  peers(): PeerInfoJson[];
  /** Prometheus metrics of this node. */
  readonly metrics: Registry;
  /**
   * Registers a listener for committed heads, transactions and module events; returns an
   * unsubscribe. With `interest`, the node may skip building `tx` and `event` notifications the
   * listener would drop (they cost a JSON view per transaction).
   */
  subscribe(listener: (event: NodeEvent) => void, interest?: EventInterest): () => void;
}

/** Which per-transaction notifications a listener wants (heads and view changes always come). */
export interface EventInterest {
  /** True if the listener wants the `tx` notification of the transaction with this 0x hash. */
  tx(hash: string): boolean;
  /** True if the listener wants module `event` notifications at all. */
  events(): boolean;
}
