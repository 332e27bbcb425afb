/**
 * `MeridianClient`: the typed TypeScript client of a node's API. Every method
 * maps to one route (types inferred from the TypeBox schemas); `sendTx` builds
 * and signs a transaction locally (the secret key never leaves the caller);
 * `subscribe` multiplexes WebSocket subscriptions over one socket.
 *
 * Browser-safe (the web console bundles it): HTTP through the global `fetch`,
 * WebSocket through `options.WebSocket`, default `globalThis.WebSocket`.
 * Node 20 has no global WebSocket: pass `ws`'s (`import { WebSocket } from 'ws'`).
 */
import { encodeTx, type SignedTx, signTx, txHash } from '../../chain/transaction.ts';
import { equalBytes, fromHex, toHex, utf8 } from '../../codec/bytes.ts';
import type { SigningKeyPair } from '../../crypto/ed25519.ts';
import type { MeridianError } from '../../errors.ts';
import type {
  AccountJson,
  BlockJson,
  BlockSummaryJson,
  BlockTxHashesJson,
  HealthJson,
  NodeStatusJson,
  PeerInfoJson,
  StateProofJson,
  SubmitTxBatchResponseJson,
  SubmitTxResponseJson,
  TxStatusJson,
  ValidatorInfoJson,
} from '../schemas.ts';
import type { Topic, TopicData, TopicParams } from '../ws-messages.ts';
import { MeridianClientError } from './errors.ts';
import { type FetchFunction, HttpTransport } from './http.ts';
import {
  type ReconnectOptions,
  type SocketState,
  type SubscriptionRequest,
  SubscriptionSocket,
  type WebSocketConstructor,
} from './subscriptions.ts';

/** Default wait of `waitForTx`, and its polling interval when it cannot subscribe. */
export const DEFAULT_WAIT_FOR_TX_TIMEOUT_MS = 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

export interface MeridianClientOptions {
  /** Default: the global fetch. */
  readonly fetch?: FetchFunction;
  /** Default: `globalThis.WebSocket`. `null` turns subscriptions off (waitForTx then polls). */
  readonly WebSocket?: WebSocketConstructor | null;
  /** Extra headers on every HTTP request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout; default 30 s. */
  readonly requestTimeoutMs?: number;
  readonly reconnect?: ReconnectOptions;
  /** Told when the subscription socket connects, opens or closes (e.g. to show "live" in a UI). */
  readonly onSocketStateChange?: (state: SocketState) => void;
}

/** A JSON payload (serialised to UTF-8 JSON bytes) or raw payload bytes. */
export type TxPayload = Uint8Array | Record<string, unknown> | unknown[];

export interface SendTxRequest {
  /** `<module>.<method>`, e.g. `kv.put`. */
  readonly kind: string;
  readonly payload: TxPayload;
  readonly signer: SigningKeyPair;
  /** Default: the account's next nonce from the node, or one past the last this client sent, whichever is higher. */
  readonly nonce?: number;
  /** Default: the node's chain id (fetched once per client). */
  readonly chainId?: string;
}

export interface SubscribeOptions {
  /** Told when the server refuses or ends the subscription, and when the socket drops (then it resubscribes). */
  readonly onError?: (error: MeridianError) => void;
  /** Told each time the server confirms the subscription: first, and again after every reconnect. */
  readonly onSubscribed?: () => void;
}

type Bytes = Uint8Array;

function hexOf(value: string | Bytes): string {
  return typeof value === 'string' ? value : toHex(value);
}

export class MeridianClient {
  readonly baseUrl: string;
  readonly #http: HttpTransport;
  readonly #socket: SubscriptionSocket | undefined;
  #chainId: Promise<string> | undefined;
  /** Signer public key (hex) → the nonce after the last transaction this client sent for it. */
  readonly #nextNonce = new Map<string, number>();

  constructor(baseUrl: string, options: MeridianClientOptions = {}) {
    this.#http = new HttpTransport(baseUrl, {
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs }),
    });
    this.baseUrl = this.#http.baseUrl;
    const WebSocket =
      options.WebSocket === undefined
        ? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
        : (options.WebSocket ?? undefined);
    this.#socket =
      WebSocket === undefined
        ? undefined
        : new SubscriptionSocket(`${this.baseUrl.replace(/^http/, 'ws')}/v1/ws`, WebSocket, {
            ...options.reconnect,
            ...(options.onSocketStateChange === undefined
              ? {}
              : { onStateChange: options.onSocketStateChange }),
          });
  }

  status(): Promise<NodeStatusJson> {
    return this.#http.get('/v1/status');
  }

  /** The node's health; resolves for healthy (200) and unhealthy (503) nodes alike: check `ok`. */
  health(): Promise<HealthJson> {
    return this.#http.get('/v1/health', {}, [200, 503]);
  }

  /** The validator set in force now, or the one that certified `height`. */
  validators(height?: number): Promise<ValidatorInfoJson[]> {
    return this.#http.get(height === undefined ? '/v1/validators' : `/v1/validators?height=${height}`);
  }

  peers(): Promise<PeerInfoJson[]> {
    return this.#http.get('/v1/peers');
  }

  /** Submits a signed transaction (or its RLP encoding). Admission, not commitment: see `waitForTx`. */
  submitTx(tx: SignedTx | Bytes): Promise<SubmitTxResponseJson> {
    const encoded = tx instanceof Uint8Array ? tx : encodeTx(tx);
    return this.#http.post('/v1/tx', { tx: toHex(encoded) });
  }

  /** A read-only module query (e.g. `query('membership', 'organizations', {})`) against the committed head. */
  async query<T = unknown>(module: string, name: string, params: Record<string, unknown> = {}): Promise<T> {
    const { result } = await this.#http.post<{ result: T }>(
      `/v1/query/${encodeURIComponent(module)}/${encodeURIComponent(name)}`,
      params,
    );
    return result;
  }

  /** The transaction hashes of the committed block at `height`, in order. */
  blockTxHashes(height: number): Promise<BlockTxHashesJson> {
    return this.#http.get(`/v1/blocks/${height}/tx-hashes`);
  }

  /** Submits up to `MAX_TX_BATCH` signed transactions in one request; one result per transaction, in order. */
  submitTxBatch(txs: readonly (SignedTx | Bytes)[]): Promise<SubmitTxBatchResponseJson> {
    return this.#http.post('/v1/txs', {
      txs: txs.map((tx) => toHex(tx instanceof Uint8Array ? tx : encodeTx(tx))),
    });
  }

  /** Builds, signs and submits a transaction; fills in the nonce and chain id when omitted. */
  async sendTx(request: SendTxRequest): Promise<SubmitTxResponseJson> {
    const chainId = request.chainId ?? (await this.#fetchChainId());
    const sender = toHex(request.signer.publicKey);
    let nonce = request.nonce;
    if (nonce === undefined) {
      const account = await this.account(request.signer.publicKey);
      nonce = Math.max(account.nonce, this.#nextNonce.get(sender) ?? 0);
    }
    // Reserved before the await below, so concurrent sendTx calls for one signer take successive nonces.
    this.#nextNonce.set(sender, Math.max(nonce + 1, this.#nextNonce.get(sender) ?? 0));
    const payload =
      request.payload instanceof Uint8Array ? request.payload : utf8(JSON.stringify(request.payload));
    const body = { chainId, sender: request.signer.publicKey, nonce, kind: request.kind, payload };
    const signed = signTx(body, request.signer.secretKey);
    let result: SubmitTxResponseJson;
    try {
      result = await this.submitTx(signed);
    } catch (error) {
      this.#nextNonce.delete(sender); // the next call asks the node again
      throw error;
    }
    if (!equalBytes(fromHex(result.hash), txHash(body))) {
      throw new MeridianClientError(
        'BAD_RESPONSE',
        `the node acknowledged ${result.hash}, not the transaction sent`,
        {
          hint: 'the node and this SDK disagree on the transaction encoding; check their versions',
        },
      );
    }
    return result;
  }

  #fetchChainId(): Promise<string> {
    this.#chainId ??= this.status().then(
      (status) => status.chainId,
      (error: unknown) => {
        this.#chainId = undefined;
        throw error;
      },
    );
    return this.#chainId;
  }

  txStatus(hash: string | Bytes): Promise<TxStatusJson> {
    return this.#http.get(`/v1/tx/${hexOf(hash)}`);
  }

  /**
   * Resolves with the transaction's status once it is committed (check
   * `receipt.status`: a committed transaction may have failed): its block,
   * index and receipt, without `transaction` (the caller has it; `txStatus`
   * returns it too), however the wait was done. Uses a `tx`
   * subscription when WebSockets are available, and polls `txStatus` when not
   * or once the socket has dropped. Rejects with `TX_WAIT_TIMEOUT` after `timeoutMs`.
   */
  waitForTx(
    hash: string | Bytes,
    options: { timeoutMs?: number; pollIntervalMs?: number } = {},
  ): Promise<TxStatusJson> {
    const hashHex = hexOf(hash).toLowerCase();
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_FOR_TX_TIMEOUT_MS;
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    return new Promise<TxStatusJson>((resolve, reject) => {
      let settled = false;
      let unsubscribe: (() => void) | undefined;
      let pollTimer: ReturnType<typeof setTimeout> | undefined;
      let polling = false;
      let deadline: ReturnType<typeof setTimeout> | undefined;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (pollTimer !== undefined) clearTimeout(pollTimer);
        unsubscribe?.();
        outcome();
      };
      deadline = setTimeout(
        () =>
          finish(() =>
            reject(
              new MeridianClientError(
                'TX_WAIT_TIMEOUT',
                `transaction ${hashHex} did not commit within ${timeoutMs} ms`,
                {
                  hint: 'it may still commit: check txStatus later, or wait longer',
                },
              ),
            ),
          ),
        timeoutMs,
      );
      const poll = async () => {
        pollTimer = undefined;
        try {
          const { transaction: _body, ...status } = await this.txStatus(hashHex);
          if (status.status === 'committed') finish(() => resolve(status));
        } catch (error) {
          if (!(error instanceof MeridianClientError)) finish(() => reject(error)); // the server refused: final
        }
        if (!settled) pollTimer = setTimeout(poll, pollIntervalMs);
      };
      const startPolling = () => {
        if (polling || settled) return;
        polling = true;
        void poll();
      };
      if (this.#socket === undefined) {
        startPolling();
        return;
      }
      unsubscribe = this.#subscribeRaw(
        { topic: 'tx', hash: hashHex },
        (data) => finish(() => resolve(data as TxStatusJson)),
        {
          // A dropped socket: poll meanwhile (the subscription is re-sent on reconnect). A refusal: final.
          onError: (error) =>
            error instanceof MeridianClientError ? startPolling() : finish(() => reject(error)),
        },
      );
    });
  }

  /** A committed block by height, 0x hash or hash bytes. Throws `BLOCK_NOT_FOUND` (404) when there is none. */
  block(heightOrHash: number | string | Bytes): Promise<BlockJson> {
    const segment = typeof heightOrHash === 'number' ? String(heightOrHash) : hexOf(heightOrHash);
    return this.#http.get(`/v1/blocks/${encodeURIComponent(segment)}`);
  }

  latestBlock(): Promise<BlockJson> {
    return this.#http.get('/v1/blocks/latest');
  }

  /** Up to `limit` (≤ 100) block summaries, newest first, below height `before` or from the head. */
  recentBlocks(limit?: number, before?: number): Promise<BlockSummaryJson[]> {
    return this.#http.get('/v1/blocks', { limit, before });
  }

  /**
   * A world-state value. `key` is bytes, a 0x-hex string, or else UTF-8 text
   * (text that itself starts with "0x" must be passed as bytes).
   */
  state(key: string | Bytes, options: { prove?: boolean; height?: number } = {}): Promise<StateProofJson> {
    const segment = typeof key === 'string' && !key.startsWith('0x') ? key : hexOf(key);
    return this.#http.get(`/v1/state/${encodeURIComponent(segment)}`, {
      prove: options.prove ? true : undefined,
      height: options.height,
    });
  }

  account(publicKey: string | Bytes): Promise<AccountJson> {
    return this.#http.get(`/v1/accounts/${hexOf(publicKey)}`);
  }

  /**
   * Subscribes to a topic over the client's one WebSocket; returns the
   * function that unsubscribes. Throws `NO_WEBSOCKET` if the client has no
   * WebSocket constructor.
   */
  subscribe<T extends Topic>(
    topic: T,
    params: TopicParams[T],
    onData: (data: TopicData[T]) => void,
    options: SubscribeOptions = {},
  ): () => void {
    const request = { ...params, topic } as unknown as SubscriptionRequest;
    return this.#subscribeRaw(request, onData as (data: unknown) => void, options);
  }

  #subscribeRaw(
    request: SubscriptionRequest,
    onData: (data: unknown) => void,
    options: SubscribeOptions,
  ): () => void {
    if (this.#socket === undefined) {
      throw new MeridianClientError('NO_WEBSOCKET', 'this client has no WebSocket constructor', {
        hint: "in Node 20 pass { WebSocket } from 'ws' as the client's WebSocket option",
      });
    }
    return this.#socket.subscribe(request, {
      onData,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
      ...(options.onSubscribed === undefined ? {} : { onSubscribed: options.onSubscribed }),
    });
  }

  /** Closes the subscription socket (ending every subscription). HTTP methods keep working. */
  close(): void {
    this.#socket?.close();
  }
}
