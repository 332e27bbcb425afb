/**
 * The node's view of the chain above consensus: the committed head (block
 * store + committed world-state trie) and the speculative blocks the replica
 * has proposed or validated but not yet committed, each with its executed
 * post-state. This is what lets a primary propose height n+1 on top of n
 * before n commits, and a backup validate n+1 on n's speculative state.
 *
 * Contract (the PBFT driver rules 2 and 4): a speculative state is kept until a
 * block at its height commits; `commit` accepts blocks strictly in height
 * order, each extending the head, and executes the block itself when it was
 * never seen (state transfer), so the committed state is always the result of
 * executing every committed block. A certified block's signatures are not
 * checked again (`certifiedEnvironment`).
 *
 * Durability: every committed block (with its certificate and receipts) is
 * written before `commit` returns. The world state is written to the node store
 * only every `STATE_WRITE_INTERVAL` heights and at blocks that anchor
 * provenance (whose state provenance bundles prove against); in between, the
 * states live in memory, and the upper trie nodes that every block rewrites are
 * written once per interval instead of once per block (at a per-node phase:
 * validators sharing a machine would otherwise all write at the same height,
 * and their combined write stalled every one of them). State writes run in the
 * background, one at a time and in height order, while consensus goes on (a
 * write after a busy interval takes up to a second on a loaded machine, and
 * used to hold every later input that long); a state stays in memory until its
 * write is done, and `commit` waits only when `MAX_PENDING_STATE_WRITES` are
 * queued. A failed write fails the next `commit`. `ChainState.open`
 * re-executes the committed blocks above the last written state, so a
 * crash-restart loses nothing: committed blocks are the source of truth.
 */

import type { BlockStore } from '../chain/block-store.ts';
import { type BlockHeader, hashHeader } from '../chain/header.ts';
import { equalBytes, fromHex, toHex, utf8 } from '../codec/bytes.ts';
import { decodeRlpItem, encodeRlpItem } from '../codec/rlp.ts';
import { uint } from '../codec/schema.ts';
import type { Block, CommitCertificate } from '../consensus/pbft/types.ts';
import { assert, NotFoundError, ValidationError } from '../errors.ts';
import { type ExecutedBlock, type ExecutionEnvironment, executeBlock } from '../exec/execute.ts';
import type { KvStore } from '../store/kv.ts';
import { MerklePatriciaTrie } from '../trie/index.ts';
import { HeadView } from './head-view.ts';

/** How far a proposer's timestamp may run ahead of a validator's clock. */
export const MAX_CLOCK_DRIFT_MS = 5_000;
/** The world state is written to the node store at least every this many heights. */
export const STATE_WRITE_INTERVAL = 32;
/** State writes that may wait behind the one in progress before `commit` waits for the disk. */
export const MAX_PENDING_STATE_WRITES = 4;
/** Key (in the state-meta store) of the height of the last world state written to the node store. */
const WRITTEN_HEIGHT_KEY = utf8('written-height');

/**
 * The execution environment for a block that carries a commit certificate (one committed here
 * before a restart, or one a state transfer fetched, whose certificate the replica verified): its
 * transactions' signatures are not checked again. A quorum of 2f+1 validators, at least f+1 of
 * them honest, executed the block and checked every signature before voting, and the certificate
 * binds the header and so its transactions root. Everything else is re-executed and every root is
 * still compared, so catching up costs execution, not one signature check per transaction.
 */
function certifiedEnvironment(env: ExecutionEnvironment): ExecutionEnvironment {
  return { ...env, isSignatureValid: () => true };
}

/** Where a chain state keeps what outlives the process besides its blocks. */
export interface StateStores {
  /** World-state trie nodes (and the provenance tries' nodes). */
  readonly nodes: KvStore;
  /** The height of the last world state written to `nodes`. */
  readonly meta: KvStore;
}

interface SpeculativeBlock {
  readonly block: Block;
  readonly hashHex: string;
  readonly parentHex: string;
  readonly executed: ExecutedBlock;
}

export interface CommittedBlock {
  readonly block: Block;
  readonly hash: Uint8Array;
  readonly certificate: CommitCertificate;
  readonly executed: ExecutedBlock;
}

export class ChainState {
  #head: BlockHeader;
  #headHex: string;
  #headState: MerklePatriciaTrie;
  /** Admission's memoised view of the head state (made on first use, then passed on by each commit). */
  #headView: HeadView | undefined;
  readonly #speculative = new Map<string, SpeculativeBlock>();
  /** Committed states not yet written to the node store, by height (the head's included). */
  readonly #unwritten = new Map<number, MerklePatriciaTrie>();
  /** The latest state write: resolves when it and every write before it are done. */
  #stateWrite: Promise<void> = Promise.resolve();
  #pendingStateWrites = 0;
  /** The first failed state write's error, thrown by every later `commit`. */
  #stateWriteError: unknown;
  /** `env` for blocks that come with a commit certificate (`certifiedEnvironment`). */
  readonly #certifiedEnv: ExecutionEnvironment;

  private constructor(
    private readonly blocks: BlockStore,
    private readonly stores: StateStores,
    private readonly env: ExecutionEnvironment,
    private readonly now: () => number,
    headState: MerklePatriciaTrie,
    private readonly stateWritePhase: number,
  ) {
    assert(blocks.height !== undefined, 'chain state needs a block store with at least genesis');
    this.#head = blocks.headerAt(blocks.height)!;
    this.#headHex = toHex(hashHeader(this.#head));
    this.#certifiedEnv = certifiedEnvironment(env);
    this.#headState = headState;
  }

  /**
   * The chain state of a block store holding at least genesis, whose genesis state is written
   * to `stores.nodes`: opens the last written world state and re-executes the committed blocks
   * above it (checking every root), so the head state is the result of every committed block.
   */
  static async open(
    blocks: BlockStore,
    stores: StateStores,
    env: ExecutionEnvironment,
    now: () => number,
    options: {
      /**
       * Interval writes happen at heights h with (h + phase) % STATE_WRITE_INTERVAL = 0 (default 0).
       * Validators on one machine pass different phases so that their heavy writes do not coincide.
       */
      readonly stateWritePhase?: number;
    } = {},
  ): Promise<ChainState> {
    const head = blocks.height;
    assert(head !== undefined, 'chain state needs a block store with at least genesis');
    const start = ChainState.writtenState(blocks, stores);
    const written = start.height;
    let state = start.state;
    const replayed = new Map<number, MerklePatriciaTrie>();
    const certified = certifiedEnvironment(env);
    for (let height = written + 1; height <= head; height++) {
      const header = blocks.headerAt(height)!;
      const executed = await executeBlock(state, header, blocks.txsAt(height)!, certified);
      const mismatch = rootMismatch(header, executed);
      assert(mismatch === undefined, `committed block ${height} re-executes with a different ${mismatch}`);
      state = executed.state;
      if (executed.anchors.length > 0) {
        // The crash came between this block and its state write: write it now, as `commit` would have.
        await writeState(stores.meta, state, height);
        replayed.clear();
      } else replayed.set(height, state);
    }
    const chain = new ChainState(blocks, stores, env, now, state, options.stateWritePhase ?? 0);
    for (const [height, trie] of replayed) chain.#unwritten.set(height, trie);
    return chain;
  }

  /**
   * Records that the world state at `height` is complete in the node store and its block is
   * stored: genesis right after writing the genesis block, a state sync once it installed one.
   */
  static async markWritten(meta: KvStore, height: number): Promise<void> {
    await meta.put(WRITTEN_HEIGHT_KEY, encodeRlpItem(uint.encode(height)));
  }

  /**
   * The last world state written to the node store and its height (what a node has before it opens
   * its chain state). Stores written before the write interval existed hold every committed state:
   * the head's is there.
   */
  static writtenState(
    blocks: BlockStore,
    stores: StateStores,
  ): { height: number; state: MerklePatriciaTrie } {
    const height = ChainState.writtenHeight(stores.meta) ?? blocks.height!;
    return { height, state: MerklePatriciaTrie.open(stores.nodes, blocks.headerAt(height)!.stateRoot) };
  }

  /** The height of the last world state written to the node store (undefined before genesis). */
  static writtenHeight(meta: KvStore): number | undefined {
    const raw = meta.get(WRITTEN_HEIGHT_KEY);
    return raw === undefined
      ? undefined
      : uint.decode(decodeRlpItem(raw, 8, 'written height'), 'written height');
  }

  get head(): BlockHeader {
    return this.#head;
  }

  get headHash(): Uint8Array {
    return hashHeader(this.#head);
  }

  get headState(): MerklePatriciaTrie {
    return this.#headState;
  }

  /** The head state as admission reads it: nonces and registry versions computed once per head. */
  get headView(): HeadView {
    this.#headView ??= new HeadView(this.#headState);
    return this.#headView;
  }

  /**
   * The committed world state at `height`: the head's and the states not yet written are in
   * memory; older ones are read from the node store, where only every written height is
   * complete. Throws `NotFoundError` (`STATE_NOT_KEPT`) for a height whose state this node
   * no longer holds.
   */
  stateAt(height: number): MerklePatriciaTrie {
    if (height === this.#head.height) return this.#headState;
    const inMemory = this.#unwritten.get(height);
    if (inMemory) return inMemory;
    const header = height <= this.#head.height ? this.blocks.headerAt(height) : undefined;
    if (header) {
      try {
        // A root in the store comes with its whole trie: nodes are written with everything below them.
        return MerklePatriciaTrie.open(this.stores.nodes, header.stateRoot);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    throw new NotFoundError('STATE_NOT_KEPT', `this node does not hold the world state at height ${height}`, {
      hint: `ask for the head (${this.#head.height}), a recent height, or one this node wrote its state at (at least one in ${STATE_WRITE_INTERVAL})`,
    });
  }

  /** Header of the committed head or of a speculative block, by hash. */
  headerOf(hashHex: string): BlockHeader | undefined {
    if (hashHex === this.#headHex) return this.#head;
    return this.#speculative.get(hashHex)?.block.header;
  }

  /** Post-state of the committed head or of a speculative block, by hash. */
  stateOf(hashHex: string): MerklePatriciaTrie | undefined {
    if (hashHex === this.#headHex) return this.#headState;
    return this.#speculative.get(hashHex)?.executed.state;
  }

  /** Transaction hashes in the speculative block `hashHex` and its speculative ancestors. */
  inFlightTxHashes(hashHex: string): Set<string> {
    const out = new Set<string>();
    for (const hashes of this.inFlightTxHashLists(hashHex)) for (const h of hashes) out.add(h);
    return out;
  }

  /**
   * The same, as each block's own list (newest block first), without building a set: a
   * transaction is in at most one of them (each consumes its sender's nonce).
   */
  inFlightTxHashLists(hashHex: string): (readonly string[])[] {
    const out: (readonly string[])[] = [];
    let cursor = this.#speculative.get(hashHex);
    while (cursor) {
      out.push(cursor.executed.txHashes);
      cursor = this.#speculative.get(cursor.parentHex);
    }
    return out;
  }

  /**
   * Executes `txs` on the state of `parentHex` for a block with this header
   * template, and remembers the result as speculative. Returns the complete header.
   */
  async build(
    parentHex: string,
    template: Pick<BlockHeader, 'chainId' | 'height' | 'proposer' | 'view' | 'validatorSetHash'>,
    txs: readonly Uint8Array[],
  ): Promise<{ block: Block; executed: ExecutedBlock }> {
    const parent = this.headerOf(parentHex);
    const parentState = this.stateOf(parentHex);
    assert(parent && parentState, `build on unknown parent ${parentHex}`);
    const timestampMs = Math.max(this.now(), parent.timestampMs + 1);
    // One array for the block and its execution, so its transactions root is computed once.
    const batch = [...txs];
    const executed = await executeBlock(
      parentState,
      { chainId: template.chainId, height: template.height, timestampMs },
      batch,
      this.env,
    );
    const header: BlockHeader = {
      ...template,
      parentHash: hashHeader(parent),
      timestampMs,
      transactionsRoot: executed.transactionsRoot,
      stateRoot: executed.stateRoot,
      receiptsRoot: executed.receiptsRoot,
      provenanceRoot: executed.provenanceRoot,
    };
    const block: Block = { header, txs: batch };
    this.#remember(block, parentHex, executed);
    return { block, executed };
  }

  /**
   * Re-executes a proposed block on its parent's speculative state and checks
   * every root and the header's timing; remembers it when valid. Throws
   * `ValidationError` (`BLOCK_INVALID`, `BLOCK_UNKNOWN_PARENT`) otherwise.
   */
  async validate(block: Block): Promise<ExecutedBlock> {
    const header = block.header;
    const parentHex = toHex(header.parentHash);
    const parent = this.headerOf(parentHex);
    const parentState = this.stateOf(parentHex);
    if (!parent || !parentState) {
      throw new ValidationError(
        'BLOCK_UNKNOWN_PARENT',
        `parent ${parentHex} of height ${header.height} is unknown here`,
      );
    }
    const problem = checkHeaderTiming(header, parent, this.now());
    if (problem) throw new ValidationError('BLOCK_INVALID', problem);
    const executed = await executeBlock(parentState, header, block.txs, this.env);
    const mismatch = rootMismatch(header, executed);
    if (mismatch) throw new ValidationError('BLOCK_INVALID', `${mismatch} does not match re-execution`);
    this.#remember(block, parentHex, executed);
    return executed;
  }

  #remember(block: Block, parentHex: string, executed: ExecutedBlock): void {
    const hashHex = toHex(hashHeader(block.header));
    this.#speculative.set(hashHex, { block, hashHex, parentHex, executed });
  }

  /**
   * Makes `block` the committed head: executes it if it was never seen, persists
   * its state nodes and its provenance trie's nodes, then the block (one atomic
   * write). Returns what committed.
   */
  async commit(block: Block, certificate: CommitCertificate): Promise<CommittedBlock> {
    if (this.#stateWriteError !== undefined) throw this.#stateWriteError;
    const header = block.header;
    const hash = hashHeader(header);
    const hashHex = toHex(hash);
    assert(
      header.height === this.#head.height + 1,
      `commit of height ${header.height} on head ${this.#head.height}`,
    );
    assert(
      equalBytes(header.parentHash, hashHeader(this.#head)),
      `commit of ${hashHex} does not extend the head`,
    );
    let executed = this.#speculative.get(hashHex)?.executed;
    if (!executed) {
      executed = await executeBlock(this.#headState, header, block.txs, this.#certifiedEnv);
      const mismatch = rootMismatch(header, executed);
      // A certified block that re-executes differently means this node's execution is not deterministic.
      assert(
        mismatch === undefined,
        `committed block ${header.height} re-executes with a different ${mismatch}`,
      );
    }
    const anchors = executed.anchors.length > 0;
    if (anchors) await executed.provenance.commit();
    await this.blocks.append(
      header,
      block.txs,
      certificate,
      executed.encodedReceipts,
      executed.txHashes.map((h) => fromHex(h)),
    );
    this.#unwritten.set(header.height, executed.state);
    if (anchors || (header.height + this.stateWritePhase) % STATE_WRITE_INTERVAL === 0) {
      // After the block: a written height always has its block, so a restart can resume from it.
      if (this.#pendingStateWrites >= MAX_PENDING_STATE_WRITES) await this.#stateWrite;
      this.#startStateWrite(executed.state, header.height);
    }
    this.#head = header;
    this.#headHex = hashHex;
    this.#headState = executed.state;
    this.#headView = this.#headView?.next(
      executed.state,
      executed.txs.map((tx) => tx.body.sender),
    );
    for (const [key, entry] of this.#speculative) {
      if (entry.block.header.height <= header.height) this.#speculative.delete(key);
    }
    return { block, hash, certificate, executed };
  }

  /** Resolves once every state write started so far is done; rejects with a write's error. */
  async statesWritten(): Promise<void> {
    await this.#stateWrite;
    if (this.#stateWriteError !== undefined) throw this.#stateWriteError;
  }

  /** Queues the write of `state` (committed at `height`) behind the writes already started. */
  #startStateWrite(state: MerklePatriciaTrie, height: number): void {
    this.#pendingStateWrites++;
    this.#stateWrite = this.#stateWrite.then(async () => {
      try {
        if (this.#stateWriteError === undefined) {
          await writeState(this.stores.meta, state, height);
          for (const kept of this.#unwritten.keys()) if (kept <= height) this.#unwritten.delete(kept);
        }
      } catch (error) {
        this.#stateWriteError ??= error;
      } finally {
        this.#pendingStateWrites--;
      }
    });
  }
}

/** Writes a committed state's new trie nodes, then records `height` as the last written one. */
async function writeState(meta: KvStore, state: MerklePatriciaTrie, height: number): Promise<void> {
  await state.commit({ release: true });
  await ChainState.markWritten(meta, height);
}

/** Why a header's time is unacceptable on top of `parent`, or undefined. */
export function checkHeaderTiming(
  header: BlockHeader,
  parent: BlockHeader,
  nowMs: number,
): string | undefined {
  if (header.height !== parent.height + 1) return `height ${header.height} does not follow ${parent.height}`;
  if (header.timestampMs <= parent.timestampMs) return 'timestamp is not after the parent';
  if (header.timestampMs > nowMs + MAX_CLOCK_DRIFT_MS)
    return `timestamp is more than ${MAX_CLOCK_DRIFT_MS} ms in the future`;
  return undefined;
}

function rootMismatch(header: BlockHeader, executed: ExecutedBlock): string | undefined {
  for (const root of ['stateRoot', 'transactionsRoot', 'receiptsRoot', 'provenanceRoot'] as const) {
    if (!equalBytes(header[root], executed[root])) return root;
  }
  return undefined;
}
