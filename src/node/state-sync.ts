/**
 * State sync: how a node far behind (new, wiped, or down for long) catches up
 * without executing the whole chain. Before consensus starts, `run` asks the
 * peers what state they can serve (the latest height whose world state they
 * wrote); when the best offer is at least `STATE_SYNC_MIN_GAP` above the
 * node's head, it
 *
 * 1. fetches the blocks up to that height with their commit certificates and
 *    receipts, and checks each one before storing it, unexecuted: height,
 *    parent, chain id, transactions and receipts roots, and the certificate
 *    against the validator set in force there (following the set changes that
 *    the checked receipts announce, as execution would);
 * 2. downloads the world state at that height node by node (`TrieSync`: each
 *    node checked against its hash, so the state is the one the certified
 *    header commits to; `TRIE_REQUESTS_IN_FLIGHT` requests out at once), and
 *    the provenance tries and world states of the blocks that anchor
 *    provenance (what provenance proofs are made from);
 * 3. writes the reputation record at that height to the WAL (the primary
 *    rotation follows from the headers alone) and marks the state written, so
 *    `ChainState.open` starts there with nothing to re-execute.
 *
 * The consensus core's block replay takes the node on from there to the tip.
 * A lying or silent peer costs a retry with the next one, never a wrong block
 * or state. If the sync stops early, what it verified stays (blocks, complete
 * subtrees) and `ChainState.open` executes the blocks above the last written
 * state, as after a crash; a restart resumes the sync from the stored head.
 */

import type { BlockStore } from '../chain/block-store.ts';
import type { Genesis } from '../chain/genesis.ts';
import { type BlockHeader, hashHeader } from '../chain/header.ts';
import { equalBytes, toHex } from '../codec/bytes.ts';
import { verifyCommitCertificate } from '../consensus/pbft/certificate.ts';
import { latestReputationSnapshot, reputationThrough } from '../consensus/pbft/restore.ts';
import type { Block, CommitCertificate } from '../consensus/pbft/types.ts';
import { VerificationError } from '../errors.ts';
import { decodeReceipt, type Receipt } from '../exec/receipt.ts';
import { indexedTrie, transactionsRoot } from '../exec/roots.ts';
import { validatorSetChangesIn } from '../modules/governance/governance-module.ts';
import type { Transport } from '../net/transport.ts';
import { EMPTY_TRIE_ROOT } from '../trie/index.ts';
import { ChainState, type StateStores } from './chain-state.ts';
import type { Logger } from './logger.ts';
import { TrieSync } from './trie-sync.ts';
import type { ValidatorSchedule } from './validator-schedule.ts';
import type { WalStore } from './wal-store.ts';
import { encodeNodeMessage, MAX_SYNC_BLOCKS, MAX_TRIE_NODES_PER_REQUEST, type NodeMessage } from './wire.ts';

/** A node this many blocks or more behind the best offer installs state instead of replaying blocks. */
export const STATE_SYNC_MIN_GAP = 64;
/** How long `run` waits for peers to connect and answer with what they hold. */
export const STATE_OFFER_WAIT_MS = 3_000;
/** How long to wait for one peer's answer before asking the next. */
const REPLY_TIMEOUT_MS = 5_000;
/** Unanswered or useless requests in a row, per peer, before the sync gives up. */
const FAILURES_PER_PEER = 3;
/** Trie-node requests out at once while a trie downloads (each for up to `MAX_TRIE_NODES_PER_REQUEST` nodes). */
export const TRIE_REQUESTS_IN_FLIGHT = 4;
/** Fewer wanted nodes than this go in one request rather than being split over several. */
const MIN_TRIE_NODES_PER_REQUEST = 32;
/** Progress is logged at most this often. */
const PROGRESS_EVERY_MS = 2_000;

type Reply = Extract<NodeMessage, { type: 'stateOffer' | 'syncReply' | 'trieNodes' }>;
type SyncedBlock = Extract<NodeMessage, { type: 'syncReply' }>['blocks'][number];
/** A trie-node request's answer (undefined: none in time), with what it asked for. */
interface TrieAnswer {
  readonly request: number;
  readonly hashes: readonly Uint8Array[];
  readonly reply: Reply | undefined;
}

export interface StateSyncDeps {
  readonly transport: Transport;
  readonly blocks: BlockStore;
  readonly stores: StateStores;
  readonly wal: WalStore;
  readonly schedule: ValidatorSchedule;
  readonly genesis: Genesis;
  readonly logger: Logger;
}

/**
 * Checks a fetched block against its parent and the validator set in force at its height,
 * and returns its decoded receipts. Throws `VerificationError` naming what is wrong.
 */
export function verifySyncedBlock(
  item: { readonly block: Block; readonly certificate: CommitCertificate; readonly receipts?: Uint8Array[] },
  parent: BlockHeader,
  chainId: string,
  validators: Parameters<typeof verifyCommitCertificate>[2],
): Receipt[] {
  const { header, txs } = item.block;
  const fail = (code: string, message: string): never => {
    throw new VerificationError(code, `block ${header.height}: ${message}`, {
      hint: 'the peer sent a block that is not the certified one; ask another peer',
    });
  };
  if (header.height !== parent.height + 1) fail('SYNC_HEIGHT', `does not follow ${parent.height}`);
  if (!equalBytes(header.parentHash, hashHeader(parent))) fail('SYNC_PARENT', 'does not extend its parent');
  if (header.chainId !== chainId) fail('SYNC_CHAIN_ID', `is for chain "${header.chainId}"`);
  const receipts = item.receipts;
  if (receipts?.length !== txs.length) fail('SYNC_RECEIPTS', 'needs one receipt per transaction');
  if (!equalBytes(transactionsRoot(txs), header.transactionsRoot))
    fail('SYNC_TRANSACTIONS_ROOT', 'transactions do not match the transactions root');
  if (!equalBytes(indexedTrie(receipts!).root(), header.receiptsRoot))
    fail('SYNC_RECEIPTS_ROOT', 'receipts do not match the receipts root');
  verifyCommitCertificate(header, item.certificate, validators);
  return receipts!.map(decodeReceipt);
}

export class StateSync {
  #nextRequestId = 1;
  readonly #pending = new Map<number, { peer: string; resolve: (reply: Reply) => void }>();
  #lastProgressMs = 0;

  constructor(private readonly deps: StateSyncDeps) {}

  /** Routes a peer's answer to the request waiting for it; false when none is (not ours). */
  handleReply(from: Uint8Array, reply: Reply): boolean {
    const pending = this.#pending.get(reply.requestId);
    if (!pending || pending.peer !== toHex(from)) return false;
    this.#pending.delete(reply.requestId);
    pending.resolve(reply);
    return true;
  }

  /**
   * Installs a peer's state when this node is far enough behind it. Resolves with the height
   * installed, or undefined when it stayed with block replay (no peer ahead, or the sync failed:
   * then the node is still consistent, only slower to catch up).
   */
  async run(): Promise<number | undefined> {
    const { blocks, logger } = this.deps;
    const head = blocks.height!;
    const offers = await this.#offers();
    const best = offers.sort((a, b) => b.height - a.height)[0];
    if (!best || best.height < head + STATE_SYNC_MIN_GAP) return undefined;
    const peers = [best.peer, ...offers.map((o) => o.peer).filter((p) => !equalBytes(p, best.peer))];
    const target = best.height;
    logger.info({ head, target, peer: toHex(best.peer) }, 'state sync: installing a peer state');
    try {
      if (!(await this.#fetchBlocks(target, peers))) return undefined;
      // At or below the written height every anchoring block's tries are stored (executed or synced).
      const written = ChainState.writtenHeight(this.deps.stores.meta) ?? 0;
      for (let height = written + 1; height <= target; height++) {
        const header = blocks.headerAt(height)!;
        if (equalBytes(header.provenanceRoot, EMPTY_TRIE_ROOT)) continue;
        if (!(await this.#fetchTrie(header.provenanceRoot, peers))) return undefined;
        if (!(await this.#fetchTrie(header.stateRoot, peers))) return undefined;
      }
      if (!(await this.#fetchTrie(blocks.headerAt(target)!.stateRoot, peers))) return undefined;
      await this.#writeReputation(head, target);
      await ChainState.markWritten(this.deps.stores.meta, target);
    } finally {
      this.#pending.clear();
    }
    logger.info({ height: target }, 'state sync: state installed; replaying the blocks after it');
    return target;
  }

  /** Asks every connected peer what it holds, until enough answered or the wait is over. */
  async #offers(): Promise<{ peer: Uint8Array; height: number }[]> {
    const { transport, schedule, blocks } = this.deps;
    const enough = schedule.setFor(blocks.height! + 1).f + 1;
    const asked = new Set<string>();
    const offers: { peer: Uint8Array; height: number }[] = [];
    const deadline = Date.now() + STATE_OFFER_WAIT_MS;
    while (Date.now() < deadline && offers.length < enough) {
      for (const peer of transport.peers()) {
        if (!peer.connected || asked.has(peer.id)) continue;
        asked.add(peer.id);
        void this.#ask(peer.publicKey, (requestId) => ({ type: 'stateOfferRequest', requestId })).then(
          (reply) => {
            if (reply?.type === 'stateOffer') offers.push({ peer: peer.publicKey, height: reply.height });
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return offers;
  }

  /** Fetches, checks and stores the blocks above the head through `target`. */
  async #fetchBlocks(target: number, peers: readonly Uint8Array[]): Promise<boolean> {
    const { blocks } = this.deps;
    const retry = new PeerRotation(peers);
    while (blocks.height! < target) {
      const fromHeight = blocks.height! + 1;
      const toHeight = Math.min(target, fromHeight + MAX_SYNC_BLOCKS - 1);
      const reply = await this.#ask(retry.peer, (requestId) => ({
        type: 'syncRequest',
        requestId,
        fromHeight,
        toHeight,
        withReceipts: true,
      }));
      let stored = 0;
      if (reply?.type === 'syncReply') {
        for (const item of reply.blocks) {
          if (!(await this.#storeBlock(item, retry.peer))) break;
          stored++;
        }
      }
      if (!retry.outcome(stored > 0)) return this.#gaveUp('blocks', fromHeight);
      this.#progress({ blocks: blocks.height, target });
    }
    return true;
  }

  /** Checks one fetched block and stores it (scheduling the set changes it announces first). */
  async #storeBlock(item: SyncedBlock, peer: Uint8Array): Promise<boolean> {
    const { blocks, schedule, genesis, logger } = this.deps;
    const parent = blocks.headerAt(blocks.height!)!;
    const height = item.block.header.height;
    let receipts: Receipt[];
    try {
      receipts = verifySyncedBlock(item, parent, genesis.chainId, schedule.setFor(height));
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      logger.warn({ peer: toHex(peer), err: error.message }, 'state sync: refused a block');
      return false;
    }
    // Before the block: a crash in between re-fetches it and schedules the same change again.
    for (const validators of validatorSetChangesIn(receipts)) {
      await schedule.schedule(height, validators, genesis.parameters);
    }
    await blocks.append(
      item.block.header,
      item.block.txs,
      item.certificate,
      item.receipts!,
      receipts.map((r) => r.txHash),
    );
    return true;
  }

  /**
   * Downloads the trie under `root` into the node store (nothing to do when it is there).
   * `TRIE_REQUESTS_IN_FLIGHT` requests for different nodes are out at once, so the peers serve
   * while this node checks and writes what came before; answers are taken one at a time, each
   * checked, delivered and flushed before the next (the `TrieSync` contract).
   */
  async #fetchTrie(root: Uint8Array, peers: readonly Uint8Array[]): Promise<boolean> {
    const sync = new TrieSync(this.deps.stores.nodes, root);
    const retry = new PeerRotation(peers);
    /** Hex hashes some request in flight asks for. */
    const asked = new Set<string>();
    const inFlight = new Map<number, Promise<TrieAnswer>>();
    let nextRequest = 0;
    while (!sync.done) {
      // What nobody is asked for yet, spread over the free request slots (a depth-first walk keeps
      // the wanted set small, so requests are split rather than waiting to fill up).
      const slots = TRIE_REQUESTS_IN_FLIGHT - inFlight.size;
      const unasked = sync
        .wanted(slots * MAX_TRIE_NODES_PER_REQUEST + asked.size)
        .filter((hash) => !asked.has(toHex(hash)))
        .slice(0, slots * MAX_TRIE_NODES_PER_REQUEST);
      const perRequest = Math.max(MIN_TRIE_NODES_PER_REQUEST, Math.ceil(unasked.length / slots));
      for (let start = 0; start < unasked.length; start += perRequest) {
        const hashes = unasked.slice(start, start + perRequest);
        for (const hash of hashes) asked.add(toHex(hash));
        const request = nextRequest++;
        const peer = retry.peer;
        const answer = this.#ask(peer, (requestId) => ({ type: 'trieNodesRequest', requestId, hashes }));
        inFlight.set(
          request,
          answer.then((reply) => ({ request, hashes, reply })),
        );
      }
      if (inFlight.size === 0) {
        // Nothing left to ask for: what completed is flushed, and that finishes the trie.
        await sync.flush();
        if (!sync.done) return this.#gaveUp('trie nodes', toHex(root));
        break;
      }
      const { request, hashes, reply } = await Promise.race(inFlight.values());
      inFlight.delete(request);
      for (const hash of hashes) asked.delete(toHex(hash));
      let accepted = 0;
      if (reply?.type === 'trieNodes') {
        for (const node of reply.nodes) if (node.length > 0 && sync.deliver(node)) accepted++;
      }
      if (!retry.outcome(accepted > 0)) return this.#gaveUp('trie nodes', toHex(root));
      await sync.flush();
      this.#progress({ trieNodes: sync.received, root: toHex(root) });
    }
    return true;
  }

  /** The WAL's reputation record at `target`, from the latest one at or below `head` and the headers. */
  async #writeReputation(head: number, target: number): Promise<void> {
    const { wal, blocks, schedule, genesis } = this.deps;
    const start = latestReputationSnapshot(wal.records, head, genesis.validators.length);
    const headers = (function* () {
      for (let height = start.height + 1; height <= target; height++) yield blocks.headerAt(height)!;
    })();
    const snapshot = reputationThrough(
      start,
      headers,
      genesis.parameters.checkpointInterval,
      (height) => schedule.changeTakingOverAt(height + 1)?.length,
    );
    await wal.append([{ type: 'reputation', snapshot }]);
  }

  /** Sends a request to `peer`; resolves with its answer, or undefined after `REPLY_TIMEOUT_MS`. */
  #ask(peer: Uint8Array, request: (requestId: number) => NodeMessage): Promise<Reply | undefined> {
    const requestId = this.#nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        resolve(undefined);
      }, REPLY_TIMEOUT_MS);
      this.#pending.set(requestId, {
        peer: toHex(peer),
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
      });
      if (!this.deps.transport.send(peer, encodeNodeMessage(request(requestId)))) {
        clearTimeout(timer);
        this.#pending.delete(requestId);
        resolve(undefined);
      }
    });
  }

  #gaveUp(what: string, at: number | string): false {
    this.deps.logger.warn({ what, at }, 'state sync: no peer served it; falling back to block replay');
    return false;
  }

  #progress(fields: object): void {
    const now = Date.now();
    if (now - this.#lastProgressMs < PROGRESS_EVERY_MS) return;
    this.#lastProgressMs = now;
    this.deps.logger.info(fields, 'state sync: progress');
  }
}

/** The peer to ask next: moves on after a failure, gives up after a run of them. */
class PeerRotation {
  #index = 0;
  #failures = 0;

  constructor(private readonly peers: readonly Uint8Array[]) {}

  get peer(): Uint8Array {
    return this.peers[this.#index % this.peers.length]!;
  }

  /** Records an answer; false once every peer failed `FAILURES_PER_PEER` times in a row. */
  outcome(useful: boolean): boolean {
    if (useful) {
      this.#failures = 0;
      return true;
    }
    this.#index++;
    this.#failures++;
    return this.#failures < this.peers.length * FAILURES_PER_PEER;
  }
}
