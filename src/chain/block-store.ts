/**
 * The block store: committed blocks, their commit certificates and receipts,
 * indexed by height, header hash and transaction hash. One `append` is one
 * atomic, durable KV write, so after a crash the store holds a prefix of the
 * chain with nothing half-written, and `head()` names its last block.
 *
 * Layout (under the store's own prefix):
 * - `h/<height:8 BE>`  -> RLP header
 * - `b/<height:8 BE>`  -> RLP list of encoded transactions
 * - `c/<height:8 BE>`  -> RLP commit certificate (absent for genesis)
 * - `r/<height:8 BE>`  -> RLP list of encoded receipts
 * - `x/<header hash>`  -> height
 * - `t/<tx hash>`      -> RLP [height, index]
 * - `head`             -> height of the last appended block
 *
 * Contract: `append` accepts only the block at `head + 1` whose parent hash is
 * the head's hash (genesis first); anything else is a bug in the caller.
 */
import { concatBytes, equalBytes, utf8 } from '../codec/bytes.ts';
import { decodeRlpItem, encodeRlpItem, rlpListItemAt, rlpListLength } from '../codec/rlp.ts';
import { bytes, decode, encode, list, struct, uint } from '../codec/schema.ts';
import { CommitCertificateCodec } from '../consensus/pbft/messages.ts';
import type { CommitCertificate } from '../consensus/pbft/types.ts';
import { assert, DecodeError } from '../errors.ts';
import type { Receipt } from '../exec/receipt.ts';
import { decodeReceipt } from '../exec/receipt.ts';
import type { KvOp, KvStore } from '../store/kv.ts';
import { type BlockHeader, decodeHeader, encodeHeader, hashHeader } from './header.ts';
import { MAX_TX_BYTES } from './transaction.ts';

const TxListCodec = list(bytes({ maxLength: MAX_TX_BYTES }), 1_000_000);
const ReceiptListCodec = list(bytes(), 1_000_000);
const TxLocationCodec = struct({ height: uint, index: uint });

export interface StoredBlock {
  readonly header: BlockHeader;
  readonly hash: Uint8Array;
  readonly txs: readonly Uint8Array[];
  readonly certificate: CommitCertificate | undefined;
}

function heightKey(tag: string, height: number): Uint8Array {
  const key = new Uint8Array(tag.length + 9);
  key.set(utf8(tag), 0);
  key[tag.length] = 0x2f; // '/'
  new DataView(key.buffer).setBigUint64(tag.length + 1, BigInt(height));
  return key;
}

const HEAD_KEY = utf8('head');

export class BlockStore {
  #headHeight: number | undefined;
  #headHash: Uint8Array | undefined;

  constructor(private readonly kv: KvStore) {
    const raw = kv.get(HEAD_KEY);
    if (raw !== undefined) {
      this.#headHeight = uint.decode(decodeRlpItem(raw, 16, 'head'), 'head');
      this.#headHash = hashHeader(this.headerAt(this.#headHeight)!);
    }
  }

  /** Height of the last block, or undefined before genesis is stored. */
  get height(): number | undefined {
    return this.#headHeight;
  }

  get headHash(): Uint8Array | undefined {
    return this.#headHash;
  }

  async append(
    header: BlockHeader,
    txs: readonly Uint8Array[],
    certificate: CommitCertificate | undefined,
    /** The receipts' RLP encodings, as hashed into the header's receipts root. */
    encodedReceipts: readonly Uint8Array[],
    txHashes: readonly Uint8Array[],
  ): Promise<void> {
    const expectedHeight = this.#headHeight === undefined ? 0 : this.#headHeight + 1;
    assert(
      header.height === expectedHeight,
      `block store expects height ${expectedHeight}, got ${header.height}`,
    );
    if (this.#headHash)
      assert(equalBytes(header.parentHash, this.#headHash), 'appended block does not extend the head');
    assert(
      txs.length === encodedReceipts.length && txs.length === txHashes.length,
      'one receipt and hash per transaction',
    );
    const hash = hashHeader(header);
    const ops: KvOp[] = [
      { type: 'put', key: heightKey('h', header.height), value: encodeHeader(header) },
      { type: 'put', key: heightKey('b', header.height), value: encode(TxListCodec, txs as Uint8Array[]) },
      {
        type: 'put',
        key: heightKey('r', header.height),
        value: encode(ReceiptListCodec, encodedReceipts as Uint8Array[]),
      },
      { type: 'put', key: concatBytes(utf8('x/'), hash), value: encodeRlpItem(uint.encode(header.height)) },
      { type: 'put', key: HEAD_KEY, value: encodeRlpItem(uint.encode(header.height)) },
    ];
    if (certificate) {
      ops.push({
        type: 'put',
        key: heightKey('c', header.height),
        value: encode(CommitCertificateCodec, certificate as never),
      });
    }
    txHashes.forEach((txHash, index) => {
      ops.push({
        type: 'put',
        key: concatBytes(utf8('t/'), txHash),
        value: encode(TxLocationCodec, { height: header.height, index }),
      });
    });
    await this.kv.write(ops);
    this.#headHeight = header.height;
    this.#headHash = hash;
  }

  headerAt(height: number): BlockHeader | undefined {
    const raw = this.kv.get(heightKey('h', height));
    return raw === undefined ? undefined : decodeHeader(raw);
  }

  txsAt(height: number): Uint8Array[] | undefined {
    const raw = this.kv.get(heightKey('b', height));
    return raw === undefined ? undefined : decode(TxListCodec, raw, 'stored transactions');
  }

  certificateAt(height: number): CommitCertificate | undefined {
    const raw = this.kv.get(heightKey('c', height));
    return raw === undefined
      ? undefined
      : (decode(CommitCertificateCodec, raw, 'stored certificate') as CommitCertificate);
  }

  /** How many transactions the block at `height` holds, read without decoding them. */
  txCountAt(height: number): number | undefined {
    const raw = this.kv.get(heightKey('b', height));
    return raw === undefined ? undefined : rlpListLength(raw, 'stored transactions');
  }

  /** Transaction `index` of the block at `height`, read without decoding the block's other transactions. */
  txAt(height: number, index: number): Uint8Array | undefined {
    return this.#itemAt(heightKey('b', height), index, 'stored transactions');
  }

  /** Receipt `index` of the block at `height`, read without decoding the block's other receipts. */
  receiptAt(height: number, index: number): Receipt | undefined {
    const encoded = this.#itemAt(heightKey('r', height), index, 'stored receipts');
    return encoded === undefined ? undefined : decodeReceipt(encoded);
  }

  #itemAt(key: Uint8Array, index: number, what: string): Uint8Array | undefined {
    const raw = this.kv.get(key);
    if (raw === undefined) return undefined;
    const item = rlpListItemAt(raw, index, what);
    if (!(item instanceof Uint8Array))
      throw new DecodeError('RLP_INVALID', `${what}: item ${index} is not bytes`);
    return item;
  }

  receiptsAt(height: number): Receipt[] | undefined {
    return this.encodedReceiptsAt(height)?.map(decodeReceipt);
  }

  /** The receipts of the block at `height` as hashed into its receipts root. */
  encodedReceiptsAt(height: number): Uint8Array[] | undefined {
    const raw = this.kv.get(heightKey('r', height));
    return raw === undefined ? undefined : decode(ReceiptListCodec, raw, 'stored receipts');
  }

  blockAt(height: number): StoredBlock | undefined {
    const header = this.headerAt(height);
    if (!header) return undefined;
    return {
      header,
      hash: hashHeader(header),
      txs: this.txsAt(height) ?? [],
      certificate: this.certificateAt(height),
    };
  }

  heightOf(headerHash: Uint8Array): number | undefined {
    const raw = this.kv.get(concatBytes(utf8('x/'), headerHash));
    return raw === undefined ? undefined : uint.decode(decodeRlpItem(raw, 16, 'height'), 'height');
  }

  txLocation(txHash: Uint8Array): { height: number; index: number } | undefined {
    const raw = this.kv.get(concatBytes(utf8('t/'), txHash));
    return raw === undefined ? undefined : decode(TxLocationCodec, raw, 'tx location');
  }
}
