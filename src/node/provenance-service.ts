/**
 * The node side of provenance (seed 001): the SQL store of full records (PGlite under the node
 * directory by default, PostgreSQL when node.json says so), the index of what the chain anchored,
 * record upload, proof bundles, and the lineage/footprint/search queries. Implements the API's
 * `ProvenanceApi`.
 *
 * Contract:
 * - The anchor index follows the committed chain once the store is open: every block that anchored
 *   something is indexed, in height order, from the anchors its execution produced or else from its
 *   persisted trie (blocks committed before the store opened, or while the node was down, are
 *   picked up when it opens). A failure is logged and retried at the next commit.
 * - A record is stored only if its recomputed hash is anchored for its URI at its version (the
 *   index is brought up to the head first, so "anchor, wait for commit, then upload" works on any
 *   node that has committed the block).
 * - Bundles are built from the chain (tries and certified headers), never from the index, so a
 *   damaged database can make records fail verification but cannot make a proof lie.
 * - The SQL store opens on the first provenance request (upload, record, history, bundle, query),
 *   not before: a validator nobody asks about provenance never pays for it. PGlite's start-up is
 *   seconds of CPU on the node's own thread, and keeping the index costs a validator about a
 *   quarter of its CPU while a chain anchors at full speed (measured on a 4-validator devnet,
 *   5 producers: 112-153 µs of CPU per entry with the index on every validator, 78-89 µs with it
 *   on the records node only). The first request pays the catch-up instead (reading the tries of
 *   the anchoring blocks since the last run); every commit after it is indexed as it happens.
 */
import { join } from 'node:path';
import { certificateJson, headerJson } from '../api/json-views.ts';
import type { ProvenanceApi, RecordSearch } from '../api/routes-provenance.ts';
import type {
  AnchorHistoryJson,
  BundleRecordJson,
  FootprintResponseJson,
  LineageResponseJson,
  ProvenanceBundleJson,
  ProvenanceRecordJson,
  PutRecordResultJson,
  PutRecordsResponseJson,
  RecordSummaryJson,
} from '../api/schemas-provenance.ts';
import type { BlockStore } from '../chain/block-store.ts';
import { type Genesis, genesisHash } from '../chain/genesis.ts';
import type { BlockHeader } from '../chain/header.ts';
import type { ValidatorSet } from '../chain/validator-set.ts';
import { equalBytes, toHex, utf8 } from '../codec/bytes.ts';
import { sha256 } from '../crypto/sha256.ts';
import { assert, MeridianError, NotFoundError, ValidationError } from '../errors.ts';
import type { ProvenanceAnchor } from '../exec/execute.ts';
import {
  type AnchoredState,
  anchorWorldStateKey,
  decodeAnchorState,
} from '../modules/provenance/anchor-state.ts';
import { MAX_RELATIONS_PER_ENTRY, validateEntry, validateRecord } from '../modules/provenance/entry.ts';
import type { ProvenanceEntry } from '../modules/provenance/model.ts';
import { lineageFromStore, touchedByFromStore } from '../modules/provenance/record-queries.ts';
import {
  ProvenanceRecordStore,
  type RecordToStore,
  type StoredRecord,
} from '../modules/provenance/record-store.ts';
import { subtreePrefix, validateUri } from '../modules/provenance/uri.ts';
import type { KvStore } from '../store/kv.ts';
import { openSqlStore, type SqlStoreConfig } from '../store/open-sql.ts';
import type { SqlStore } from '../store/sql.ts';
import { createProof, createSubtreeProof, EMPTY_TRIE_ROOT, MerklePatriciaTrie } from '../trie/index.ts';
import type { Logger } from './logger.ts';
import { TurnSlicedQueue } from './turn-sliced-queue.ts';

/** Where a node keeps its records when node.json has no `sql` field: PGlite in `<node dir>/records-db`. */
export function defaultSqlConfig(nodeDir: string): SqlStoreConfig {
  return { kind: 'pglite', dataDir: join(nodeDir, 'records-db') };
}

export interface ProvenanceServiceDeps {
  readonly genesis: Genesis;
  readonly blocks: BlockStore;
  /** The trie node store (world state and per-block provenance tries). */
  readonly nodes: KvStore;
  /** The validator set that certifies a height. */
  readonly validators: (height: number) => ValidatorSet;
  /**
   * The committed world state at a height (`ChainState.stateAt`): recent states live in memory,
   * not in `nodes`; the states of blocks that anchor provenance are always kept.
   */
  readonly stateAt: (height: number) => MerklePatriciaTrie;
  /**
   * Height of the committed head (`ChainState.head`). Not the block store's height: a commit
   * appends the block before it makes the block the head (and keeps its state), so in between
   * the block store is one ahead of the states `stateAt` holds.
   */
  readonly committedHeight: () => number;
  readonly logger: Logger;
  /** Opens the SQL store (e.g. `() => openSqlStore(config)`); the service closes it. */
  readonly openSql: () => Promise<SqlStore>;
}

/** Opens a service whose SQL store comes from a config (PGlite or PostgreSQL). */
export function provenanceServiceFor(
  config: SqlStoreConfig,
  deps: Omit<ProvenanceServiceDeps, 'openSql'>,
): ProvenanceService {
  return new ProvenanceService({ ...deps, openSql: () => openSqlStore(config) });
}

function parseRecord(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function notAnchored(uri: string): NotFoundError {
  return new NotFoundError('PROVENANCE_NOT_ANCHORED', `${uri} has no anchored entry on this chain`, {
    hint: 'anchor it with a provenance.anchor transaction first (meridian prov anchor), or check the URI',
  });
}

/** Most committed blocks whose executed anchors wait in memory for the indexer. */
const MAX_HELD_ANCHOR_BLOCKS = 64;
/**
 * Milliseconds of record validation (canonical JSON + SHA-256, ~20 µs a record) per turn of the
 * event loop: a 2,000-record upload then leaves consensus a turn every few milliseconds instead of
 * holding the loop for ~40 ms.
 */
const VALIDATE_SLICE_MS = 4;

/** Whether a block anchored any provenance entry (its provenance trie is not empty). */
function anchorsSomething(header: BlockHeader): boolean {
  return !equalBytes(header.provenanceRoot, EMPTY_TRIE_ROOT);
}

export class ProvenanceService implements ProvenanceApi {
  readonly #deps: ProvenanceServiceDeps;
  #sql: SqlStore | undefined;
  #ready: Promise<ProvenanceRecordStore> | undefined;
  /** Serialises indexing: each item indexes up to some height. */
  #indexing: Promise<void> = Promise.resolve();
  #closed = false;
  /** How far indexing has got (read from SQL once, then kept here). */
  #indexedHeight: number | undefined;
  /** Executed anchors of committed blocks not yet indexed (at most `MAX_HELD_ANCHOR_BLOCKS`). */
  readonly #executedAnchors = new Map<number, readonly ProvenanceAnchor[]>();
  /** Every upload's records are validated in one line, a slice per turn (`VALIDATE_SLICE_MS`). */
  readonly #validation = new TurnSlicedQueue((value: unknown) => validateRecord(value), {
    sliceMs: VALIDATE_SLICE_MS,
  });

  constructor(deps: ProvenanceServiceDeps) {
    this.#deps = deps;
  }

  /** The record store: opened on the first call, which also indexes blocks committed since the last run. */
  store(): Promise<ProvenanceRecordStore> {
    if (this.#ready === undefined) {
      this.#deps.logger.info(
        { head: this.#headHeight() },
        'opening the provenance record store (first provenance request); indexing what the chain anchored so far',
      );
      this.#ready = (async () => {
        const sql = await this.#deps.openSql();
        this.#sql = sql;
        return ProvenanceRecordStore.open(sql);
      })();
      this.#ready.catch((error) =>
        this.#deps.logger.error({ err: error }, 'provenance store failed to open'),
      );
      this.#indexTo(this.#headHeight());
    }
    return this.#ready;
  }

  /**
   * Call after each commit: once the store is open, indexes what the block anchored
   * (asynchronously). `anchors` are the block's executed anchors (`ExecutedBlock.anchors`); given,
   * they spare the indexer reading the block's provenance trie back from the node store.
   */
  onCommitted(height: number, anchors?: readonly ProvenanceAnchor[]): void {
    // Until the store is open there is nothing to keep up to date; opening it catches up.
    if (this.#closed || this.#ready === undefined) return;
    if (anchors !== undefined && anchors.length > 0 && height > (this.#indexedHeight ?? 0)) {
      this.#executedAnchors.set(height, anchors);
      // While indexing is stuck (SQL down), the oldest are dropped: the trie has them too.
      if (this.#executedAnchors.size > MAX_HELD_ANCHOR_BLOCKS)
        this.#executedAnchors.delete(this.#executedAnchors.keys().next().value!);
    }
    this.#indexTo(height);
  }

  /** Resolves once every block up to the current head is indexed. */
  async caughtUp(): Promise<ProvenanceRecordStore> {
    const store = await this.store();
    await this.#indexTo(this.#headHeight());
    return store;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#indexing.catch(() => {});
    await this.#ready?.catch(() => {});
    await this.#sql?.close();
  }

  #indexTo(target: number): Promise<void> {
    const run = this.#indexing.then(async () => {
      const store = await this.store();
      this.#indexedHeight ??= await store.indexedHeight();
      for (let height = this.#indexedHeight + 1; height <= target; height++) {
        const header = this.#deps.blocks.headerAt(height);
        assert(header !== undefined, `block ${height} is not in the block store`);
        // Most blocks anchor nothing: they cost no SQL (the stored height is the last block that
        // anchored something; a restart re-reads the headers above it, which is cheap).
        if (anchorsSomething(header)) await store.indexAnchors(height, this.#anchorsOf(header));
        this.#executedAnchors.delete(height);
        this.#indexedHeight = height;
      }
    });
    this.#indexing = run.catch((error) => {
      this.#deps.logger.error(
        { err: error, height: target },
        'provenance indexing failed; retrying at the next commit',
      );
    });
    return run;
  }

  /** What the block with this header anchored (the store numbers the versions). */
  #anchorsOf(header: BlockHeader): { uri: string; hash: string }[] {
    const executed = this.#executedAnchors.get(header.height);
    if (executed !== undefined) return executed.map((a) => ({ uri: a.uri, hash: toHex(a.entryHash) }));
    const trie = MerklePatriciaTrie.open(this.#deps.nodes, header.provenanceRoot);
    const decoder = new TextDecoder();
    return [...trie.entries()].map(([key, value]) => ({ uri: decoder.decode(key), hash: toHex(value) }));
  }

  async putRecords(values: readonly unknown[]): Promise<PutRecordsResponseJson> {
    const store = await this.caughtUp();
    const results: (PutRecordResultJson | undefined)[] = new Array(values.length);
    const candidates: { index: number; record: RecordToStore }[] = [];
    const validated = await Promise.allSettled(values.map((value) => this.#validation.enqueue(value)));
    validated.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') {
        candidates.push({ index, record: outcome.value });
        return;
      }
      const error = outcome.reason;
      if (!(error instanceof MeridianError)) throw error;
      const uri = (values[index] as { uri?: unknown } | null)?.uri;
      results[index] = { uri: typeof uri === 'string' ? uri : '', status: 'rejected', error: error.toJSON() };
    });
    const anchors = await store.anchorsOf(
      candidates.map((c) => ({ uri: c.record.entry.uri, hash: c.record.hash })),
    );
    const accepted: { index: number; record: RecordToStore }[] = [];
    for (const candidate of candidates) {
      const { entry, hash } = candidate.record;
      const anchor = anchors.get(`${entry.uri} ${hash}`);
      const refuse = (error: MeridianError) => {
        results[candidate.index] = {
          uri: entry.uri,
          version: entry.version,
          hash,
          status: 'rejected',
          error: error.toJSON(),
        };
      };
      if (anchor === undefined) refuse(notAnchored(`${entry.uri} (version ${entry.version}, hash ${hash})`));
      else if (anchor.version !== entry.version)
        refuse(
          new ValidationError(
            'RECORD_VERSION_MISMATCH',
            `${entry.uri}: the record says version ${entry.version}, the chain anchored its hash as version ${anchor.version}`,
            {
              hint: 'build the record with nextVersion(entry, latest anchored entry) before anchoring it',
            },
          ),
        );
      else accepted.push(candidate);
    }
    const stored = await store.putRecords(accepted.map((a) => a.record));
    stored.forEach((result, i) => {
      const { index, record } = accepted[i]!;
      results[index] = { uri: result.uri, version: result.version, hash: record.hash, status: result.status };
    });
    return {
      results: results as PutRecordResultJson[],
      indexedHeight: this.#indexedHeight ?? (await store.indexedHeight()),
    };
  }

  async record(uri: string, version?: number): Promise<ProvenanceRecordJson> {
    const store = await this.caughtUp();
    const stored = await store.record(uri, version);
    if (stored === undefined) {
      throw new NotFoundError(
        'RECORD_NOT_FOUND',
        `no stored record of ${uri}${version === undefined ? '' : ` version ${version}`}`,
        {
          hint: 'records reach a node through POST /v1/provenance/records (meridian prov anchor uploads them)',
        },
      );
    }
    const hash = toHex(sha256(utf8(stored.text)));
    const anchored = (await store.anchorHistory(uri)).find((a) => a.version === stored.version);
    return {
      uri,
      version: stored.version,
      record: parseRecord(stored.text),
      hash,
      anchored:
        anchored === undefined
          ? null
          : { version: anchored.version, hash: anchored.hash, height: anchored.height },
      matchesAnchor: anchored?.hash === hash,
    };
  }

  async anchors(uri: string): Promise<AnchorHistoryJson> {
    validateUri(uri, 'uri');
    const store = await this.caughtUp();
    const versions = await store.anchorHistory(uri);
    const latest = this.#latest(this.#headHeight(), uri);
    return {
      uri,
      latest:
        latest === undefined ? null : { version: latest.version, hash: latest.hash, height: latest.height },
      versions: versions.map((v) => ({ version: v.version, hash: v.hash, height: v.height })),
    };
  }

  #headHeight(): number {
    return this.#deps.committedHeight();
  }

  #stateTrie(height: number): MerklePatriciaTrie {
    return this.#deps.stateAt(height);
  }

  #latest(height: number, uri: string): AnchoredState | undefined {
    const raw = this.#stateTrie(height).get(anchorWorldStateKey(uri));
    if (raw === undefined) return undefined;
    const state = decodeAnchorState(raw);
    return state.kind === 'anchored' ? state : undefined;
  }

  #provenanceTrie(height: number): MerklePatriciaTrie {
    return MerklePatriciaTrie.open(this.#deps.nodes, this.#deps.blocks.headerAt(height)!.provenanceRoot);
  }

  async bundle(
    uri: string,
    options: { comprehensive: boolean; version?: number; latest?: boolean },
  ): Promise<ProvenanceBundleJson> {
    validateUri(uri, 'uri');
    const store = await this.store();
    const head = this.#headHeight();
    const stateKey = anchorWorldStateKey(uri);
    const headValue = this.#stateTrie(head).get(stateKey);
    const anchor = headValue === undefined ? undefined : decodeAnchorState(headValue);
    if (anchor?.kind !== 'anchored') throw notAnchored(uri);

    let keyHeight = anchor.height;
    let recordVersion = anchor.version;
    if (options.version !== undefined && options.version !== anchor.version) {
      if (options.comprehensive) {
        throw new ValidationError('BAD_REQUEST', 'a comprehensive proof is of the latest versions', {
          hint: 'drop version, or ask for a single proof',
        });
      }
      await this.caughtUp();
      const row = (await store.anchorHistory(uri)).find((a) => a.version === options.version);
      if (row === undefined)
        throw new NotFoundError('VERSION_NOT_FOUND', `${uri} has no anchored version ${options.version}`, {
          hint: `its latest is ${anchor.version}`,
        });
      keyHeight = row.height;
      recordVersion = row.version;
    }
    // The world-state proof: at the head for comprehensive bundles (its `blocks` must list every
    // anchoring so far) and when asked for `latest`; otherwise at the anchoring block itself, so a
    // single verification checks one certified header (the paper's single verification).
    const height = options.comprehensive || options.latest === true ? head : keyHeight;
    const stateTrie = this.#stateTrie(height);
    const stateValue = stateTrie.get(stateKey);
    const heights = new Set<number>([height, keyHeight]);
    const keyProof = createProof(this.#provenanceTrie(keyHeight), utf8(uri)).map(toHex);

    let records: StoredRecord[];
    const subtrees: ProvenanceBundleJson['subtrees'] = [];
    let linked: BundleRecordJson[] = [];
    if (options.comprehensive) {
      const prefix = utf8(subtreePrefix(uri));
      for (const b of anchor.blocks) {
        const proof = createSubtreeProof(this.#provenanceTrie(b), prefix);
        subtrees.push({
          height: b,
          nodes: proof.nodes.map(toHex),
          entries: proof.entries.map(([k, v]): [string, string] => [toHex(k), toHex(v)]),
        });
        heights.add(b);
      }
      records = await store.latestRecordsUnder(uri);
      const target = records.find((r) => r.uri === uri);
      linked = target === undefined ? [] : await this.#linkedRecords(store, target);
    } else {
      const exact = (await store.record(uri, recordVersion)) ?? (await store.record(uri));
      records = exact === undefined ? [] : [exact];
    }
    return {
      format: 'meridian-prov-bundle/1',
      kind: options.comprehensive ? 'comprehensive' : 'single',
      uri,
      chain: {
        chainId: this.#deps.genesis.chainId,
        genesisHash: toHex(genesisHash(this.#deps.genesis)),
        genesis: this.#deps.genesis,
      },
      headers: [...heights]
        .sort((a, b) => a - b)
        .map((h) => {
          const certificate = this.#deps.blocks.certificateAt(h);
          assert(certificate !== undefined, `committed block ${h} has no certificate`);
          return {
            header: headerJson(this.#deps.blocks.headerAt(h)!),
            certificate: certificateJson(certificate, this.#deps.validators(h)),
          };
        }),
      state: { height, value: toHex(stateValue!), nodes: createProof(stateTrie, stateKey).map(toHex) },
      keyProof: { height: keyHeight, nodes: keyProof },
      subtrees,
      records: records.map((r) => ({ uri: r.uri, record: r.text })),
      linked,
    };
  }

  /** The records the target entry pins by hash (its activity, agents, sources), as stored. */
  async #linkedRecords(store: ProvenanceRecordStore, target: StoredRecord): Promise<BundleRecordJson[]> {
    let entry: ProvenanceEntry;
    try {
      entry = validateEntry(JSON.parse(target.text));
    } catch {
      return [];
    }
    const out: BundleRecordJson[] = [];
    const seen = new Set<string>();
    for (const relation of entry.relations.slice(0, MAX_RELATIONS_PER_ENTRY)) {
      if (relation.objectEntry === null || seen.has(relation.object)) continue;
      seen.add(relation.object);
      const stored =
        (await store.recordWithHash(relation.object, relation.objectEntry)) ??
        (await store.record(relation.object));
      if (stored !== undefined) out.push({ uri: stored.uri, record: stored.text });
    }
    return out;
  }

  async lineage(uri: string, options: { maxDepth?: number }): Promise<LineageResponseJson> {
    validateUri(uri, 'uri');
    const result = await lineageFromStore(await this.caughtUp(), uri, options);
    return { uri, steps: result.steps, truncated: result.truncated };
  }

  async footprint(uri: string): Promise<FootprintResponseJson> {
    validateUri(uri, 'uri');
    const footprint = await touchedByFromStore(await this.caughtUp(), uri);
    return { ...footprint, entry: footprint.entry };
  }

  async search(filter: RecordSearch): Promise<RecordSummaryJson[]> {
    return (await this.caughtUp()).search(filter);
  }
}
