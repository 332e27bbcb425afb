/**
 * The consensus write-ahead log on a KvStore. Records are appended in order
 * (key = 8-byte big-endian sequence number) and each `append` resolves only
 * when its records are durable, which is what the PBFT driver's "persist
 * before acting" rule needs. `compact` rewrites the log through the core's
 * `compactWal` in one atomic write, so a crash mid-compaction leaves either the
 * old log or the new one.
 */
import { compactWal, decodeWalRecord, encodeWalRecord, type WalRecord } from '../consensus/pbft/wal.ts';
import type { KvOp, KvStore } from '../store/kv.ts';

function seqKey(seq: number): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, BigInt(seq));
  return key;
}

export class WalStore {
  #nextSeq = 0;
  #records: WalRecord[] = [];
  #sinceCompaction = 0;

  private constructor(private readonly kv: KvStore) {}

  static open(kv: KvStore): WalStore {
    const wal = new WalStore(kv);
    for (const [key, value] of kv.iterate()) {
      wal.#records.push(decodeWalRecord(value));
      wal.#nextSeq = Number(new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0)) + 1;
    }
    return wal;
  }

  /** Every record, oldest first (what `restoreReplica` takes). */
  get records(): readonly WalRecord[] {
    return this.#records;
  }

  async append(records: readonly WalRecord[]): Promise<void> {
    if (records.length === 0) return;
    const ops: KvOp[] = records.map((record) => ({
      type: 'put',
      key: seqKey(this.#nextSeq++),
      value: encodeWalRecord(record),
    }));
    await this.kv.write(ops);
    this.#records.push(...records);
    this.#sinceCompaction += records.length;
  }

  /** Compacts when enough has been appended since the last compaction. */
  async maybeCompact(threshold = 2_000): Promise<void> {
    if (this.#sinceCompaction < threshold) return;
    const kept = compactWal(this.#records);
    const ops: KvOp[] = [];
    for (const [key] of this.kv.iterate()) ops.push({ type: 'del', key });
    this.#nextSeq = 0;
    for (const record of kept)
      ops.push({ type: 'put', key: seqKey(this.#nextSeq++), value: encodeWalRecord(record) });
    await this.kv.write(ops);
    this.#records = kept;
    this.#sinceCompaction = 0;
  }
}
