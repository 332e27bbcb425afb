/**
 * Building, validating, keying and hashing provenance entries (see model.ts for what an entry is).
 *
 * - `make*` build an entry from a draft: they normalise (sort relations, canonical attribute
 *   values) and then validate, so what they return is exactly what gets hashed and stored.
 * - `validateEntry` checks an entry that came from outside (store, network, PROV-JSON): it does
 *   NOT normalise, because the hash is over the exact record; a record that is valid but not in
 *   canonical order is rejected with `ENTRY_NOT_CANONICAL`.
 * - `validateRecord` is `validateEntry` plus the record's canonical text and its hash, computed
 *   once (what a node stores after checking an upload against the chain).
 * - `entryKey` / `entryKeyBytes` give the trie key, `entryHash` the SHA-256 of the RFC 8785
 *   canonical JSON (`hashRecord`), which is what gets anchored.
 */
import { toHex, utf8 } from '../../codec/bytes.ts';
import { canonicalJson, hashRecord } from '../../codec/canonical-json.ts';
import { sha256 } from '../../crypto/sha256.ts';
import { ValidationError } from '../../errors.ts';
import {
  type Attributes,
  type AttributeValue,
  attributeValues,
  MAX_LITERAL_BYTES,
  normalizeAttributes,
  validateAttributes,
} from './attributes.ts';
import {
  type ActivityEntry,
  type AgentEntry,
  type AttributeKind,
  ENTRY_FORMAT,
  type EntityEntry,
  GRANULARITY_TYPES,
  type Granularity,
  type NodeKind,
  type ProvenanceEntry,
  RELATION_KINDS,
  RELATION_SPECS,
  type Relation,
  type RelationKind,
} from './model.ts';
import { type AttributeRef, checkHierarchy, validateEntityUri, validateUri } from './uri.ts';

/** Largest entry (canonical JSON, UTF-8 bytes). */
export const MAX_ENTRY_BYTES = 64 * 1024;
/** Most relations in one entry. */
export const MAX_RELATIONS_PER_ENTRY = 256;
/** Highest version number of one URI. */
export const MAX_VERSION = 1_000_000;

/** Attribute names that encode structural fields of a node in PROV-JSON. */
export const RESERVED_NODE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'meridian:version',
  'meridian:previousEntry',
  'meridian:partOf',
  'meridian:propertyName',
  'prov:startTime',
  'prov:endTime',
]);

/** Attribute names that encode the arguments, time or pin of a relation in PROV-JSON. */
export const RESERVED_RELATION_ATTRIBUTES: ReadonlySet<string> = new Set([
  ...Object.values(RELATION_SPECS).flatMap((s) => [
    s.subject.key,
    s.object.key,
    ...(s.secondary ? [s.secondary.key] : []),
  ]),
  'prov:time',
  'prov:generation',
  'prov:usage',
  'meridian:objectEntry',
]);

const GRANULARITY_TYPE_NAMES: ReadonlySet<string> = new Set(Object.values(GRANULARITY_TYPES));
const HASH_HEX = /^0x[0-9a-f]{64}$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

// ---------------------------------------------------------------------------------------------
// keys and hashes

/** The trie key of an entry: its URI. */
export function entryKey(entry: ProvenanceEntry): string {
  return entry.uri;
}

/** The trie key as bytes (the URI is ASCII, so one byte per character). */
export function entryKeyBytes(entry: ProvenanceEntry): Uint8Array {
  return utf8(entry.uri);
}

/** SHA-256 of the entry's RFC 8785 canonical JSON: the value anchored under `entryKey(entry)`. */
export function entryHash(entry: ProvenanceEntry): Uint8Array {
  return hashRecord(entry);
}

/** `entryHash` as 0x-hex, the form used in pins and `previous`. */
export function entryHashHex(entry: ProvenanceEntry): string {
  return toHex(entryHash(entry));
}

/** 0x-hex SHA-256 of any JSON value's canonical form (content hashes: `meridian:valueHash`). */
export function valueHashHex(value: unknown): string {
  return toHex(hashRecord(value));
}

// ---------------------------------------------------------------------------------------------
// times

/**
 * Validates an xsd:dateTime with an explicit time zone (`Z` or `±hh:mm`). Times are inputs to
 * capture (there is no hidden clock), and a zone-less time would not say which instant it is.
 */
export function validateDateTime(value: unknown, what = 'time'): string {
  const m = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  const ok =
    m !== null &&
    Number(m[2]) >= 1 &&
    Number(m[2]) <= 12 &&
    Number(m[3]) >= 1 &&
    Number(m[3]) <= 31 &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    Number(m[6]) <= 59 &&
    !Number.isNaN(Date.parse(value as string));
  if (!ok) {
    throw new ValidationError(
      'BAD_TIME',
      `${what} ${JSON.stringify(value)} is not an xsd:dateTime with a time zone`,
      {
        hint: 'write e.g. 2024-05-01T12:00:00Z or 2024-05-01T20:00:00+08:00',
      },
    );
  }
  return value as string;
}

// ---------------------------------------------------------------------------------------------
// drafts and builders

export interface RelationDraft {
  kind: RelationKind;
  object: string;
  secondary?: string | null;
  time?: string | null;
  /** Pin: the object's entry (its hash is taken) or its 0x-hex entry hash. */
  objectEntry?: ProvenanceEntry | string | null;
  attributes?: Readonly<Record<string, AttributeValue>>;
}

interface DraftBase {
  uri: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
  relations?: readonly RelationDraft[];
}

export interface EntityDraft extends DraftBase {
  granularity: Granularity;
  partOf?: string | null;
  /** For attributes: the geometry, or the property with this name. */
  attribute?: AttributeRef | null;
}

export interface ActivityDraft extends DraftBase {
  startedAt?: string | null;
  endedAt?: string | null;
}

export type AgentDraft = DraftBase;

function normalizeRelation(draft: RelationDraft): Relation {
  const pin = draft.objectEntry;
  return {
    kind: draft.kind,
    object: draft.object,
    secondary: draft.secondary ?? null,
    time: draft.time ?? null,
    objectEntry: pin === undefined || pin === null ? null : typeof pin === 'string' ? pin : entryHashHex(pin),
    attributes: normalizeAttributes(draft.attributes ?? {}),
  };
}

/** Relations sorted by canonical JSON with exact duplicates removed (a relation set). */
export function normalizeRelations(relations: readonly Relation[]): Relation[] {
  const byKey = new Map<string, Relation>();
  for (const r of relations) byKey.set(canonicalJson(r), r);
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

function versionFields(uri: string, kind: NodeKind, previous: ProvenanceEntry | null | undefined) {
  if (previous === undefined || previous === null) return { version: 1, previous: null };
  if (previous.uri !== uri || previous.kind !== kind) {
    throw new ValidationError(
      'VERSION_MISMATCH',
      `a new version of ${uri} cannot follow an entry for ${previous.uri}`,
      {
        hint: 'pass the previous version of the same node',
        details: { uri, previousUri: previous.uri, previousKind: previous.kind },
      },
    );
  }
  return { version: previous.version + 1, previous: entryHashHex(previous) };
}

function common(draft: DraftBase, kind: NodeKind, previous: ProvenanceEntry | null | undefined) {
  return {
    format: ENTRY_FORMAT,
    uri: draft.uri,
    ...versionFields(draft.uri, kind, previous),
    attributes: normalizeAttributes(draft.attributes ?? {}),
    relations: normalizeRelations((draft.relations ?? []).map(normalizeRelation)),
  };
}

/**
 * Builds an entity entry. With `previous` (the latest version of the same URI) the result is
 * the next version, chained to it by hash.
 */
export function makeEntity(draft: EntityDraft, previous?: ProvenanceEntry | null): EntityEntry {
  const attribute = draft.attribute ?? null;
  const entry: EntityEntry = {
    ...common(draft, 'entity', previous),
    kind: 'entity',
    granularity: draft.granularity,
    partOf: draft.partOf ?? null,
    attributeKind: attribute === null ? null : attribute.kind,
    propertyName: attribute !== null && attribute.kind === 'property' ? attribute.name : null,
  };
  return validateEntry(entry) as EntityEntry;
}

export function makeActivity(draft: ActivityDraft, previous?: ProvenanceEntry | null): ActivityEntry {
  const entry: ActivityEntry = {
    ...common(draft, 'activity', previous),
    kind: 'activity',
    startedAt: draft.startedAt ?? null,
    endedAt: draft.endedAt ?? null,
  };
  return validateEntry(entry) as ActivityEntry;
}

export function makeAgent(draft: AgentDraft, previous?: ProvenanceEntry | null): AgentEntry {
  const entry: AgentEntry = { ...common(draft, 'agent', previous), kind: 'agent' };
  return validateEntry(entry) as AgentEntry;
}

/** True if two entries say the same thing apart from `version` and `previous`. */
export function sameContent(a: ProvenanceEntry, b: ProvenanceEntry): boolean {
  return (
    canonicalJson({ ...a, version: 0, previous: null }) ===
    canonicalJson({ ...b, version: 0, previous: null })
  );
}

/**
 * The entry to anchor for `next` given the latest stored version of its URI: `previous` itself
 * if nothing changed (re-running a capture appends no version), else `next` re-chained as the
 * version after `previous`. `next` must have been built as version 1 or already chained.
 */
export function nextVersion<E extends ProvenanceEntry>(
  next: E,
  previous: ProvenanceEntry | null | undefined,
): E {
  if (previous === undefined || previous === null) return next;
  if (previous.kind === next.kind && previous.uri === next.uri && sameContent(previous, next))
    return previous as E;
  const chained = { ...next, ...versionFields(next.uri, next.kind, previous) };
  return validateEntry(chained) as E;
}

// ---------------------------------------------------------------------------------------------
// validation of untrusted entries

const COMMON_KEYS = ['attributes', 'format', 'kind', 'previous', 'relations', 'uri', 'version'];
/** The fields of each kind of entry, sorted (the order of canonical JSON). */
const KEY_LISTS: Record<NodeKind, readonly string[]> = {
  entity: [...COMMON_KEYS, 'attributeKind', 'granularity', 'partOf', 'propertyName'].sort(),
  activity: [...COMMON_KEYS, 'endedAt', 'startedAt'].sort(),
  agent: [...COMMON_KEYS].sort(),
};
const KEYS_BY_KIND: Record<NodeKind, string> = {
  entity: KEY_LISTS.entity.join(','),
  activity: KEY_LISTS.activity.join(','),
  agent: KEY_LISTS.agent.join(','),
};
const RELATION_KEYS = ['attributes', 'kind', 'object', 'objectEntry', 'secondary', 'time'].join(',');

function bad(code: string, message: string, hint: string, uri?: unknown): never {
  throw new ValidationError(code, message, typeof uri === 'string' ? { hint, details: { uri } } : { hint });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkHashHex(value: unknown, what: string, uri: string): string {
  if (typeof value !== 'string' || !HASH_HEX.test(value)) {
    bad(
      'BAD_HASH',
      `${what} of ${uri} is not a 0x-prefixed lowercase SHA-256 hex string`,
      'use toHex(entryHash(...))',
      uri,
    );
  }
  return value;
}

function validateNodeAttributes(value: unknown, what: string): Attributes {
  const attributes = validateAttributes(value, what, RESERVED_NODE_ATTRIBUTES);
  for (const t of attributeValues(attributes, 'prov:type')) {
    if (typeof t === 'object' && 'type' in t && GRANULARITY_TYPE_NAMES.has(t.$)) {
      bad(
        'RESERVED_ATTRIBUTE',
        `${what} lists ${t.$} in prov:type`,
        'the granularity is a field of the entry, not an attribute',
      );
    }
  }
  return attributes;
}

function validateRelation(value: unknown, subjectKind: NodeKind, uri: string, index: number): Relation {
  const what = `relation #${index} of ${uri}`;
  if (!isRecord(value) || Object.keys(value).sort().join(',') !== RELATION_KEYS) {
    bad(
      'BAD_RELATION',
      `${what} must have exactly the fields ${RELATION_KEYS}`,
      'build relations with make*',
      uri,
    );
  }
  if (typeof value.kind !== 'string' || !(RELATION_KINDS as readonly string[]).includes(value.kind)) {
    bad(
      'UNKNOWN_RELATION',
      `${what} has unknown kind ${JSON.stringify(value.kind)}`,
      `use one of ${RELATION_KINDS.join(', ')}`,
      uri,
    );
  }
  const kind = value.kind as RelationKind;
  const spec = RELATION_SPECS[kind];
  if (spec.subject.sort !== 'any' && spec.subject.sort !== subjectKind) {
    bad(
      'RELATION_SUBJECT_MISMATCH',
      `${what}: ${kind} belongs in the entry of its ${spec.subject.sort} (${spec.subject.key}), not of a ${subjectKind}`,
      'store each relation in the entry of its first argument',
      uri,
    );
  }
  const checkRef = (ref: unknown, sort: string, label: string) =>
    sort === 'entity' ? validateEntityUri(ref, `${what} ${label}`) : validateUri(ref, `${what} ${label}`);
  checkRef(value.object, spec.object.sort, spec.object.key);
  if (value.secondary !== null) {
    if (spec.secondary === null)
      bad('BAD_RELATION', `${what}: ${kind} has no third argument`, 'set secondary to null', uri);
    checkRef(value.secondary, spec.secondary.sort, spec.secondary.key);
  }
  if (value.time !== null) {
    if (!spec.hasTime) bad('BAD_RELATION', `${what}: ${kind} has no time`, 'set time to null', uri);
    validateDateTime(value.time, `${what} time`);
  }
  if (value.objectEntry !== null) checkHashHex(value.objectEntry, `${what} objectEntry`, uri);
  validateAttributes(value.attributes, what, RESERVED_RELATION_ATTRIBUTES);
  return value as unknown as Relation;
}

/** A validated entry with its canonical JSON text and the 0x-hex SHA-256 of that text. */
export interface ValidatedRecord {
  readonly entry: ProvenanceEntry;
  /** `canonicalJson(entry)`: the exact text that was hashed. */
  readonly text: string;
  /** `entryHashHex(entry)`. */
  readonly hash: string;
}

/**
 * Validates an entry from outside and returns it unchanged (typed). Checks every field's type
 * and limits, the URI hierarchy rules of an entity (uri.ts `checkHierarchy`), relation
 * signatures, canonical order and the total size. Rules that need other entries (does the
 * parent exist, does a relation's object have the right kind) are `ProvenanceGraph`'s.
 */
export function validateEntry(value: unknown): ProvenanceEntry {
  return checkEntry(value).entry;
}

/**
 * `validateEntry`, returning also the entry's canonical text and hash, computed once from what
 * validation already serialised (same checks, same errors).
 */
export function validateRecord(value: unknown): ValidatedRecord {
  const { entry, text, bytes } = checkEntry(value);
  return { entry, text, hash: toHex(sha256(bytes)) };
}

/** Plain JSON data at the top (no prototype that could bring `toJSON`): `entryText` applies. */
function isPlain(value: object, relations: readonly unknown[]): boolean {
  const prototype = Object.getPrototypeOf(value);
  return (
    (prototype === Object.prototype || prototype === null) &&
    Object.getPrototypeOf(relations) === Array.prototype
  );
}

/** The canonical JSON of a checked entry whose relations' canonical texts are `relationTexts`. */
function entryText(value: Record<string, unknown>, kind: NodeKind, relationTexts: readonly string[]): string {
  // The key set was checked to be exactly KEY_LISTS[kind], which is sorted (RFC 8785 order).
  let out = '{';
  for (const key of KEY_LISTS[kind]) {
    if (out.length > 1) out += ',';
    out += `"${key}":`;
    out += key === 'relations' ? `[${relationTexts.join(',')}]` : canonicalJson(value[key]);
  }
  return `${out}}`;
}

function checkEntry(value: unknown): { entry: ProvenanceEntry; text: string; bytes: Uint8Array } {
  if (!isRecord(value)) bad('BAD_ENTRY', 'a provenance entry must be an object', 'see model.ts');
  const uri = value.uri;
  const kind = value.kind;
  if (kind !== 'entity' && kind !== 'activity' && kind !== 'agent') {
    bad(
      'BAD_ENTRY',
      `entry ${String(uri)} has kind ${JSON.stringify(kind)}`,
      'kind is entity, activity or agent',
      uri,
    );
  }
  if (Object.keys(value).sort().join(',') !== KEYS_BY_KIND[kind]) {
    bad(
      'BAD_ENTRY',
      `${kind} entry ${String(uri)} must have exactly the fields ${KEYS_BY_KIND[kind]}`,
      'build entries with make*',
      uri,
    );
  }
  if (value.format !== ENTRY_FORMAT) {
    bad(
      'UNKNOWN_ENTRY_FORMAT',
      `entry ${String(uri)} has format ${JSON.stringify(value.format)}`,
      `expected ${ENTRY_FORMAT}`,
      uri,
    );
  }
  if (kind === 'entity') validateEntityUri(uri, 'entity URI');
  else validateUri(uri, `${kind} URI`);
  const key = uri as string;

  const version = value.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    bad(
      'BAD_VERSION',
      `entry ${key} has version ${JSON.stringify(version)}`,
      `versions are integers 1..${MAX_VERSION}`,
      key,
    );
  }
  if (version === 1 ? value.previous !== null : value.previous === null) {
    bad(
      'BAD_VERSION',
      `entry ${key} version ${version} ${version === 1 ? 'must not' : 'must'} name a previous entry`,
      'version 1 has previous: null; later versions chain to the one before',
      key,
    );
  }
  if (value.previous !== null) checkHashHex(value.previous, 'previous', key);

  validateNodeAttributes(value.attributes, `${kind} ${key}`);

  if (kind === 'entity') validateEntityFields(value, key);
  else if (kind === 'activity') {
    if (value.startedAt !== null) validateDateTime(value.startedAt, `start of ${key}`);
    if (value.endedAt !== null) validateDateTime(value.endedAt, `end of ${key}`);
    if (
      value.startedAt !== null &&
      value.endedAt !== null &&
      Date.parse(value.endedAt as string) < Date.parse(value.startedAt as string)
    ) {
      bad(
        'ACTIVITY_ENDS_BEFORE_START',
        `activity ${key} ends before it starts`,
        'check startedAt and endedAt',
        key,
      );
    }
  }

  const relations = value.relations;
  if (!Array.isArray(relations))
    bad('BAD_ENTRY', `entry ${key} has no relations array`, 'use [] for none', key);
  if (relations.length > MAX_RELATIONS_PER_ENTRY) {
    bad(
      'TOO_MANY_RELATIONS',
      `entry ${key} has ${relations.length} relations`,
      `at most MAX_RELATIONS_PER_ENTRY = ${MAX_RELATIONS_PER_ENTRY}`,
      key,
    );
  }
  const relationTexts: string[] = [];
  for (let i = 0; i < relations.length; i++) {
    validateRelation(relations[i], kind, key, i);
    const k = canonicalJson(relations[i]);
    const previousKey = relationTexts[i - 1];
    if (previousKey !== undefined && !(previousKey < k)) {
      bad(
        previousKey === k ? 'DUPLICATE_RELATION' : 'ENTRY_NOT_CANONICAL',
        `entry ${key}: relations #${i - 1} and #${i} are ${previousKey === k ? 'identical' : 'out of canonical order'}`,
        'build entries with make*, which sort and deduplicate relations',
        key,
      );
    }
    relationTexts.push(k);
  }

  const text = isPlain(value, relations) ? entryText(value, kind, relationTexts) : canonicalJson(value);
  const bytes = utf8(text);
  const size = bytes.length;
  if (size > MAX_ENTRY_BYTES) {
    bad(
      'ENTRY_TOO_LARGE',
      `entry ${key} is ${size} bytes of canonical JSON`,
      `at most MAX_ENTRY_BYTES = ${MAX_ENTRY_BYTES}; split relations across finer entries`,
      key,
    );
  }
  return { entry: value as unknown as ProvenanceEntry, text, bytes };
}

function validateEntityFields(value: Record<string, unknown>, uri: string): void {
  const granularity = value.granularity;
  if (granularity !== 'dataset' && granularity !== 'feature' && granularity !== 'attribute') {
    bad(
      'BAD_GRANULARITY',
      `entity ${uri} has granularity ${JSON.stringify(granularity)}`,
      'use dataset, feature or attribute',
      uri,
    );
  }
  const partOf = value.partOf === null ? null : validateEntityUri(value.partOf, `parent of ${uri}`);
  const attributeKind = value.attributeKind as AttributeKind | null;
  const propertyName = value.propertyName;
  if (granularity === 'attribute') {
    if (attributeKind !== 'geometry' && attributeKind !== 'property') {
      bad(
        'MISSING_ATTRIBUTE_KIND',
        `attribute ${uri} has attributeKind ${JSON.stringify(attributeKind)}`,
        'use geometry or property',
        uri,
      );
    }
  } else if (attributeKind !== null) {
    bad('BAD_GRANULARITY', `${granularity} ${uri} has an attributeKind`, 'only attributes have one', uri);
  }
  if (attributeKind === 'property') {
    if (
      typeof propertyName !== 'string' ||
      propertyName.length === 0 ||
      utf8(propertyName).length > MAX_LITERAL_BYTES
    ) {
      bad(
        'BAD_PROPERTY_NAME',
        `property attribute ${uri} needs a non-empty propertyName`,
        'set the GeoJSON property name',
        uri,
      );
    }
  } else if (propertyName !== null) {
    bad(
      'BAD_PROPERTY_NAME',
      `entity ${uri} has a propertyName but is not a property attribute`,
      'set propertyName to null',
      uri,
    );
  }
  const attribute: AttributeRef | null =
    attributeKind === null
      ? null
      : attributeKind === 'geometry'
        ? { kind: 'geometry' }
        : { kind: 'property', name: propertyName as string };
  checkHierarchy(uri, granularity, partOf, attribute);
}
