/**
 * The mempool: transactions that passed validation at this node and wait for a
 * block. Each transaction is validated once per node (size, chain id,
 * signature, nonce window); a backup that receives a PRE-PREPARE can skip the
 * signature check for any transaction the mempool has already verified
 * (`hasVerified`).
 *
 * Ordering: per sender by nonce; `selectBatch` takes, round-robin over senders
 * in arrival order, only transactions whose nonce is the next one the
 * (speculative) state expects, so a batch never contains a nonce gap.
 *
 * Bounds: `maxCount` transactions and `maxBytes` encoded bytes in total, and
 * `maxPerSender` per sender; past them `add` throws `MEMPOOL_FULL` (the
 * client should retry later) instead of growing.
 *
 * Ready transactions: a sender's pooled transactions from its committed nonce
 * on, up to its first missing nonce, are *ready* (a block could carry them);
 * any after a gap wait for the missing nonce. `readyCount`/`readyBytes` are kept
 * up to date incrementally, so consensus is told only about work it can do: a
 * pool of gapped transactions is not "work waiting" (it once made a primary
 * propose empty batches in a loop and replicas suspect a primary with nothing
 * to propose).
 */
import { equalBytes, toHex } from '../codec/bytes.ts';
import { ValidationError } from '../errors.ts';
import {
  checkTxChain,
  checkTxSignature,
  encodeTx,
  MAX_TX_BYTES,
  type SignedTx,
  txHash,
} from './transaction.ts';

export const DEFAULT_MEMPOOL_MAX_COUNT = 50_000;
export const DEFAULT_MEMPOOL_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MEMPOOL_MAX_PER_SENDER = 1_024;
/** A transaction whose nonce is this far ahead of the sender's committed nonce is refused. */
export const MAX_NONCE_GAP = 1_024;
/** A transaction still waiting behind a nonce gap this long after it came in is dropped (`expireGapped`). */
export const DEFAULT_GAP_TTL_MS = 120_000;
/**
 * Verified-signature memory: transactions verified here (pooled ones, and ones checked while
 * validating a proposal), each forgotten when a committed block carries it (its nonce is then
 * spent, so no valid block can carry it again). The limit bounds what proposals that never
 * commit leave behind. It used to keep committed ones too, up to 200,000 entries (tens of MB)
 * that no check could ask about again.
 */
const VERIFIED_CACHE_LIMIT = 200_000;

export interface MempoolOptions {
  readonly chainId: string;
  /** The next nonce the committed state expects from `sender` (0 for a new sender). */
  readonly committedNonce: (sender: Uint8Array) => number;
  readonly maxCount?: number;
  readonly maxBytes?: number;
  readonly maxPerSender?: number;
  /** How long a transaction may wait behind a nonce gap (default `DEFAULT_GAP_TTL_MS`). */
  readonly gapTtlMs?: number;
  /** Milliseconds clock for `gapTtlMs` (default `Date.now`). */
  readonly now?: () => number;
}

export interface PooledTx {
  readonly tx: SignedTx;
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly encoded: Uint8Array;
  readonly senderHex: string;
  /** When this pool took it (the `now` clock). */
  readonly addedAtMs: number;
}

export interface BatchLimits {
  readonly maxCount: number;
  readonly maxBytes: number;
  /** Next nonce per sender in the speculative state the batch will execute on (defaults to committed). */
  readonly nextNonce?: (senderHex: string, sender: Uint8Array) => number;
  /** Hashes already in in-flight (proposed, not yet committed) ancestor blocks. */
  readonly exclude?: ReadonlySet<string>;
  /**
   * A per-block budget beyond count and bytes (e.g. contract gas): each
   * transaction costs `cost(tx)`; a sender whose next transaction does not fit
   * contributes nothing more to this batch (its later nonces cannot skip it).
   */
  readonly budget?: { readonly limit: number; readonly cost: (pooled: PooledTx) => number };
}

export class Mempool {
  private readonly options: Required<Omit<MempoolOptions, 'chainId' | 'committedNonce'>> & MempoolOptions;
  /** sender hex -> (nonce -> tx) */
  private readonly bySender = new Map<string, Map<number, PooledTx>>();
  private readonly byHash = new Map<string, PooledTx>();
  /** sender hex -> its ready run: the first nonce not ready (`end`) and the run's count and bytes. */
  private readonly ready = new Map<string, { end: number; count: number; bytes: number }>();
  private readyTotal = 0;
  private readyBytesTotal = 0;
  /** Transaction id -> the signature verified for it (the same body with other signature bytes is not vouched for). */
  private readonly verified = new Map<string, Uint8Array>();
  private totalBytes = 0;

  constructor(options: MempoolOptions) {
    this.options = {
      maxCount: DEFAULT_MEMPOOL_MAX_COUNT,
      maxBytes: DEFAULT_MEMPOOL_MAX_BYTES,
      maxPerSender: DEFAULT_MEMPOOL_MAX_PER_SENDER,
      gapTtlMs: DEFAULT_GAP_TTL_MS,
      now: Date.now,
      ...options,
    };
  }

  get size(): number {
    return this.byHash.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Pooled transactions that a block could carry now (no nonce gap before them). */
  get readyCount(): number {
    return this.readyTotal;
  }

  /** Encoded bytes of the ready transactions. */
  get readyBytes(): number {
    return this.readyBytesTotal;
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  get(hashHex: string): PooledTx | undefined {
    return this.byHash.get(hashHex);
  }

  /**
   * True if this node already verified exactly this signature over the body
   * with this hash. Keyed by both: the same body with other signature bytes
   * (an invalid one) is not vouched for.
   */
  hasVerified(hashHex: string, signature: Uint8Array): boolean {
    const verified = this.verified.get(hashHex);
    return verified !== undefined && equalBytes(verified, signature);
  }

  /** Records that a transaction's signature was verified here (e.g. while validating a block). */
  markVerified(hashHex: string, signature: Uint8Array): void {
    if (this.verified.size >= VERIFIED_CACHE_LIMIT && !this.verified.has(hashHex)) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(hashHex, ownBytes(signature));
  }

  /**
   * Validates and adds a transaction. Returns false if it was already pooled
   * (a duplicate, not an error). Throws `ValidationError` with codes
   * `TX_TOO_LARGE`, `TX_WRONG_CHAIN`, `TX_BAD_SIGNATURE`, `TX_NONCE_TOO_LOW`,
   * `TX_NONCE_TOO_HIGH`, `TX_NONCE_CONFLICT`, `MEMPOOL_FULL`.
   */
  add(tx: SignedTx, encoded: Uint8Array = encodeTx(tx), hash: Uint8Array = txHash(tx.body)): boolean {
    const hashHex = toHex(hash);
    if (this.byHash.has(hashHex)) return false;
    if (encoded.length > MAX_TX_BYTES) {
      throw new ValidationError(
        'TX_TOO_LARGE',
        `transaction is ${encoded.length} bytes; the limit is ${MAX_TX_BYTES}`,
      );
    }
    checkTxChain(tx, this.options.chainId);
    const senderHex = toHex(tx.body.sender);
    const committed = this.options.committedNonce(tx.body.sender);
    if (tx.body.nonce < committed) {
      throw new ValidationError(
        'TX_NONCE_TOO_LOW',
        `nonce ${tx.body.nonce} was already used; the sender's next nonce is ${committed}`,
        {
          hint: 'fetch the account nonce (GET /v1/accounts/{key}) and sign again',
        },
      );
    }
    if (tx.body.nonce >= committed + MAX_NONCE_GAP) {
      throw new ValidationError(
        'TX_NONCE_TOO_HIGH',
        `nonce ${tx.body.nonce} is more than ${MAX_NONCE_GAP} ahead of the next nonce ${committed}`,
        {
          hint: 'send the missing lower nonces first',
        },
      );
    }
    const queue = this.bySender.get(senderHex);
    if (queue?.has(tx.body.nonce)) {
      throw new ValidationError(
        'TX_NONCE_CONFLICT',
        `another transaction with nonce ${tx.body.nonce} from this sender is already pending`,
        {
          hint: 'wait for it to commit, then use the next nonce',
        },
      );
    }
    if (
      this.byHash.size >= this.options.maxCount ||
      this.totalBytes + encoded.length > this.options.maxBytes ||
      (queue?.size ?? 0) >= this.options.maxPerSender
    ) {
      throw new ValidationError('MEMPOOL_FULL', 'the mempool is full', {
        hint: 'retry in a moment; the network is committing transactions as fast as it can',
      });
    }
    if (!this.hasVerified(hashHex, tx.signature)) {
      checkTxSignature(tx);
      this.markVerified(hashHex, tx.signature);
    }
    const pooled: PooledTx = {
      tx,
      hash,
      hashHex,
      encoded: ownBytes(encoded),
      senderHex,
      addedAtMs: this.options.now(),
    };
    if (queue) queue.set(tx.body.nonce, pooled);
    else this.bySender.set(senderHex, new Map([[tx.body.nonce, pooled]]));
    this.byHash.set(hashHex, pooled);
    this.totalBytes += encoded.length;
    const run = this.ready.get(senderHex);
    if (run === undefined) this.refreshReady(senderHex, tx.body.sender);
    else if (tx.body.nonce === run.end) this.extendReady(senderHex, run);
    return true;
  }

  /** Recomputes a sender's ready run from its committed nonce (after commits moved it). */
  private refreshReady(senderHex: string, sender: Uint8Array): void {
    const old = this.ready.get(senderHex);
    if (old) {
      this.readyTotal -= old.count;
      this.readyBytesTotal -= old.bytes;
    }
    const queue = this.bySender.get(senderHex);
    if (!queue) {
      this.ready.delete(senderHex);
      return;
    }
    const run = { end: this.options.committedNonce(sender), count: 0, bytes: 0 };
    this.ready.set(senderHex, run);
    this.extendReady(senderHex, run);
  }

  /** Grows a sender's ready run over the nonces now pooled right after it. */
  private extendReady(senderHex: string, run: { end: number; count: number; bytes: number }): void {
    const queue = this.bySender.get(senderHex);
    for (let next = queue?.get(run.end); next !== undefined; next = queue!.get(run.end)) {
      run.end++;
      run.count++;
      run.bytes += next.encoded.length;
      this.readyTotal++;
      this.readyBytesTotal += next.encoded.length;
    }
  }

  /**
   * Picks up to `maxCount` transactions / `maxBytes` bytes that can execute in
   * order on the given speculative state: per sender, consecutive nonces from
   * the sender's next nonce; senders served round-robin in arrival order.
   */
  selectBatch(limits: BatchLimits): PooledTx[] {
    const out: PooledTx[] = [];
    let bytes = 0;
    let spent = 0;
    const cursors: { senderHex: string; queue: Map<number, PooledTx>; next: number; blocked: boolean }[] = [];
    for (const [senderHex, queue] of this.bySender) {
      const first = queue.values().next().value as PooledTx | undefined;
      if (!first) continue;
      const next = limits.nextNonce
        ? limits.nextNonce(senderHex, first.tx.body.sender)
        : this.options.committedNonce(first.tx.body.sender);
      cursors.push({ senderHex, queue, next, blocked: false });
    }
    let progressed = true;
    while (progressed && out.length < limits.maxCount) {
      progressed = false;
      for (const cursor of cursors) {
        if (out.length >= limits.maxCount) break;
        let pooled = cursor.queue.get(cursor.next);
        // Skip transactions already carried by an in-flight ancestor block.
        while (pooled && limits.exclude?.has(pooled.hashHex)) {
          cursor.next++;
          pooled = cursor.queue.get(cursor.next);
        }
        if (!pooled || cursor.blocked || bytes + pooled.encoded.length > limits.maxBytes) continue;
        const cost = limits.budget ? limits.budget.cost(pooled) : 0;
        if (limits.budget && spent + cost > limits.budget.limit) {
          cursor.blocked = true;
          continue;
        }
        spent += cost;
        out.push(pooled);
        bytes += pooled.encoded.length;
        cursor.next++;
        progressed = true;
      }
    }
    return out;
  }

  /**
   * Drops transactions that have waited behind a nonce gap for longer than `gapTtlMs` (their
   * sender never sent the missing nonce, or it was refused); returns how many. They are not
   * work (see `readyCount`), but would otherwise hold pool space forever.
   */
  expireGapped(): number {
    const oldest = this.options.now() - this.options.gapTtlMs;
    let dropped = 0;
    for (const [senderHex, queue] of [...this.bySender]) {
      const run = this.ready.get(senderHex)!; // every pooled sender has a run (`add`)
      if (queue.size === run.count) continue; // nothing gapped
      for (const pooled of [...queue.values()]) {
        if (pooled.tx.body.nonce >= run.end && pooled.addedAtMs < oldest) {
          this.delete(pooled);
          dropped++;
        }
      }
    }
    return dropped;
  }

  /**
   * Removes committed transactions, then drops any whose nonce the committed state has passed.
   * `senders[i]` is the sender of `hashes[i]`: a sender whose transaction this pool never held
   * still had its committed nonce moved, so transactions waiting here behind a gap may have
   * become ready. (Only those senders are rendered as hex; pooled ones are known.)
   */
  removeCommitted(hashes: readonly string[], senders: readonly Uint8Array[] = []): void {
    const touched = new Set<string>();
    for (let i = 0; i < hashes.length; i++) {
      const hashHex = hashes[i]!;
      this.verified.delete(hashHex);
      const pooled = this.byHash.get(hashHex);
      if (pooled) {
        this.delete(pooled);
        touched.add(pooled.senderHex);
      } else if (senders[i] !== undefined) {
        touched.add(toHex(senders[i]!));
      }
    }
    for (const senderHex of touched) {
      const queue = this.bySender.get(senderHex);
      if (!queue) continue;
      const first = queue.values().next().value as PooledTx | undefined;
      if (!first) continue;
      const committed = this.options.committedNonce(first.tx.body.sender);
      for (const pooled of [...queue.values()]) if (pooled.tx.body.nonce < committed) this.delete(pooled);
      this.refreshReady(senderHex, first.tx.body.sender);
    }
  }

  private delete(pooled: PooledTx): void {
    this.byHash.delete(pooled.hashHex);
    this.totalBytes -= pooled.encoded.length;
    const queue = this.bySender.get(pooled.senderHex);
    queue?.delete(pooled.tx.body.nonce);
    const run = this.ready.get(pooled.senderHex);
    if (run && pooled.tx.body.nonce < run.end) {
      // Only the run's first transaction leaves this way (commits go in nonce order): the rest stays ready.
      run.count--;
      run.bytes -= pooled.encoded.length;
      this.readyTotal--;
      this.readyBytesTotal -= pooled.encoded.length;
    }
    if (queue && queue.size === 0) {
      this.bySender.delete(pooled.senderHex);
      if (run) {
        this.readyTotal -= run.count;
        this.readyBytesTotal -= run.bytes;
        this.ready.delete(pooled.senderHex);
      }
    }
  }
}

/**
 * `bytes`, copied when it is a view of a larger buffer: decoded network frames hand out views
 * into one copy of the whole frame (`decodeRlpItem`), and what the pool keeps for long must not
 * keep a frame alive (its limits count the transactions' own bytes).
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
