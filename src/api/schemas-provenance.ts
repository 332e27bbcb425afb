/**
 * Data shapes of the provenance API (routes-provenance.ts) as TypeBox schemas: the server
 * validates and serialises with them, `/openapi.json` documents them, and the SDK and the light
 * verifier take their TypeScript types from them. Browser-safe.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Certificate, ErrorBody, Hash, Header, Hex } from './schemas.ts';

/** Most records one `POST /v1/provenance/records` takes (the request body limit bounds it too). */
export const MAX_RECORDS_PER_REQUEST = 2000;
/** Longest URI accepted in a query string (the model's `MAX_URI_BYTES`). */
const URI_MAX_CHARS = 512;

export const ProvUri = Type.String({
  minLength: 1,
  maxLength: URI_MAX_CHARS,
  description: 'a provenance node URI',
});

export const PutRecordsRequest = Type.Object(
  {
    records: Type.Array(Type.Unknown({ description: 'a provenance entry (meridian-prov/1)' }), {
      minItems: 1,
      maxItems: MAX_RECORDS_PER_REQUEST,
    }),
  },
  { $id: 'PutProvenanceRecordsRequest' },
);

export const PutRecordResult = Type.Object({
  uri: Type.String(),
  version: Type.Optional(Type.Integer()),
  hash: Type.Optional(Hash),
  status: Type.Union([
    Type.Literal('stored'),
    Type.Literal('known'),
    Type.Literal('repaired'),
    Type.Literal('rejected'),
  ]),
  error: Type.Optional(ErrorBody),
});

export const PutRecordsResponse = Type.Object(
  { results: Type.Array(PutRecordResult), indexedHeight: Type.Integer() },
  { $id: 'PutProvenanceRecordsResponse', description: 'one result per record, in order' },
);

export const AnchorVersion = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  hash: Hash,
  height: Type.Integer({ minimum: 1 }),
});

export const ProvenanceRecord = Type.Object(
  {
    uri: Type.String(),
    version: Type.Integer(),
    record: Type.Unknown({
      description: 'the stored entry, parsed (unverified: check it with a proof bundle)',
    }),
    hash: Hash,
    anchored: Type.Union([AnchorVersion, Type.Null()], {
      description: 'the anchoring of this exact version, from the chain index; null if the chain has none',
    }),
    matchesAnchor: Type.Boolean({
      description: 'the stored text hashes to the anchored hash (checked by this node)',
    }),
  },
  { $id: 'ProvenanceRecord' },
);

export const AnchorHistory = Type.Object(
  {
    uri: Type.String(),
    latest: Type.Union([AnchorVersion, Type.Null()]),
    versions: Type.Array(AnchorVersion),
  },
  { $id: 'ProvenanceAnchorHistory' },
);

export const RecordSummary = Type.Object({
  uri: Type.String(),
  version: Type.Integer(),
  hash: Hash,
  kind: Type.String(),
  granularity: Type.Union([Type.String(), Type.Null()]),
  datasetUri: Type.Union([Type.String(), Type.Null()]),
  time: Type.Union([Type.String(), Type.Null()]),
});

export const RecordSearchResponse = Type.Object(
  { records: Type.Array(RecordSummary) },
  { $id: 'ProvenanceRecordSearch' },
);

const HexList = Type.Array(Hex);

export const BundleRecord = Type.Object({
  uri: Type.String({ description: 'the URI the node stores this record under' }),
  record: Type.String({ description: 'the canonical JSON text whose SHA-256 is the entry hash' }),
});

/**
 * A self-contained proof bundle (format `meridian-prov-bundle/1`): everything needed to check
 * records against the chain with no node, trusting only a validator set (light/provenance-verify.ts).
 */
export const ProvenanceBundle = Type.Object(
  {
    format: Type.Literal('meridian-prov-bundle/1'),
    kind: Type.Union([Type.Literal('single'), Type.Literal('comprehensive')]),
    uri: Type.String(),
    chain: Type.Object({
      chainId: Type.String(),
      genesisHash: Hash,
      genesis: Type.Unknown({ description: 'the genesis document (validators and parameters)' }),
    }),
    headers: Type.Array(Type.Object({ header: Header, certificate: Certificate }), {
      description: 'every block the proofs refer to, with its commit certificate',
    }),
    state: Type.Object(
      { height: Type.Integer({ minimum: 1 }), value: Type.Union([Hex, Type.Null()]), nodes: HexList },
      {
        description:
          'world-state proof of provenance/<uri>: latest version, its height, and the blocks listing',
      },
    ),
    keyProof: Type.Object(
      { height: Type.Integer({ minimum: 1 }), nodes: HexList },
      { description: "proof of the URI's entry hash in that block's provenance trie" },
    ),
    subtrees: Type.Array(
      Type.Object({
        height: Type.Integer({ minimum: 1 }),
        nodes: HexList,
        entries: Type.Array(Type.Tuple([Hex, Hex])),
      }),
      { description: 'comprehensive: one subtree proof under "<uri>/" per block listed in the state' },
    ),
    records: Type.Array(BundleRecord),
    linked: Type.Array(BundleRecord, {
      description: 'comprehensive: records the target entry pins by hash (its activity, agent, sources)',
    }),
  },
  { $id: 'ProvenanceBundle' },
);

export const LineageResponse = Type.Object(
  {
    uri: Type.String(),
    steps: Type.Array(Type.Unknown()),
    truncated: Type.Boolean(),
  },
  { $id: 'ProvenanceLineage', description: 'query.ts LineageResult over the stored records' },
);

export const FootprintResponse = Type.Object(
  {
    activity: Type.String(),
    entry: Type.Unknown(),
    agents: Type.Array(Type.String()),
    informedBy: Type.Array(Type.String()),
    used: Type.Unknown(),
    generated: Type.Unknown(),
    invalidated: Type.Unknown(),
    operations: Type.Unknown(),
  },
  { $id: 'ProvenanceFootprint', description: 'query.ts ActivityFootprint over the stored records' },
);

export type PutRecordsResponseJson = Static<typeof PutRecordsResponse>;
export type PutRecordResultJson = Static<typeof PutRecordResult>;
export type ProvenanceRecordJson = Static<typeof ProvenanceRecord>;
export type AnchorHistoryJson = Static<typeof AnchorHistory>;
export type AnchorVersionJson = Static<typeof AnchorVersion>;
export type RecordSummaryJson = Static<typeof RecordSummary>;
export type ProvenanceBundleJson = Static<typeof ProvenanceBundle>;
export type BundleRecordJson = Static<typeof BundleRecord>;
export type LineageResponseJson = Static<typeof LineageResponse>;
export type FootprintResponseJson = Static<typeof FootprintResponse>;
