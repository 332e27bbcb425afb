/**
 * The simulated node around one replica: a deterministic executor with real
 * height dependencies, a mempool, a committed block store and an in-memory WAL.
 * Used by the random simulator and by the scenario tests.
 *
 * Executor model (what makes heights depend on each other):
 * - a transaction is `id (6 bytes, big-endian) || padding`; valid only if a
 *   client submitted it (stands in for the client's signature check);
 * - `transactionsRoot = keccak(rlp(txs))`, `stateRoot = keccak(parent.stateRoot || transactionsRoot)`;
 * - a block is valid on its parent (committed head or a speculative block this
 *   node validated or proposed) if its height and timestamp follow the
 *   parent's, no transaction is already committed or in an in-flight ancestor
 *   (or twice in the block), and its state root is the one recomputed here.
 */

import type { BlockHeader } from '../../chain/header.ts';
import type { ValidatorSet } from '../../chain/validator-set.ts';
import { concatBytes, equalBytes, toHex, utf8 } from '../../codec/bytes.ts';
import { encodeRlpItem } from '../../codec/rlp.ts';
import { keccak256 } from '../../crypto/keccak.ts';
import { headerHashOf } from '../pbft/messages.ts';
import type { Replica } from '../pbft/replica.ts';
import type { Block, CommitCertificate } from '../pbft/types.ts';
import type { WalRecord } from '../pbft/wal.ts';

export const ZERO_HASH = new Uint8Array(32);
export const TX_ID_BYTES = 6;

export function simTransactionsRoot(txs: readonly Uint8Array[]): Uint8Array {
  return keccak256(encodeRlpItem(txs as Uint8Array[]));
}

export function simStateRoot(parentStateRoot: Uint8Array, transactionsRoot: Uint8Array): Uint8Array {
  return keccak256(concatBytes(parentStateRoot, transactionsRoot));
}

export function makeTx(id: number, paddingBytes: number): Uint8Array {
  const tx = new Uint8Array(TX_ID_BYTES + paddingBytes);
  let v = id;
  for (let i = TX_ID_BYTES - 1; i >= 0; i--) {
    tx[i] = v % 256;
    v = Math.floor(v / 256);
  }
  for (let i = 0; i < paddingBytes; i++) tx[TX_ID_BYTES + i] = (id * 31 + i) & 0xff;
  return tx;
}

export function txId(tx: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < TX_ID_BYTES && i < tx.length; i++) v = v * 256 + tx[i]!;
  return v;
}

export function simGenesis(chainId: string, validators: ValidatorSet): BlockHeader {
  return {
    chainId,
    height: 0,
    parentHash: ZERO_HASH,
    timestampMs: 0,
    proposer: ZERO_HASH,
    view: 0,
    transactionsRoot: simTransactionsRoot([]),
    stateRoot: keccak256(utf8(`genesis/${chainId}`)),
    receiptsRoot: ZERO_HASH,
    provenanceRoot: ZERO_HASH,
    validatorSetHash: validators.hash,
  };
}

interface ChainEntry {
  readonly header: BlockHeader;
  readonly hex: string;
  readonly parentHex: string;
  readonly txIds: readonly number[];
}

export interface ValidationResult {
  readonly ok: boolean;
  readonly reason?: string;
}

export class SimNode {
  replica: Replica | null = null;
  wal: WalRecord[] = [];
  /** Votes made durable in the WAL (`p|c:view:height:hash`), to check that nothing is sent before it is. */
  readonly durableVotes = new Set<string>();
  /** Committed chain: index = height (0 = genesis). */
  readonly chain: { block: Block; certificate: CommitCertificate | null }[];
  private readonly committedTxs = new Set<number>();
  private readonly speculative = new Map<string, ChainEntry>();
  private headHex: string;
  private tipHex: string;
  /** Arrival-ordered mempool: id -> tx. */
  readonly mempool = new Map<number, Uint8Array>();
  lastPendingReport = { count: 0, bytes: 0 };
  /** Breaches of the driver contract observed by this node (each is a core bug). */
  readonly contractViolations: string[] = [];

  constructor(
    readonly index: number,
    readonly publicKey: Uint8Array,
    readonly chainId: string,
    genesis: BlockHeader,
    private readonly isSubmitted: (id: number) => boolean,
  ) {
    this.chain = [{ block: { header: genesis, txs: [] }, certificate: null }];
    this.headHex = toHex(headerHashOf(genesis));
    this.tipHex = this.headHex;
  }

  get committedHeight(): number {
    return this.chain.length - 1;
  }

  get head(): BlockHeader {
    return this.chain[this.chain.length - 1]!.block.header;
  }

  /** The last `count` committed headers, oldest first (what `restoreReplica` needs). */
  recentHeaders(count: number): BlockHeader[] {
    return this.chain.slice(Math.max(0, this.chain.length - count)).map((e) => e.block.header);
  }

  hasCommitted(id: number): boolean {
    return this.committedTxs.has(id);
  }

  private entry(hex: string): ChainEntry | undefined {
    if (hex === this.headHex) {
      const header = this.head;
      return { header, hex, parentHex: toHex(header.parentHash), txIds: [] };
    }
    return this.speculative.get(hex);
  }

  /** Transaction ids in `hex` and its in-flight ancestors down to (excluding) the committed head. */
  private ancestorTxs(hex: string): Set<number> {
    const out = new Set<number>();
    let cursor = this.speculative.get(hex);
    let guard = 0;
    while (cursor && guard++ < 10_000) {
      for (const id of cursor.txIds) out.add(id);
      cursor = this.speculative.get(cursor.parentHex);
    }
    return out;
  }

  receiveTx(tx: Uint8Array): void {
    const id = txId(tx);
    if (this.committedTxs.has(id) || this.mempool.has(id)) return;
    this.mempool.set(id, tx);
  }

  validate(block: Block): ValidationResult {
    const header = block.header;
    const parentHex = toHex(header.parentHash);
    const parent = this.entry(parentHex);
    if (!parent) {
      this.contractViolations.push(
        `validate ${header.height}: parent ${parentHex.slice(0, 10)} unknown to the node`,
      );
      return { ok: false, reason: 'unknown parent' };
    }
    const result = this.check(block, parent);
    if (result.ok) this.remember(block, parentHex);
    return result;
  }

  private check(block: Block, parent: ChainEntry): ValidationResult {
    const header = block.header;
    if (header.height !== parent.header.height + 1) return { ok: false, reason: 'height' };
    if (header.timestampMs <= parent.header.timestampMs) return { ok: false, reason: 'timestamp' };
    if (!equalBytes(header.receiptsRoot, ZERO_HASH) || !equalBytes(header.provenanceRoot, ZERO_HASH)) {
      return { ok: false, reason: 'roots' };
    }
    const txRoot = simTransactionsRoot(block.txs);
    if (!equalBytes(txRoot, header.transactionsRoot)) return { ok: false, reason: 'transactionsRoot' };
    const used = this.ancestorTxs(parent.hex);
    const seen = new Set<number>();
    for (const tx of block.txs) {
      const id = txId(tx);
      if (!this.isSubmitted(id)) return { ok: false, reason: `tx ${id} was never submitted` };
      if (this.committedTxs.has(id) || used.has(id) || seen.has(id))
        return { ok: false, reason: `tx ${id} reused` };
      seen.add(id);
    }
    if (!equalBytes(header.stateRoot, simStateRoot(parent.header.stateRoot, txRoot))) {
      return { ok: false, reason: 'stateRoot' };
    }
    return { ok: true };
  }

  private remember(block: Block, parentHex: string): void {
    const hex = toHex(headerHashOf(block.header));
    this.speculative.set(hex, { header: block.header, hex, parentHex, txIds: block.txs.map(txId) });
    const tip = this.entry(this.tipHex);
    if (!tip || block.header.height >= tip.header.height) this.tipHex = hex;
  }

  /** Builds and executes a block on `parentHash`, or returns null if nothing can go in it. */
  propose(
    request: { height: number; view: number; parentHash: Uint8Array; maxCount: number; maxBytes: number },
    nowMs: number,
    validators: ValidatorSet,
  ): Block | null {
    const parentHex = toHex(request.parentHash);
    const parent = this.entry(parentHex);
    if (!parent) {
      this.contractViolations.push(
        `propose ${request.height}: parent ${parentHex.slice(0, 10)} unknown to the node`,
      );
      return null;
    }
    this.tipHex = parentHex;
    const used = this.ancestorTxs(parentHex);
    const txs: Uint8Array[] = [];
    let bytes = 0;
    for (const [id, tx] of this.mempool) {
      if (this.committedTxs.has(id) || used.has(id)) continue;
      if (txs.length >= request.maxCount || bytes + tx.length > request.maxBytes) break;
      txs.push(tx);
      bytes += tx.length;
    }
    if (txs.length === 0) return null;
    const transactionsRoot = simTransactionsRoot(txs);
    const header: BlockHeader = {
      chainId: this.chainId,
      height: request.height,
      parentHash: request.parentHash,
      timestampMs: Math.max(nowMs, parent.header.timestampMs + 1),
      proposer: this.publicKey,
      view: request.view,
      transactionsRoot,
      stateRoot: simStateRoot(parent.header.stateRoot, transactionsRoot),
      receiptsRoot: ZERO_HASH,
      provenanceRoot: ZERO_HASH,
      validatorSetHash: validators.hash,
    };
    const block = { header, txs };
    this.remember(block, parentHex);
    return block;
  }

  commit(block: Block, certificate: CommitCertificate): void {
    const header = block.header;
    if (header.height !== this.committedHeight + 1 || toHex(header.parentHash) !== this.headHex) {
      this.contractViolations.push(`commit ${header.height} does not extend head ${this.committedHeight}`);
      return;
    }
    this.chain.push({ block, certificate });
    for (const tx of block.txs) {
      const id = txId(tx);
      this.committedTxs.add(id);
      this.mempool.delete(id);
    }
    this.headHex = toHex(headerHashOf(header));
    for (const [hex, entry] of [...this.speculative]) {
      if (entry.header.height <= header.height) this.speculative.delete(hex);
    }
    const tip = this.speculative.get(this.tipHex);
    if (!tip) this.tipHex = this.headHex;
  }

  /** On `viewChanged`: what is pending is counted again from the committed head. */
  resetTip(): void {
    this.tipHex = this.headHex;
  }

  /** Records a persisted WAL record's votes (see `durableVotes`). */
  notePersisted(record: WalRecord): void {
    if (record.type === 'vote') {
      this.durableVotes.add(`p:${record.view}:${record.height}:${toHex(headerHashOf(record.header))}`);
    } else if (record.type === 'commitVote') {
      this.durableVotes.add(`c:${record.view}:${record.height}:${toHex(record.headerHash)}`);
    } else if (record.type === 'newView') {
      for (const r of record.reproposals) {
        this.durableVotes.add(`p:${record.view}:${r.header.height}:${toHex(headerHashOf(r.header))}`);
      }
    }
  }

  /** After a crash: only committed state survives. */
  loseVolatileState(): void {
    this.durableVotes.clear();
    for (const record of this.wal) this.notePersisted(record);
    this.speculative.clear();
    this.tipHex = this.headHex;
    this.lastPendingReport = { count: -1, bytes: -1 };
  }

  pending(): { count: number; bytes: number } {
    const used = this.ancestorTxs(this.tipHex);
    let count = 0;
    let bytes = 0;
    for (const [id, tx] of this.mempool) {
      if (this.committedTxs.has(id) || used.has(id)) continue;
      count++;
      bytes += tx.length;
    }
    return { count, bytes };
  }

  /** Committed blocks `from..to` with certificates (a state-transfer answer), at most `limit`. */
  blocksForTransfer(
    from: number,
    to: number,
    limit: number,
  ): { block: Block; certificate: CommitCertificate }[] {
    const out: { block: Block; certificate: CommitCertificate }[] = [];
    for (let h = Math.max(1, from); h <= Math.min(to, this.committedHeight) && out.length < limit; h++) {
      const entry = this.chain[h]!;
      out.push({ block: entry.block, certificate: entry.certificate! });
    }
    return out;
  }
}
