/**
 * The provenance model: W3C PROV (entities, activities, agents and the relations between them)
 * with seed 001's three entity granularities (dataset, feature, attribute; an attribute is a
 * geometry or a property), cut into **entries**, one per URI, ready to be anchored.
 *
 * ## What an entry is
 *
 * The provenance trie maps each node's URI to ONE entry hash (SHA-256 of the entry's RFC 8785
 * canonical JSON, `entryHash`). An entry is the node plus every relation whose *subject* (the
 * first PROV argument) is that node:
 *
 * - an entity entry holds the entity (granularity, its parent, content hash `meridian:valueHash`,
 *   other attributes) and its `wasGeneratedBy`, `wasDerivedFrom`, `wasAttributedTo`,
 *   `wasInvalidatedBy`, `specializationOf`, `alternateOf`, `hadMember` relations;
 * - an activity entry holds the activity (type, times, algorithm, parameters) and its `used`,
 *   `wasAssociatedWith`, `wasInformedBy`, `wasStartedBy`, `wasEndedBy` relations;
 * - an agent entry holds the agent and its `actedOnBehalfOf` relations.
 *
 * Every relation therefore lives in exactly one entry, and the union of the entries is the whole
 * PROV graph (that is what makes PROV-JSON import/export a lossless partition). Changing any fact
 * about how an entity came to be (its generating activity or time, its sources, its agent, an
 * attribute of any of those relations, its content hash, its version) changes its entry's bytes
 * and so its hash.
 *
 * ## Pins: committing to the facts of other nodes
 *
 * A relation may carry `objectEntry`, the entry hash of its object's entry at the time the
 * relation was recorded (for example the hash of the merge activity's entry inside the output
 * dataset's `wasGeneratedBy`). The referring entry then commits to the activity's parameters,
 * time and agent too: a verifier that checks the dataset entry can fetch the activity entry and
 * compare its hash with the pin. Capture pins every reference it can; pins are optional in the
 * model because PROV graphs may have cycles (`alternateOf` both ways).
 *
 * ## Where activities and agents live
 *
 * Entities are hierarchical: a feature's URI is its dataset's URI + "/" + one segment, an
 * attribute's is its feature's URI + "/" + one segment (uri.ts), so a dataset's features and
 * attributes sit in the trie subtree under `datasetUri + "/"`. Activities and agents get URIs in
 * their OWN namespaces (callers mint them, e.g. `<base>/activity/<id>` and `<base>/agent/<id>`;
 * capture takes them as inputs), never under an entity: an activity uses several datasets and an agent acts on many, so no one dataset owns
 * them, and keeping them out keeps "a dataset's subtree" = exactly its entity hierarchy
 * (`ProvenanceGraph` rejects a non-entity key under an entity key). Comprehensive verification of
 * a dataset is thus: its entry + the subtree under its prefix + the activity and agent entries
 * that the dataset entry pins (each a single-key proof). Fine-grained entries do not repeat what
 * their dataset says (seed 001 §1.1: coarse records carry what the finer ones share); a feature
 * without its own `wasGeneratedBy` inherits its dataset's (query.ts follows `partOf` upward).
 *
 * ## Versions
 *
 * Re-anchoring a node appends a version: the new entry has `version = previous.version + 1` and
 * `previous = entryHash(previous entry)`, so the versions of a URI form a hash chain (`history`
 * in query.ts checks it). Version 1 has `previous: null`.
 */
import type { Attributes } from './attributes.ts';
import type { Granularity } from './uri.ts';

export type { Granularity } from './uri.ts';

/** Format tag of every entry; a new tag means a new record layout (and new hashes). */
export const ENTRY_FORMAT: 'meridian-prov/1' = 'meridian-prov/1';

export type NodeKind = 'entity' | 'activity' | 'agent';
export type AttributeKind = 'geometry' | 'property';

export const RELATION_KINDS = [
  'wasGeneratedBy',
  'used',
  'wasInformedBy',
  'wasStartedBy',
  'wasEndedBy',
  'wasInvalidatedBy',
  'wasDerivedFrom',
  'wasAttributedTo',
  'wasAssociatedWith',
  'actedOnBehalfOf',
  'wasInfluencedBy',
  'specializationOf',
  'alternateOf',
  'hadMember',
] as const;
export type RelationKind = (typeof RELATION_KINDS)[number];

/**
 * A relation stored in its subject's entry. The subject is implicit (the entry's URI).
 * - `object`: the second PROV argument (required in Meridian, optional in some PROV relations);
 * - `secondary`: the third argument where PROV has one (the activity of a derivation or a
 *   delegation, the plan of an association, the starter/ender of an activity), else null;
 * - `time`: `prov:time` for the relations that have one (xsd:dateTime with a time zone), else null;
 * - `objectEntry`: the pin described above (0x-hex SHA-256) or null;
 * - `attributes`: everything else (`prov:type`, `prov:role`, `meridian:operation`, ...).
 */
export interface Relation {
  kind: RelationKind;
  object: string;
  secondary: string | null;
  time: string | null;
  objectEntry: string | null;
  attributes: Attributes;
}

interface EntryBase {
  format: typeof ENTRY_FORMAT;
  /** The trie key: the node's URI. */
  uri: string;
  /** 1 for the first anchoring, +1 for each later one. */
  version: number;
  /** 0x-hex entry hash of the previous version, null for version 1. */
  previous: string | null;
  attributes: Attributes;
  /** Relations whose subject is `uri`, sorted by canonical JSON, no duplicates. */
  relations: Relation[];
}

export interface EntityEntry extends EntryBase {
  kind: 'entity';
  granularity: Granularity;
  /** The dataset of a feature or the feature of an attribute; null for a dataset. */
  partOf: string | null;
  /** Set for attributes only. */
  attributeKind: AttributeKind | null;
  /** The property name of a property attribute, else null. */
  propertyName: string | null;
}

export interface ActivityEntry extends EntryBase {
  kind: 'activity';
  startedAt: string | null;
  endedAt: string | null;
}

export interface AgentEntry extends EntryBase {
  kind: 'agent';
}

export type ProvenanceEntry = EntityEntry | ActivityEntry | AgentEntry;

/** Which node kind may stand in an argument slot ('any' for wasInfluencedBy). */
export type ArgumentSort = NodeKind | 'any';

export interface ArgumentSpec {
  /** The PROV-JSON attribute naming this argument. */
  key: string;
  sort: ArgumentSort;
}

export interface RelationSpec {
  subject: ArgumentSpec;
  object: ArgumentSpec;
  secondary: ArgumentSpec | null;
  hasTime: boolean;
}

const arg = (key: string, sort: ArgumentSort): ArgumentSpec => ({ key, sort });

/** The PROV-DM signature of each relation, with its PROV-JSON attribute names. */
export const RELATION_SPECS: Readonly<Record<RelationKind, RelationSpec>> = {
  wasGeneratedBy: {
    subject: arg('prov:entity', 'entity'),
    object: arg('prov:activity', 'activity'),
    secondary: null,
    hasTime: true,
  },
  used: {
    subject: arg('prov:activity', 'activity'),
    object: arg('prov:entity', 'entity'),
    secondary: null,
    hasTime: true,
  },
  wasInformedBy: {
    subject: arg('prov:informed', 'activity'),
    object: arg('prov:informant', 'activity'),
    secondary: null,
    hasTime: false,
  },
  wasStartedBy: {
    subject: arg('prov:activity', 'activity'),
    object: arg('prov:trigger', 'entity'),
    secondary: arg('prov:starter', 'activity'),
    hasTime: true,
  },
  wasEndedBy: {
    subject: arg('prov:activity', 'activity'),
    object: arg('prov:trigger', 'entity'),
    secondary: arg('prov:ender', 'activity'),
    hasTime: true,
  },
  wasInvalidatedBy: {
    subject: arg('prov:entity', 'entity'),
    object: arg('prov:activity', 'activity'),
    secondary: null,
    hasTime: true,
  },
  wasDerivedFrom: {
    subject: arg('prov:generatedEntity', 'entity'),
    object: arg('prov:usedEntity', 'entity'),
    secondary: arg('prov:activity', 'activity'),
    hasTime: false,
  },
  wasAttributedTo: {
    subject: arg('prov:entity', 'entity'),
    object: arg('prov:agent', 'agent'),
    secondary: null,
    hasTime: false,
  },
  wasAssociatedWith: {
    subject: arg('prov:activity', 'activity'),
    object: arg('prov:agent', 'agent'),
    secondary: arg('prov:plan', 'entity'),
    hasTime: false,
  },
  actedOnBehalfOf: {
    subject: arg('prov:delegate', 'agent'),
    object: arg('prov:responsible', 'agent'),
    secondary: arg('prov:activity', 'activity'),
    hasTime: false,
  },
  wasInfluencedBy: {
    subject: arg('prov:influencee', 'any'),
    object: arg('prov:influencer', 'any'),
    secondary: null,
    hasTime: false,
  },
  specializationOf: {
    subject: arg('prov:specificEntity', 'entity'),
    object: arg('prov:generalEntity', 'entity'),
    secondary: null,
    hasTime: false,
  },
  alternateOf: {
    subject: arg('prov:alternate1', 'entity'),
    object: arg('prov:alternate2', 'entity'),
    secondary: null,
    hasTime: false,
  },
  hadMember: {
    subject: arg('prov:collection', 'entity'),
    object: arg('prov:entity', 'entity'),
    secondary: null,
    hasTime: false,
  },
};

/** `prov:type` values that encode the granularity (and attribute kind) in PROV-JSON. */
export const GRANULARITY_TYPES = {
  dataset: 'meridian:Dataset',
  feature: 'meridian:Feature',
  geometry: 'meridian:Geometry',
  property: 'meridian:Property',
} as const;

/** Well-known attribute names used by capture and queries. */
export const ATTR = {
  type: 'prov:type',
  label: 'prov:label',
  role: 'prov:role',
  /** 0x-hex SHA-256 of the canonical JSON of the entity's content (dataset, feature, geometry or value). */
  valueHash: 'meridian:valueHash',
  /** kept | added | updated (attribute level); kept | added | merged (feature level). */
  operation: 'meridian:operation',
  /** Which input a derivation came from: authoritative | osm (capture's roles). */
  sourceRole: 'meridian:sourceRole',
  oldValueHash: 'meridian:oldValueHash',
  newValueHash: 'meridian:newValueHash',
  rejectedValueHash: 'meridian:rejectedValueHash',
  iou: 'meridian:iou',
  algorithm: 'meridian:algorithm',
  parameters: 'meridian:parameters',
  featureId: 'meridian:featureId',
  featureCount: 'meridian:featureCount',
  asOf: 'meridian:asOf',
  name: 'meridian:name',
} as const;
