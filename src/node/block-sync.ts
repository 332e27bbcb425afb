/**
 * Catch-up by block replay: a node that restarted or fell behind asks peers for
 * committed blocks with their commit certificates, in chunks of at most
 * `MAX_SYNC_BLOCKS`, and hands each chunk to the consensus core, which checks
 * every certificate against its validator set before committing (so a lying
 * peer costs a retry, never a wrong block). The node then re-executes each
 * block, so its state is rebuilt from verified blocks only.
 *
 * It also serves such requests from its own block store.
 */

import type { BlockStore } from '../chain/block-store.ts';
import { toHex } from '../codec/bytes.ts';
import type { Block, CommitCertificate } from '../consensus/pbft/types.ts';
import type { Transport } from '../net/transport.ts';
import type { Logger } from './logger.ts';
import { encodeNodeMessage, MAX_SYNC_BLOCKS, MAX_SYNC_REPLY_BYTES, type NodeMessage } from './wire.ts';

/** How long to wait for one peer's reply before asking the next. */
export const SYNC_REPLY_TIMEOUT_MS = 3_000;

type Delivered = readonly { readonly block: Block; readonly certificate: CommitCertificate }[];

interface Fetch {
  next: number;
  readonly to: number;
  readonly peers: readonly Uint8Array[];
  peerIndex: number;
  requestId: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly deliver: (blocks: Delivered) => void;
}

function byteLength(items: readonly Uint8Array[]): number {
  return items.reduce((sum, item) => sum + item.length, 0);
}

export class BlockSync {
  #nextRequestId = 1;
  #fetch: Fetch | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly blocks: BlockStore,
    private readonly logger: Logger,
  ) {}

  /** Fetches blocks `from..to` from `peers` (in order of preference), delivering chunks as they arrive. */
  fetch(from: number, to: number, peers: readonly Uint8Array[], deliver: (blocks: Delivered) => void): void {
    if (peers.length === 0) return;
    if (this.#fetch && this.#fetch.to >= to && this.#fetch.next <= from) return; // already on it
    this.#cancel();
    this.#fetch = { next: from, to, peers, peerIndex: 0, requestId: 0, timer: undefined, deliver };
    this.logger.info({ from, to }, 'catching up: fetching blocks from peers');
    this.#request();
  }

  #request(): void {
    const fetch = this.#fetch;
    if (!fetch) return;
    if (fetch.next > fetch.to) {
      this.#cancel();
      return;
    }
    const peer = fetch.peers[fetch.peerIndex % fetch.peers.length]!;
    fetch.requestId = this.#nextRequestId++;
    const toHeight = Math.min(fetch.to, fetch.next + MAX_SYNC_BLOCKS - 1);
    this.transport.send(
      peer,
      encodeNodeMessage({
        type: 'syncRequest',
        requestId: fetch.requestId,
        fromHeight: fetch.next,
        toHeight,
        withReceipts: false,
      }),
    );
    fetch.timer = setTimeout(() => this.#nextPeer(), SYNC_REPLY_TIMEOUT_MS);
  }

  #nextPeer(): void {
    const fetch = this.#fetch;
    if (!fetch) return;
    fetch.peerIndex++;
    if (fetch.peerIndex >= fetch.peers.length * 3) {
      this.logger.warn(
        { next: fetch.next, to: fetch.to },
        'catch-up: no peer answered; the core will ask again',
      );
      this.#cancel();
      return;
    }
    this.#request();
  }

  #cancel(): void {
    if (this.#fetch?.timer) clearTimeout(this.#fetch.timer);
    this.#fetch = undefined;
  }

  stop(): void {
    this.#cancel();
  }

  /**
   * A peer asked for blocks: reply with what the store has (and their receipts when asked),
   * bounded in count and bytes.
   */
  handleRequest(from: Uint8Array, request: Extract<NodeMessage, { type: 'syncRequest' }>): void {
    const head = this.blocks.height ?? 0;
    const last = Math.min(request.toHeight, head, request.fromHeight + MAX_SYNC_BLOCKS - 1);
    const blocks: { block: Block; certificate: CommitCertificate; receipts: Uint8Array[] | undefined }[] = [];
    let bytes = 0;
    for (let height = Math.max(1, request.fromHeight); height <= last; height++) {
      const stored = this.blocks.blockAt(height);
      if (!stored?.certificate) break;
      const receipts = request.withReceipts ? this.blocks.encodedReceiptsAt(height) : undefined;
      blocks.push({
        block: { header: stored.header, txs: [...stored.txs] },
        certificate: stored.certificate,
        receipts,
      });
      bytes += byteLength(stored.txs) + byteLength(receipts ?? []) + 1024;
      if (bytes >= MAX_SYNC_REPLY_BYTES) break;
    }
    this.transport.send(
      from,
      encodeNodeMessage({ type: 'syncReply', requestId: request.requestId, blocks: blocks as never }),
    );
  }

  handleReply(from: Uint8Array, reply: Extract<NodeMessage, { type: 'syncReply' }>): void {
    const fetch = this.#fetch;
    if (!fetch || reply.requestId !== fetch.requestId) return;
    if (fetch.timer) clearTimeout(fetch.timer);
    const usable = reply.blocks.filter((b) => b.block.header.height >= fetch.next);
    if (usable.length === 0 || usable[0]!.block.header.height !== fetch.next) {
      this.logger.debug({ peer: toHex(from), next: fetch.next }, 'catch-up: peer had nothing useful');
      this.#nextPeer();
      return;
    }
    fetch.deliver(usable);
    fetch.next = usable[usable.length - 1]!.block.header.height + 1;
    this.#request();
  }
}
