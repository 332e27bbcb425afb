/**
 * Off-chain storage of provenance records and of the chain's anchors (seed 001: full records in
 * PostgreSQL, hashes on chain), over any `SqlStore` (PGlite or PostgreSQL, record-schema.ts).
 *
 * Contract:
 * - `indexAnchors` is fed, in height order, with what each committed block anchored; it is
 *   idempotent per height and records how far it got (`indexedHeight`). It numbers versions as
 *   the provenance module does (the URI's previous version + 1, 1 the first time), which holds
 *   because every anchoring block is indexed, in order.
 * - `putRecords` stores records that the caller has validated and matched to an anchor; a row
 *   for the same (uri, version) whose text differs is overwritten (the caller proved the new
 *   text against the chain, so this repairs a damaged row) and reported as `repaired`.
 * - Reads return the stored text as is. Nothing here checks a record against the chain: a
 *   reader verifies by hashing the text and proving the hash (light/provenance-verify.ts).
 */
import { StoreError } from '../../errors.ts';
import { migrate } from '../../store/migrate.ts';
import type { SqlStore } from '../../store/sql.ts';
import type { ValidatedRecord } from './entry.ts';
import type { Granularity, NodeKind, ProvenanceEntry } from './model.ts';
import { PROVENANCE_MIGRATIONS } from './record-schema.ts';
import { parentUri, subtreePrefix } from './uri.ts';

/** Most rows one search returns. */
export const MAX_RECORD_SEARCH_RESULTS = 1000;
/** Most records one subtree read returns (a dataset with more cannot be proven in one bundle). */
export const MAX_SUBTREE_RECORDS = 100_000;
/** Most URIs one bulk read takes. */
export const MAX_RECORDS_PER_READ = 20_000;

export interface AnchorRow {
  readonly uri: string;
  readonly version: number;
  readonly hash: string;
  readonly height: number;
}

export interface StoredRecord {
  readonly uri: string;
  readonly version: number;
  /** The hash computed when the record was accepted (a reader recomputes it from `text`). */
  readonly hash: string;
  /** The canonical JSON text that was hashed, as stored. */
  readonly text: string;
}

export interface RecordSummary {
  readonly uri: string;
  readonly version: number;
  readonly hash: string;
  readonly kind: string;
  readonly granularity: string | null;
  readonly datasetUri: string | null;
  readonly time: string | null;
}

export interface RecordFilter {
  readonly dataset?: string;
  /** Records with a relation naming this activity (as object, or as the activity of a derivation). */
  readonly activity?: string;
  /** Records with a relation naming this agent. */
  readonly agent?: string;
  readonly kind?: NodeKind;
  readonly granularity?: Granularity;
  /** Inclusive bounds on the record's time (activity start, or the entity's generation time). */
  readonly from?: string;
  readonly to?: string;
  /** Keyset cursor: only rows after this (uri, version). */
  readonly after?: { readonly uri: string; readonly version: number };
  readonly limit: number;
}

export interface PutResult {
  readonly uri: string;
  readonly version: number;
  readonly status: 'stored' | 'known' | 'repaired';
}

/** A validated record with its canonical text and hash, ready to store (what `validateRecord` returns). */
export type RecordToStore = ValidatedRecord;

/** The smallest string above every string that starts with `prefix` (for range scans in "C" order). */
function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

function datasetOf(entry: ProvenanceEntry): string | null {
  if (entry.kind !== 'entity') return null;
  if (entry.granularity === 'dataset') return entry.uri;
  if (entry.granularity === 'feature') return entry.partOf;
  return entry.partOf === null ? null : parentUri(entry.partOf);
}

function timeOf(entry: ProvenanceEntry): string | null {
  if (entry.kind === 'activity') return entry.startedAt ?? entry.endedAt;
  if (entry.kind === 'entity')
    return entry.relations.find((r) => r.kind === 'wasGeneratedBy' && r.time !== null)?.time ?? null;
  return null;
}

function asNumber(value: unknown): number {
  return typeof value === 'string' ? Number(value) : (value as number);
}

function toIso(value: unknown): string | null {
  return value instanceof Date
    ? value.toISOString()
    : value === null || value === undefined
      ? null
      : String(value);
}

function bounded<T>(rows: T[], limit: number, what: string): T[] {
  if (rows.length > limit) {
    throw new StoreError('TOO_MANY_RECORDS', `${what}: more than ${limit} records`, {
      hint: 'ask about a smaller part (a feature instead of the dataset)',
    });
  }
  return rows;
}

export class ProvenanceRecordStore {
  private constructor(readonly sql: SqlStore) {}

  /** Opens the store on `sql`, applying the schema's pending migrations. */
  static async open(sql: SqlStore): Promise<ProvenanceRecordStore> {
    await migrate(sql, PROVENANCE_MIGRATIONS);
    return new ProvenanceRecordStore(sql);
  }

  async indexedHeight(): Promise<number> {
    const [row] = await this.sql.query<{ indexed_height: unknown }>(
      'SELECT indexed_height FROM prov_index WHERE id = 1',
    );
    return asNumber(row!.indexed_height);
  }

  /**
   * Records what the block at `height` anchored (each URI once, as a block's trie holds it) and
   * moves `indexedHeight` to it, in one transaction. Heights at or below `indexedHeight` are
   * ignored (already indexed).
   */
  async indexAnchors(height: number, anchors: readonly { uri: string; hash: string }[]): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const [row] = await tx.query<{ indexed_height: unknown }>(
        'SELECT indexed_height FROM prov_index WHERE id = 1 FOR UPDATE',
      );
      if (asNumber(row!.indexed_height) >= height) return;
      if (anchors.length > 0) {
        await tx.query(
          `INSERT INTO prov_anchors (uri, version, hash, height)
           SELECT t.uri, COALESCE(p.version, 0) + 1, t.hash, $2::bigint
           FROM jsonb_to_recordset($1::jsonb) AS t(uri text, hash text)
           LEFT JOIN LATERAL (SELECT max(a.version) AS version FROM prov_anchors a WHERE a.uri = t.uri COLLATE "C") p ON true`,
          [JSON.stringify(anchors.map((a) => ({ uri: a.uri, hash: a.hash }))), height],
        );
      }
      await tx.query('UPDATE prov_index SET indexed_height = $1 WHERE id = 1', [height]);
    });
  }

  /** Every anchored version of `uri`, oldest first. */
  async anchorHistory(uri: string): Promise<AnchorRow[]> {
    const rows = await this.sql.query<Record<string, unknown>>(
      'SELECT uri, version, hash, height FROM prov_anchors WHERE uri = $1 ORDER BY version',
      [uri],
    );
    return rows.map(anchorRow);
  }

  /** The anchors of the given (uri, hash) pairs that exist, keyed `uri + " " + hash`. */
  async anchorsOf(pairs: readonly { uri: string; hash: string }[]): Promise<Map<string, AnchorRow>> {
    const out = new Map<string, AnchorRow>();
    if (pairs.length === 0) return out;
    // Only the position of each matching pair comes back (its uri and hash are the pair's own).
    const rows = await this.sql.query<{ n: number; version: unknown; height: unknown }>(
      `SELECT t.n::integer AS n, a.version, a.height
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (uri text, hash text)) WITH ORDINALITY AS t(uri, hash, n)
       JOIN prov_anchors a ON a.uri = t.uri COLLATE "C" AND a.hash = t.hash`,
      [JSON.stringify(pairs.map((p) => ({ uri: p.uri, hash: p.hash })))],
    );
    for (const row of rows) {
      const { uri, hash } = pairs[row.n - 1]!;
      out.set(`${uri} ${hash}`, { uri, hash, version: asNumber(row.version), height: asNumber(row.height) });
    }
    return out;
  }

  /**
   * Stores validated, anchor-matched records (see the contract above): one statement inserts
   * or repairs the rows and replaces the relations of exactly the rows it changed.
   */
  async putRecords(records: readonly RecordToStore[]): Promise<PutResult[]> {
    if (records.length === 0) return [];
    // In a transaction although it is one statement: transactions on a store run one at a time,
    // so two uploads of overlapping rows cannot deadlock each other on PostgreSQL.
    const changed = await this.sql.transaction((tx) =>
      tx.query<{ uri: string; version: unknown; inserted: boolean }>(PUT_RECORDS, [
        JSON.stringify(records.map(recordRow)),
      ]),
    );
    const status = new Map<string, 'stored' | 'repaired'>();
    for (const row of changed)
      status.set(`${row.uri} ${asNumber(row.version)}`, row.inserted ? 'stored' : 'repaired');
    return records.map(({ entry }) => ({
      uri: entry.uri,
      version: entry.version,
      status: status.get(`${entry.uri} ${entry.version}`) ?? 'known',
    }));
  }

  /** The stored record of `uri` at `version`, or its highest stored version. */
  async record(uri: string, version?: number): Promise<StoredRecord | undefined> {
    const rows = await this.sql.query<Record<string, unknown>>(
      version === undefined
        ? 'SELECT uri, version, hash, record FROM prov_records WHERE uri = $1 ORDER BY version DESC LIMIT 1'
        : 'SELECT uri, version, hash, record FROM prov_records WHERE uri = $1 AND version = $2',
      version === undefined ? [uri] : [uri, version],
    );
    return rows[0] === undefined ? undefined : storedRecord(rows[0]);
  }

  /** The stored record of `uri` whose hash is `hash`, if any. */
  async recordWithHash(uri: string, hash: string): Promise<StoredRecord | undefined> {
    const rows = await this.sql.query<Record<string, unknown>>(
      'SELECT uri, version, hash, record FROM prov_records WHERE uri = $1 AND hash = $2 LIMIT 1',
      [uri, hash],
    );
    return rows[0] === undefined ? undefined : storedRecord(rows[0]);
  }

  /** The highest stored version of `uri` itself and of every URI below it (`uri/...`), in key order. */
  async latestRecordsUnder(uri: string): Promise<StoredRecord[]> {
    const prefix = subtreePrefix(uri);
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT DISTINCT ON (uri) uri, version, hash, record FROM prov_records
       WHERE uri = $1 OR (uri >= $2 AND uri < $3)
       ORDER BY uri, version DESC LIMIT $4`,
      [uri, prefix, prefixEnd(prefix), MAX_SUBTREE_RECORDS + 1],
    );
    return bounded(rows, MAX_SUBTREE_RECORDS, `records under ${uri}`).map(storedRecord);
  }

  /** The highest stored version of each listed URI that has one. */
  async latestRecordsOf(uris: readonly string[]): Promise<StoredRecord[]> {
    if (uris.length === 0) return [];
    bounded([...uris], MAX_RECORDS_PER_READ, 'bulk read');
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT DISTINCT ON (r.uri) r.uri, r.version, r.hash, r.record
       FROM prov_records r WHERE r.uri = ANY($1::text[])
       ORDER BY r.uri, r.version DESC`,
      [uris],
    );
    return rows.map(storedRecord);
  }

  /** URIs (latest stored version) whose records have a relation naming `uri` as object or secondary argument. */
  async subjectsReferencing(uri: string, limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ subject_uri: string }>(
      `SELECT DISTINCT subject_uri FROM prov_relations WHERE object = $1 OR secondary = $1
       ORDER BY subject_uri LIMIT $2`,
      [uri, limit + 1],
    );
    return bounded(rows, limit, `records referring to ${uri}`).map((r) => r.subject_uri);
  }

  /** Record summaries matching every given filter, in (uri, version) order. */
  async search(filter: RecordFilter): Promise<RecordSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.dataset !== undefined) {
      // A dataset's rows are it and rows under `dataset/` (the hierarchy rules), all inside this
      // range of the primary key, which therefore serves the filter (no index on dataset_uri).
      const dataset = param(filter.dataset);
      where.push(
        `r.uri >= ${dataset} AND r.uri < ${param(prefixEnd(subtreePrefix(filter.dataset)))} AND r.dataset_uri = ${dataset}`,
      );
    }
    if (filter.kind !== undefined) where.push(`r.kind = ${param(filter.kind)}`);
    if (filter.granularity !== undefined) where.push(`r.granularity = ${param(filter.granularity)}`);
    if (filter.from !== undefined) where.push(`r.time >= ${param(filter.from)}::timestamptz`);
    if (filter.to !== undefined) where.push(`r.time <= ${param(filter.to)}::timestamptz`);
    if (filter.activity !== undefined) {
      const p = param(filter.activity);
      where.push(
        `EXISTS (SELECT 1 FROM prov_relations x WHERE x.subject_uri = r.uri AND x.subject_version = r.version AND (x.object = ${p} OR x.secondary = ${p}))`,
      );
    }
    if (filter.agent !== undefined) {
      where.push(
        `EXISTS (SELECT 1 FROM prov_relations x WHERE x.subject_uri = r.uri AND x.subject_version = r.version AND x.object = ${param(filter.agent)}
          AND x.kind IN ('wasAttributedTo', 'wasAssociatedWith', 'actedOnBehalfOf'))`,
      );
    }
    if (filter.after !== undefined)
      where.push(
        `(r.uri, r.version) > (${param(filter.after.uri)}::text COLLATE "C", ${param(filter.after.version)}::integer)`,
      );
    const limit = Math.min(Math.max(1, filter.limit), MAX_RECORD_SEARCH_RESULTS);
    const rows = await this.sql.query<Record<string, unknown>>(
      `SELECT r.uri, r.version, r.hash, r.kind, r.granularity, r.dataset_uri, r.time FROM prov_records r
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY r.uri, r.version LIMIT ${param(limit)}`,
      params,
    );
    return rows.map((row) => ({
      uri: String(row.uri),
      version: asNumber(row.version),
      hash: String(row.hash),
      kind: String(row.kind),
      granularity: (row.granularity as string | null) ?? null,
      datasetUri: (row.dataset_uri as string | null) ?? null,
      time: toIso(row.time),
    }));
  }
}

function anchorRow(row: Record<string, unknown>): AnchorRow {
  return {
    uri: String(row.uri),
    version: asNumber(row.version),
    hash: String(row.hash),
    height: asNumber(row.height),
  };
}

function storedRecord(row: Record<string, unknown>): StoredRecord {
  return {
    uri: String(row.uri),
    version: asNumber(row.version),
    hash: String(row.hash),
    text: String(row.record),
  };
}

/** One `PUT_RECORDS` input row: the record's columns and its relations (`k`ind, `o`bject, secondary `x`). */
function recordRow({ entry, text, hash }: RecordToStore) {
  return {
    uri: entry.uri,
    version: entry.version,
    hash,
    kind: entry.kind,
    granularity: entry.kind === 'entity' ? entry.granularity : null,
    dataset_uri: datasetOf(entry),
    time: timeOf(entry),
    record: text,
    relations: entry.relations.map((r) => ({ k: r.kind, o: r.object, x: r.secondary })),
  };
}

/**
 * Inserts the records of `$1` (a JSON array of `recordRow`s), overwrites a stored row of the same
 * (uri, version) only if its text differs, and returns the rows it inserted or overwrote. The
 * relations of exactly those rows are replaced: the sub-statements of one statement share a
 * snapshot, so the DELETE removes the old relations and never the ones inserted beside it.
 */
const PUT_RECORDS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(uri text, version integer, hash text, kind text,
    granularity text, dataset_uri text, time timestamptz, record text, relations jsonb)
), changed AS (
  INSERT INTO prov_records (uri, version, hash, kind, granularity, dataset_uri, time, record)
  SELECT uri, version, hash, kind, granularity, dataset_uri, time, record FROM input
  ON CONFLICT (uri, version) DO UPDATE SET hash = EXCLUDED.hash, record = EXCLUDED.record,
    kind = EXCLUDED.kind, granularity = EXCLUDED.granularity, dataset_uri = EXCLUDED.dataset_uri, time = EXCLUDED.time
  WHERE prov_records.record IS DISTINCT FROM EXCLUDED.record
  RETURNING uri, version, (xmax = 0) AS inserted
), cleared AS (
  DELETE FROM prov_relations x USING changed c
  WHERE x.subject_uri = c.uri AND x.subject_version = c.version
), related AS (
  INSERT INTO prov_relations (subject_uri, subject_version, kind, object, secondary)
  SELECT c.uri, c.version, r.k, r.o, r.x
  FROM changed c JOIN input i ON i.uri = c.uri COLLATE "C" AND i.version = c.version,
    jsonb_to_recordset(i.relations) AS r(k text, o text, x text)
)
SELECT uri, version, inserted FROM changed`;
