/**
 * The provenance routes (`/v1/provenance/...`) and the facade they need (`ProvenanceApi`, which
 * the node implements in node/provenance-service.ts). Kept out of `NodeApi` so that stays small.
 *
 * Order of operations for a client (records reach the node off chain, hashes on chain):
 * 1. anchor the entry hashes with `provenance.anchor` transactions and wait for them to commit;
 * 2. `POST /v1/provenance/records`: the node validates each record (`validateEntry`), recomputes
 *    its hash and stores it only if that exact hash is anchored for its URI and version;
 * 3. `GET /v1/provenance/proof` returns a self-contained bundle; verify it with
 *    light/provenance-verify.ts (the SDK's `provenance.verify` and `meridian prov verify` do).
 * A node never answers "verified": it serves records and proofs, and the reader checks them.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ValidationError } from '../errors.ts';
import type { RouteSpec } from './route-spec.ts';
import { ErrorBody } from './schemas.ts';
import {
  AnchorHistory,
  type AnchorHistoryJson,
  FootprintResponse,
  type FootprintResponseJson,
  LineageResponse,
  type LineageResponseJson,
  ProvenanceBundle,
  type ProvenanceBundleJson,
  ProvenanceRecord,
  type ProvenanceRecordJson,
  ProvUri,
  PutRecordsRequest,
  PutRecordsResponse,
  type PutRecordsResponseJson,
  RecordSearchResponse,
  type RecordSummaryJson,
} from './schemas-provenance.ts';

/** Most rows one search page returns, and how many when `limit` is omitted. */
export const MAX_PROVENANCE_SEARCH_PAGE = 1000;
export const DEFAULT_PROVENANCE_SEARCH_PAGE = 100;

export interface RecordSearch {
  readonly dataset?: string;
  readonly activity?: string;
  readonly agent?: string;
  readonly kind?: 'entity' | 'activity' | 'agent';
  readonly granularity?: 'dataset' | 'feature' | 'attribute';
  readonly from?: string;
  readonly to?: string;
  readonly after?: { readonly uri: string; readonly version: number };
  readonly limit: number;
}

/** What the provenance routes need from a node. Expected failures throw `MeridianError`s. */
export interface ProvenanceApi {
  /** Validates, matches against anchored hashes and stores records; one result per record. */
  putRecords(records: readonly unknown[]): Promise<PutRecordsResponseJson>;
  /** The stored record of `uri` (a version, or the highest stored), with its anchoring. */
  record(uri: string, version?: number): Promise<ProvenanceRecordJson>;
  /** The anchored versions of `uri` (chain index) and the latest (world state). */
  anchors(uri: string): Promise<AnchorHistoryJson>;
  /** A proof bundle for `uri` (one version, or the URI and everything below it). */
  bundle(
    uri: string,
    options: { comprehensive: boolean; version?: number; latest?: boolean },
  ): Promise<ProvenanceBundleJson>;
  lineage(uri: string, options: { maxDepth?: number }): Promise<LineageResponseJson>;
  /** Everything the activity that generated `uri` (or the activity `uri`) touched. */
  footprint(uri: string): Promise<FootprintResponseJson>;
  search(filter: RecordSearch): Promise<RecordSummaryJson[]>;
}

const UriQuery = Type.Object({ uri: ProvUri });
const RecordQuery = Type.Object({ uri: ProvUri, version: Type.Optional(Type.Integer({ minimum: 1 })) });
const ProofQuery = Type.Object({
  uri: ProvUri,
  comprehensive: Type.Optional(
    Type.Boolean({ default: false, description: 'the URI and every entry below it' }),
  ),
  version: Type.Optional(
    Type.Integer({ minimum: 1, description: 'single proof of this version (default: the latest)' }),
  ),
  latest: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        'single: also prove it is still the latest version at the head (a second certified header); comprehensive bundles always do',
    }),
  ),
});
const LineageQuery = Type.Object({
  uri: ProvUri,
  maxDepth: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })),
});
const TIME = Type.String({ maxLength: 40, description: 'xsd:dateTime with a time zone' });
const SearchQuery = Type.Object({
  dataset: Type.Optional(ProvUri),
  activity: Type.Optional(ProvUri),
  agent: Type.Optional(ProvUri),
  kind: Type.Optional(Type.Union([Type.Literal('entity'), Type.Literal('activity'), Type.Literal('agent')])),
  granularity: Type.Optional(
    Type.Union([Type.Literal('dataset'), Type.Literal('feature'), Type.Literal('attribute')]),
  ),
  from: Type.Optional(TIME),
  to: Type.Optional(TIME),
  after: Type.Optional(ProvUri),
  afterVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PROVENANCE_SEARCH_PAGE,
      default: DEFAULT_PROVENANCE_SEARCH_PAGE,
    }),
  ),
});

function checkTime(value: string | undefined, what: string): void {
  if (value !== undefined && Number.isNaN(Date.parse(value))) {
    throw new ValidationError('BAD_TIME', `${what} ${JSON.stringify(value)} is not a date-time`, {
      hint: 'write e.g. 2024-03-05T00:00:00Z',
    });
  }
}

export function provenanceRoutes(provenance: ProvenanceApi): RouteSpec[] {
  const tags = ['provenance'];
  return [
    {
      method: 'POST',
      url: '/v1/provenance/records',
      operationId: 'putProvenanceRecords',
      summary: 'Store full provenance records whose hashes are anchored',
      description:
        'Anchor first (provenance.anchor transactions), then send the records. Each record is validated ' +
        '(meridian-prov/1), hashed (SHA-256 of its RFC 8785 canonical JSON) and stored only if that hash is ' +
        'anchored for its URI and version; otherwise its result is "rejected" with PROVENANCE_NOT_ANCHORED. ' +
        'A stored row that differs from a proven record is overwritten ("repaired").',
      tags,
      body: PutRecordsRequest,
      responses: { 200: { description: 'one result per record', schema: PutRecordsResponse } },
      handler: async (request) =>
        provenance.putRecords((request.body as Static<typeof PutRecordsRequest>).records),
    },
    {
      method: 'GET',
      url: '/v1/provenance/record',
      operationId: 'getProvenanceRecord',
      summary: 'A stored record with its anchoring (not a proof: see /v1/provenance/proof)',
      tags,
      querystring: RecordQuery,
      responses: {
        200: { description: 'the record', schema: ProvenanceRecord },
        404: { description: 'no stored record (RECORD_NOT_FOUND)', schema: ErrorBody },
      },
      handler: async (request) => {
        const { uri, version } = request.query as Static<typeof RecordQuery>;
        return provenance.record(uri, version);
      },
    },
    {
      method: 'GET',
      url: '/v1/provenance/anchors',
      operationId: 'getProvenanceAnchors',
      summary: 'Every anchored version of a URI (hash, block height) and the latest one',
      tags,
      querystring: UriQuery,
      responses: { 200: { description: 'the versions', schema: AnchorHistory } },
      handler: async (request) => provenance.anchors((request.query as Static<typeof UriQuery>).uri),
    },
    {
      method: 'GET',
      url: '/v1/provenance/proof',
      operationId: 'getProvenanceProof',
      summary: 'A self-contained proof bundle: records, MPT proofs, certified headers, genesis',
      description:
        'Single: the record, the proof of its entry hash in the anchoring block’s provenance trie, and the ' +
        'world-state proof of the URI’s latest anchoring. Comprehensive: the URI and every record below it, ' +
        'one subtree proof per block that anchored any of them (as listed in the proven world state), and ' +
        'the records the URI’s entry pins. Check it with no node (`meridian prov verify --offline`).',
      tags,
      querystring: ProofQuery,
      responses: {
        200: { description: 'the bundle', schema: ProvenanceBundle },
        404: { description: 'the URI was never anchored (PROVENANCE_NOT_ANCHORED)', schema: ErrorBody },
      },
      handler: async (request) => {
        const { uri, comprehensive, version, latest } = request.query as Static<typeof ProofQuery>;
        return provenance.bundle(uri, {
          comprehensive: comprehensive ?? false,
          ...(version === undefined ? {} : { version }),
          ...(latest === undefined ? {} : { latest }),
        });
      },
    },
    {
      method: 'GET',
      url: '/v1/provenance/lineage',
      operationId: 'getProvenanceLineage',
      summary: 'What an entity was derived from, by which activity and by whom, at any granularity',
      tags,
      querystring: LineageQuery,
      responses: {
        200: { description: 'the lineage (stored records, unverified)', schema: LineageResponse },
      },
      handler: async (request) => {
        const { uri, maxDepth } = request.query as Static<typeof LineageQuery>;
        return provenance.lineage(uri, maxDepth === undefined ? {} : { maxDepth });
      },
    },
    {
      method: 'GET',
      url: '/v1/provenance/footprint',
      operationId: 'getProvenanceFootprint',
      summary: 'Everything an activity touched (uri: the activity, or an entity it generated)',
      tags,
      querystring: UriQuery,
      responses: {
        200: { description: 'inputs, outputs and operations per granularity', schema: FootprintResponse },
      },
      handler: async (request) => provenance.footprint((request.query as Static<typeof UriQuery>).uri),
    },
    {
      method: 'GET',
      url: '/v1/provenance/records',
      operationId: 'searchProvenanceRecords',
      summary: 'Stored records by dataset, activity, agent, kind, granularity and time',
      tags,
      querystring: SearchQuery,
      responses: {
        200: { description: 'matching records, in (uri, version) order', schema: RecordSearchResponse },
      },
      handler: async (request) => {
        const q = request.query as Static<typeof SearchQuery>;
        checkTime(q.from, 'from');
        checkTime(q.to, 'to');
        const records = await provenance.search({
          ...(q.dataset === undefined ? {} : { dataset: q.dataset }),
          ...(q.activity === undefined ? {} : { activity: q.activity }),
          ...(q.agent === undefined ? {} : { agent: q.agent }),
          ...(q.kind === undefined ? {} : { kind: q.kind }),
          ...(q.granularity === undefined ? {} : { granularity: q.granularity }),
          ...(q.from === undefined ? {} : { from: q.from }),
          ...(q.to === undefined ? {} : { to: q.to }),
          ...(q.after === undefined ? {} : { after: { uri: q.after, version: q.afterVersion ?? 0 } }),
          limit: q.limit ?? DEFAULT_PROVENANCE_SEARCH_PAGE,
        });
        return { records };
      },
    },
  ];
}
