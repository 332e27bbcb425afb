/**
 * `ProvenanceClient`: the provenance part of the SDK (routes-provenance.ts), on top of a
 * `MeridianClient`. Browser-safe.
 *
 * Publishing is two steps, in this order: `anchor` (the entry hashes, in `provenance.anchor`
 * transactions, waiting until they commit), then `putRecords` (the full records, which the node
 * accepts only once their hashes are anchored). `publish` does both. `verify` fetches a proof
 * bundle and checks it HERE (light/provenance-verify.ts), trusting only the validator set of the
 * genesis it is given (or the bundle's own, which the verdict then says).
 */
import type { Genesis } from '../../chain/genesis.ts';
import { encodeTx, signTx } from '../../chain/transaction.ts';
import { utf8 } from '../../codec/bytes.ts';
import type { SigningKeyPair } from '../../crypto/ed25519.ts';
import { type ProvenanceVerdict, verifyProvenanceBundle } from '../../light/provenance-verify.ts';
import {
  MAX_ANCHOR_ENTRIES_PER_TX,
  MAX_ANCHOR_PAYLOAD_BYTES,
} from '../../modules/provenance/anchor-module.ts';
import { entryHashHex } from '../../modules/provenance/entry.ts';
import type { ProvenanceEntry } from '../../modules/provenance/model.ts';
import { MAX_API_BODY_BYTES } from '../limits.ts';
import type { RecordSearch } from '../routes-provenance.ts';
import { MAX_TX_BATCH, type TxStatusJson } from '../schemas.ts';
import {
  type AnchorHistoryJson,
  type FootprintResponseJson,
  type LineageResponseJson,
  MAX_RECORDS_PER_REQUEST,
  type ProvenanceBundleJson,
  type ProvenanceRecordJson,
  type PutRecordResultJson,
  type RecordSummaryJson,
} from '../schemas-provenance.ts';
import type { MeridianClient } from './client.ts';
import { MeridianClientError } from './errors.ts';
import { HttpTransport } from './http.ts';

export interface AnchorResult {
  /** The committed anchoring transactions, in order. */
  readonly txs: readonly TxStatusJson[];
  /** Heights of the blocks that hold them (ascending, distinct). */
  readonly heights: readonly number[];
  readonly anchored: number;
  /** Entries whose hash was already the latest anchored one (nothing to do). */
  readonly unchanged: number;
}

export interface PublishResult extends AnchorResult {
  readonly records: readonly PutRecordResultJson[];
}

/** Bytes of one `{uri, hash, version}` item in an anchor payload (JSON), with its separator. */
function anchorItemBytes(uri: string): number {
  return uri.length + 120;
}

/** Splits entries (in URI order) into anchor payloads within the per-transaction limits. */
export function anchorBatches(
  entries: readonly ProvenanceEntry[],
): { uri: string; hash: string; version: number }[][] {
  // URI order: an entity always comes before (or with) the entries below it, as the module requires.
  const sorted = [...entries].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  const batches: { uri: string; hash: string; version: number }[][] = [];
  let current: { uri: string; hash: string; version: number }[] = [];
  let bytes = 16;
  for (const entry of sorted) {
    const size = anchorItemBytes(entry.uri);
    if (current.length >= MAX_ANCHOR_ENTRIES_PER_TX || bytes + size > MAX_ANCHOR_PAYLOAD_BYTES - 1024) {
      batches.push(current);
      current = [];
      bytes = 16;
    }
    current.push({ uri: entry.uri, hash: entryHashHex(entry), version: entry.version });
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export class ProvenanceClient {
  readonly #client: MeridianClient;
  readonly #http: HttpTransport;

  constructor(client: MeridianClient, options: ConstructorParameters<typeof HttpTransport>[1] = {}) {
    this.#client = client;
    this.#http = new HttpTransport(client.baseUrl, options);
  }

  /**
   * Anchors the entries' hashes: one `provenance.anchor` transaction per batch of
   * `MAX_ANCHOR_ENTRIES_PER_TX` entries (URI order, so a dataset's entries go together and an
   * entity before what is below it), all sent before waiting, then waits for every one to commit.
   * Throws `ANCHOR_FAILED` if a transaction committed with an error receipt.
   */
  async anchor(
    entries: readonly ProvenanceEntry[],
    signer: SigningKeyPair,
    options: { timeoutMs?: number } = {},
  ): Promise<AnchorResult> {
    // Signed here with consecutive nonces and admitted in as few requests as the body limit
    // allows, so a dataset's batches usually reach the same block.
    const [{ chainId }, { nonce }] = await Promise.all([
      this.#client.status(),
      this.#client.account(signer.publicKey),
    ]);
    const signed = anchorBatches(entries).map((batch, i) =>
      encodeTx(
        signTx(
          {
            chainId,
            sender: signer.publicKey,
            nonce: nonce + i,
            kind: 'provenance.anchor',
            payload: utf8(JSON.stringify({ entries: batch })),
          },
          signer.secretKey,
        ),
      ),
    );
    const hashes: string[] = [];
    const budget = MAX_API_BODY_BYTES - 16 * 1024;
    for (let i = 0; i < signed.length; ) {
      const request: Uint8Array[] = [];
      let bytes = 0;
      while (
        i < signed.length &&
        request.length < MAX_TX_BATCH &&
        (request.length === 0 || bytes + 2 * signed[i]!.length + 4 <= budget)
      ) {
        bytes += 2 * signed[i]!.length + 4;
        request.push(signed[i++]!);
      }
      const { results } = await this.#client.submitTxBatch(request);
      for (const result of results) {
        if (result.status === 'rejected') {
          throw new MeridianClientError(
            'ANCHOR_FAILED',
            `the node refused an anchoring transaction: ${result.error.code} ${result.error.message}`,
            {
              hint: result.error.hint ?? 'see the error code',
            },
          );
        }
        hashes.push(result.hash);
      }
    }
    const txs = await Promise.all(
      hashes.map((hash) => this.#client.waitForTx(hash, { timeoutMs: options.timeoutMs ?? 60_000 })),
    );
    let anchored = 0;
    let unchanged = 0;
    for (const tx of txs) {
      if (tx.receipt?.status !== 'ok') {
        throw new MeridianClientError(
          'ANCHOR_FAILED',
          `anchoring transaction ${tx.hash} failed: ${tx.receipt?.errorCode} ${tx.receipt?.errorMessage}`,
          { hint: 'see the error code; earlier batches of this call may have been anchored' },
        );
      }
      const result = tx.receipt.result as { anchored?: number; unchanged?: number } | undefined;
      anchored += result?.anchored ?? 0;
      unchanged += result?.unchanged ?? 0;
    }
    const heights = [...new Set(txs.map((t) => t.height!))].sort((a, b) => a - b);
    return { txs, heights, anchored, unchanged };
  }

  /**
   * Sends full records to the node (after `anchor`), in requests within the API's body and count
   * limits. One result per record, in order; a `rejected` one carries its error.
   */
  async putRecords(records: readonly ProvenanceEntry[]): Promise<PutRecordResultJson[]> {
    const results: PutRecordResultJson[] = [];
    const budget = MAX_API_BODY_BYTES - 64 * 1024;
    let batch: ProvenanceEntry[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const records = batch;
      batch = [];
      bytes = 0;
      const answer = await this.#http.post<{ results: PutRecordResultJson[] }>(
        '/v1/provenance/records',
        { records },
        [200],
      );
      results.push(...answer.results);
    };
    for (const record of records) {
      const size = utf8(JSON.stringify(record)).length + 1;
      if (batch.length >= MAX_RECORDS_PER_REQUEST || bytes + size > budget) await flush();
      batch.push(record);
      bytes += size;
    }
    await flush();
    return results;
  }

  /** `anchor`, then `putRecords`. */
  async publish(entries: readonly ProvenanceEntry[], signer: SigningKeyPair): Promise<PublishResult> {
    const anchored = await this.anchor(entries, signer);
    return { ...anchored, records: await this.putRecords(entries) };
  }

  record(uri: string, version?: number): Promise<ProvenanceRecordJson> {
    return this.#http.get('/v1/provenance/record', { uri, version });
  }

  anchors(uri: string): Promise<AnchorHistoryJson> {
    return this.#http.get('/v1/provenance/anchors', { uri });
  }

  /** The proof bundle of `uri` (single: one version; comprehensive: it and everything below it). */
  /**
   * The proof bundle of `uri`. Single: one version, proven in its anchoring block (one certified
   * header); with `latest`, also that no later version exists at the head (a second one).
   * Comprehensive: the URI and everything below it, as of the head.
   */
  proof(
    uri: string,
    options: { comprehensive?: boolean; version?: number; latest?: boolean } = {},
  ): Promise<ProvenanceBundleJson> {
    return this.#http.get('/v1/provenance/proof', {
      uri,
      comprehensive: options.comprehensive ? true : undefined,
      version: options.version,
      latest: options.latest ? true : undefined,
    });
  }

  /** Fetches the proof bundle and verifies it locally. */
  async verify(
    uri: string,
    options: { comprehensive?: boolean; version?: number; latest?: boolean; trustedGenesis?: Genesis } = {},
  ): Promise<ProvenanceVerdict> {
    const bundle = await this.proof(uri, options);
    return verifyProvenanceBundle(
      bundle,
      options.trustedGenesis === undefined ? {} : { trustedGenesis: options.trustedGenesis },
    );
  }

  lineage(uri: string, options: { maxDepth?: number } = {}): Promise<LineageResponseJson> {
    return this.#http.get('/v1/provenance/lineage', { uri, maxDepth: options.maxDepth });
  }

  /** Everything the activity that generated `uri` (or the activity `uri`) touched. */
  footprint(uri: string): Promise<FootprintResponseJson> {
    return this.#http.get('/v1/provenance/footprint', { uri });
  }

  async search(filter: Partial<RecordSearch>): Promise<RecordSummaryJson[]> {
    const { records } = await this.#http.get<{ records: RecordSummaryJson[] }>('/v1/provenance/records', {
      dataset: filter.dataset,
      activity: filter.activity,
      agent: filter.agent,
      kind: filter.kind,
      granularity: filter.granularity,
      from: filter.from,
      to: filter.to,
      after: filter.after?.uri,
      afterVersion: filter.after?.version,
      limit: filter.limit,
    });
    return records;
  }
}
