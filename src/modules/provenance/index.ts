/**
 * The provenance module's public surface (seed 001): the PROV model cut into anchorable entries,
 * PROV-JSON, queries, and capture from vector operations. Anchoring (trie), SQL storage and
 * verification build on these: key an entry with `entryKeyBytes`, anchor `entryHash`, verify a
 * dataset with its own entry plus the subtree under `subtreePrefix(datasetUri)` plus the entries
 * its relations pin (`objectEntry`).
 */
export type { Attributes, AttributeValue, LangLiteral, Literal, TypedLiteral } from './attributes.ts';
export {
  MAX_ATTRIBUTES_PER_RECORD,
  MAX_LITERAL_BYTES,
  MAX_VALUES_PER_ATTRIBUTE,
  qname,
} from './attributes.ts';
export type { MergeMatch, MergeOptions, MergeResult, MergeSummary } from './capture/merge.ts';
export { DEFAULT_IOU_THRESHOLD, MERGE_ALGORITHM, mergeDatasets } from './capture/merge.ts';
export type { AttributeRule, ConflictPolicy, Operation } from './capture/rules.ts';
export { BUILDING_OSM_EXCLUDE, BUILDING_RULES, MAX_MERGE_RULES } from './capture/rules.ts';
export type { CapturedDataset, CapturedFeature, CaptureSourceOptions } from './capture/source.ts';
export { captureSource } from './capture/source.ts';
export type { ActivityDraft, AgentDraft, EntityDraft, RelationDraft } from './entry.ts';
export {
  entryHash,
  entryHashHex,
  entryKey,
  entryKeyBytes,
  MAX_ENTRY_BYTES,
  MAX_RELATIONS_PER_ENTRY,
  MAX_VERSION,
  makeActivity,
  makeAgent,
  makeEntity,
  nextVersion,
  sameContent,
  validateDateTime,
  validateEntry,
  valueHashHex,
} from './entry.ts';
export type { GraphOptions, IncomingRelation } from './graph.ts';
export { MAX_GRAPH_ENTRIES, ProvenanceGraph } from './graph.ts';
export type {
  ActivityEntry,
  AgentEntry,
  AttributeKind,
  EntityEntry,
  Granularity,
  NodeKind,
  ProvenanceEntry,
  Relation,
  RelationKind,
} from './model.ts';
export { ATTR, ENTRY_FORMAT, GRANULARITY_TYPES, RELATION_KINDS, RELATION_SPECS } from './model.ts';
export { MERIDIAN_NS, PROV_NS, XSD_NS } from './names.ts';
export type { ProvJsonDocument } from './prov-json.ts';
export {
  fromProvJson,
  MAX_PROV_JSON_BYTES,
  MAX_PROV_JSON_PREFIXES,
  MAX_PROV_JSON_RECORDS,
  parseProvJson,
  stringifyProvJson,
  toProvJson,
} from './prov-json.ts';
export type {
  ActivityFootprint,
  AgentFact,
  ByGranularity,
  DerivationFact,
  GenerationFact,
  LineageResult,
  LineageStep,
} from './query.ts';
export { lineage, MAX_LINEAGE_DEPTH, MAX_LINEAGE_STEPS, touchedBy } from './query.ts';
export type { AttributeRef } from './uri.ts';
export {
  attributeUri,
  decodeSegment,
  encodeSegment,
  featureUri,
  isUnder,
  MAX_URI_BYTES,
  parentUri,
  subtreePrefix,
  validateEntityUri,
  validateUri,
} from './uri.ts';
export { history, latestVersions } from './versions.ts';
