/**
 * PROV-JSON (W3C Member Submission, 2013) import and export of provenance entries.
 *
 * Mapping (entries ↔ document):
 * - each entry's node goes to the `entity`, `activity` or `agent` map under its URI written as a
 *   qualified name (`ns3:BLD-0042`); each relation goes to the map named after its kind under a
 *   blank identifier (`_:r17`), with its subject, object and secondary argument under the PROV-JSON
 *   attribute names of that relation (`prov:generatedEntity`, `prov:usedEntity`, `prov:activity`, ...);
 * - Meridian's structural fields travel as attributes: granularity as a `prov:type` of
 *   `meridian:Dataset | Feature | Geometry | Property`, `meridian:version`, `meridian:previousEntry`,
 *   `meridian:partOf` (xsd:anyURI), `meridian:propertyName`, `prov:startTime`/`prov:endTime`, and a
 *   relation's pin as `meridian:objectEntry`.
 *
 * Export is deterministic (same entries, same document, same prefixes). Import accepts documents
 * from other tools: version defaults to 1, `partOf` and `propertyName` are derived from the URI when
 * absent, `prov:QUALIFIED_NAME` is read as `xsd:QName`, `xsd:string` literals as plain strings, duplicate
 * relations collapse (a relation set). Relation identifiers are not kept (entries have none), so
 * entries → PROV-JSON → entries is the identity, while a foreign document may come back with
 * different blank identifiers.
 *
 * Not supported (rejected with `UNSUPPORTED_PROV_FEATURE`): bundles, several records under one
 * identifier, `prov:generation`/`prov:usage` references, relations without their second argument.
 * Every failure is a `ValidationError`/`DecodeError` that names the offending identifier.
 */
import { utf8 } from '../../codec/bytes.ts';
import { DecodeError, ValidationError } from '../../errors.ts';
import { type Attributes, type Literal, normalizeAttributes, QNAME_TYPE } from './attributes.ts';
import { normalizeRelations, validateEntry } from './entry.ts';
import { ProvenanceGraph } from './graph.ts';
import {
  type ActivityEntry,
  type AgentEntry,
  ENTRY_FORMAT,
  type EntityEntry,
  GRANULARITY_TYPES,
  type NodeKind,
  type ProvenanceEntry,
  RELATION_KINDS,
  RELATION_SPECS,
  type Relation,
  type RelationKind,
} from './model.ts';
import {
  compactName,
  expandName,
  MERIDIAN_NS,
  PROV_NS,
  splitNamespace,
  validateName,
  XSD_NS,
} from './names.ts';
import { decodeSegment, parentUri } from './uri.ts';

/** Largest PROV-JSON text accepted by `parseProvJson` (UTF-8 bytes). */
export const MAX_PROV_JSON_BYTES = 16 * 1024 * 1024;
/** Most nodes plus relations in one document. */
export const MAX_PROV_JSON_RECORDS = 200_000;
/** Most prefix declarations in one document. */
export const MAX_PROV_JSON_PREFIXES = 4096;

export type ProvJsonRecord = Record<string, unknown>;
export type ProvJsonDocument = { prefix?: Record<string, string> } & Partial<
  Record<NodeKind | RelationKind, Record<string, ProvJsonRecord>>
>;

const PREDEFINED: Readonly<Record<string, string>> = { prov: PROV_NS, xsd: XSD_NS };
const PREFIX_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NODE_KINDS: readonly NodeKind[] = ['entity', 'activity', 'agent'];
const LEGACY_QNAME_TYPE = 'prov:QUALIFIED_NAME';
const INTEGER_TYPES = new Set([
  'xsd:int',
  'xsd:integer',
  'xsd:long',
  'xsd:short',
  'xsd:positiveInteger',
  'xsd:nonNegativeInteger',
]);

function granularityType(entry: EntityEntry): string {
  if (entry.granularity !== 'attribute') return GRANULARITY_TYPES[entry.granularity];
  return entry.attributeKind === 'geometry' ? GRANULARITY_TYPES.geometry : GRANULARITY_TYPES.property;
}

// =============================================================================================
// export

class PrefixTable {
  private readonly byNamespace = new Map<string, string>();
  private sorted: string[] = [];

  constructor(namespaces: Iterable<string>) {
    const unique = [...new Set(namespaces)]
      .filter((ns) => ns !== MERIDIAN_NS && ns !== PROV_NS && ns !== XSD_NS)
      .sort();
    unique.forEach((ns, i) => {
      this.byNamespace.set(ns, `ns${i + 1}`);
    });
    // Longest first, so the most specific namespace wins.
    this.sorted = [...unique].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  }

  declarations(): Record<string, string> {
    const out: Record<string, string> = { meridian: MERIDIAN_NS };
    for (const [ns, prefix] of this.byNamespace) out[prefix] = ns;
    return out;
  }

  /** The prefix declared for a namespace that was registered. */
  prefixOf(namespace: string): string {
    const prefix = this.byNamespace.get(namespace);
    if (prefix === undefined) throw new Error(`namespace ${namespace} was not registered`);
    return prefix;
  }

  /** A canonical name as a qualified name. */
  compact(name: string): string {
    const expanded = expandName(name);
    if (expanded !== name) return name; // already a well-known short form
    for (const ns of this.sorted) {
      if (name.startsWith(ns) && name.length > ns.length)
        return `${this.byNamespace.get(ns)}:${name.slice(ns.length)}`;
    }
    throw new Error(`no namespace registered for ${name}`);
  }
}

/** The namespace a full URI is written under: up to its last "/" or "#", else its last ":". */
function fullNamespaceOf(name: string): string | null {
  if (expandName(name) !== name) return null;
  const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('#'));
  if (cut > 0 && cut < name.length - 1) return name.slice(0, cut + 1);
  return splitNamespace(name)?.namespace ?? null;
}

function collectLiteralNamespaces(value: Literal, out: Set<string>): void {
  if (typeof value !== 'object') return;
  if ('type' in value) {
    const typeNs = fullNamespaceOf(value.type);
    if (typeNs !== null) out.add(typeNs);
    if (value.type === QNAME_TYPE) {
      const valueNs = fullNamespaceOf(value.$);
      if (valueNs !== null) out.add(valueNs);
    }
  }
}

function collectAttributeNamespaces(attributes: Attributes, out: Set<string>): void {
  for (const [name, value] of Object.entries(attributes)) {
    const ns = fullNamespaceOf(name);
    if (ns !== null) out.add(ns);
    for (const v of Array.isArray(value) ? value : [value]) collectLiteralNamespaces(v, out);
  }
}

function nodeNamespace(entry: ProvenanceEntry, graph: ProvenanceGraph): string {
  // Features and attributes share their dataset's namespace: "ns2:BLD-0042/properties.height".
  if (entry.kind === 'entity' && entry.partOf !== null) {
    let top: ProvenanceEntry = entry;
    while (top.kind === 'entity' && top.partOf !== null) {
      const parent = graph.get(top.partOf);
      if (parent === undefined) break;
      top = parent;
    }
    if (top !== entry) return `${top.uri}/`;
  }
  const ns = fullNamespaceOf(entry.uri);
  if (ns === null) throw new Error(`cannot split ${entry.uri} into namespace and local name`);
  return ns;
}

function exportLiteral(value: Literal, prefixes: PrefixTable): unknown {
  if (typeof value !== 'object') return value;
  if ('lang' in value) return { $: value.$, lang: value.lang };
  return {
    $: value.type === QNAME_TYPE ? prefixes.compact(value.$) : value.$,
    type: prefixes.compact(value.type),
  };
}

function exportAttributes(attributes: Attributes, prefixes: PrefixTable, into: ProvJsonRecord): void {
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name]!;
    into[prefixes.compact(name)] = Array.isArray(value)
      ? value.map((v) => exportLiteral(v, prefixes))
      : exportLiteral(value, prefixes);
  }
}

/**
 * Writes a closed set of entries (one per URI, every reference resolvable) as a PROV-JSON
 * document. Throws `ValidationError` from `ProvenanceGraph` if the set is not closed.
 */
export function toProvJson(entries: Iterable<ProvenanceEntry>): ProvJsonDocument {
  const graph = ProvenanceGraph.of(entries, { closed: true });
  const sorted = graph.entries();

  const namespaces = new Set<string>();
  for (const entry of sorted) {
    namespaces.add(nodeNamespace(entry, graph));
    collectAttributeNamespaces(entry.attributes, namespaces);
    for (const r of entry.relations) collectAttributeNamespaces(r.attributes, namespaces);
  }
  const prefixes = new PrefixTable(namespaces);
  const nodeId = new Map<string, string>();
  for (const entry of sorted) {
    const ns = nodeNamespace(entry, graph);
    nodeId.set(entry.uri, `${prefixes.prefixOf(ns)}:${entry.uri.slice(ns.length)}`);
  }
  const id = (uri: string): string => nodeId.get(uri)!;

  const doc: ProvJsonDocument = { prefix: prefixes.declarations() };
  let relationCounter = 0;
  for (const entry of sorted) {
    const record: ProvJsonRecord = {};
    const types: unknown[] = [];
    if (entry.kind === 'entity') types.push({ $: granularityType(entry), type: QNAME_TYPE });
    const { 'prov:type': userTypes, ...attributes } = entry.attributes;
    for (const t of userTypes === undefined ? [] : Array.isArray(userTypes) ? userTypes : [userTypes]) {
      types.push(exportLiteral(t, prefixes));
    }
    if (types.length > 0) record['prov:type'] = types.length === 1 ? types[0] : types;
    exportAttributes(attributes, prefixes, record);
    record['meridian:version'] = entry.version;
    if (entry.previous !== null) record['meridian:previousEntry'] = entry.previous;
    if (entry.kind === 'entity') {
      if (entry.partOf !== null) record['meridian:partOf'] = { $: entry.partOf, type: 'xsd:anyURI' };
      if (entry.propertyName !== null) record['meridian:propertyName'] = entry.propertyName;
    } else if (entry.kind === 'activity') {
      if (entry.startedAt !== null) record['prov:startTime'] = entry.startedAt;
      if (entry.endedAt !== null) record['prov:endTime'] = entry.endedAt;
    }
    const nodeMap = doc[entry.kind] ?? {};
    doc[entry.kind] = nodeMap;
    nodeMap[id(entry.uri)] = record;

    for (const relation of entry.relations) {
      const spec = RELATION_SPECS[relation.kind];
      const r: ProvJsonRecord = { [spec.subject.key]: id(entry.uri), [spec.object.key]: id(relation.object) };
      if (relation.secondary !== null && spec.secondary !== null)
        r[spec.secondary.key] = id(relation.secondary);
      if (relation.time !== null) r['prov:time'] = relation.time;
      if (relation.objectEntry !== null) r['meridian:objectEntry'] = relation.objectEntry;
      exportAttributes(relation.attributes, prefixes, r);
      const relationMap = doc[relation.kind] ?? {};
      doc[relation.kind] = relationMap;
      relationCounter++;
      relationMap[`_:r${relationCounter}`] = r;
    }
  }
  return doc;
}

// =============================================================================================
// import

function importError(code: string, message: string, hint: string, identifier?: string): never {
  throw new ValidationError(
    code,
    message,
    identifier === undefined ? { hint } : { hint, details: { identifier } },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Resolver {
  private readonly namespaces = new Map<string, string>(Object.entries(PREDEFINED));
  private defaultNamespace: string | null = null;

  constructor(prefix: unknown) {
    if (prefix === undefined) return;
    if (!isRecord(prefix))
      importError('BAD_PROV_JSON', '"prefix" must be an object', 'map prefix names to namespace URIs');
    const names = Object.keys(prefix);
    if (names.length > MAX_PROV_JSON_PREFIXES) {
      importError(
        'TOO_MANY_PREFIXES',
        `${names.length} prefixes declared`,
        `at most MAX_PROV_JSON_PREFIXES = ${MAX_PROV_JSON_PREFIXES}`,
      );
    }
    for (const name of names) {
      const ns = prefix[name];
      if (typeof ns !== 'string' || ns.length === 0 || ns.length > 1024) {
        importError(
          'BAD_PREFIX',
          `prefix ${name} does not map to a namespace URI`,
          'give each prefix a URI string',
          name,
        );
      }
      if (name === 'default') {
        this.defaultNamespace = ns;
        continue;
      }
      if (!PREFIX_NAME.test(name))
        importError(
          'BAD_PREFIX',
          `prefix name ${JSON.stringify(name)} is not valid`,
          'use letters, digits, "_", "-", "."',
          name,
        );
      const predefined = PREDEFINED[name];
      if (predefined !== undefined && predefined !== ns) {
        importError(
          'BAD_PREFIX',
          `prefix ${name} is predefined as ${predefined} and cannot be redeclared as ${ns}`,
          'drop the declaration',
          name,
        );
      }
      this.namespaces.set(name, ns);
    }
  }

  /** Expands a qualified name (or an unprefixed `scheme://...` URI) to a full URI. */
  expand(qualifiedName: unknown, what: string): string {
    if (typeof qualifiedName !== 'string' || qualifiedName.length === 0) {
      importError(
        'BAD_IDENTIFIER',
        `${what} must be a non-empty qualified name`,
        'write prefix:local',
        String(qualifiedName),
      );
    }
    const colon = qualifiedName.indexOf(':');
    if (colon < 0) {
      if (this.defaultNamespace === null) {
        importError(
          'UNDECLARED_PREFIX',
          `${what} ${qualifiedName} has no prefix and no default namespace is declared`,
          'declare "default" in "prefix"',
          qualifiedName,
        );
      }
      return this.defaultNamespace + qualifiedName;
    }
    const prefix = qualifiedName.slice(0, colon);
    const local = qualifiedName.slice(colon + 1);
    if (prefix === '_') {
      importError(
        'UNSUPPORTED_PROV_FEATURE',
        `${what} ${qualifiedName} is a blank node`,
        'give every entity, activity and agent a URI: it is the trie key',
        qualifiedName,
      );
    }
    const ns = this.namespaces.get(prefix);
    if (ns !== undefined) return ns + local;
    if (local.startsWith('//')) return qualifiedName; // a full URI such as https://...
    return importError(
      'UNDECLARED_PREFIX',
      `${what} ${qualifiedName} uses the undeclared prefix "${prefix}"`,
      'declare it in "prefix"',
      qualifiedName,
    );
  }

  /** A qualified name as a canonical name (short form for prov/xsd/meridian, else full URI). */
  name(qualifiedName: unknown, what: string): string {
    return validateName(compactName(this.expand(qualifiedName, what)), what);
  }
}

interface ImportContext {
  resolver: Resolver;
  /** URI → node kind of every declared node. */
  kinds: Map<string, NodeKind>;
}

function importLiteral(value: unknown, ctx: ImportContext, what: string, identifier: string): Literal {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (!isRecord(value) || !('$' in value)) {
    return importError(
      'BAD_LITERAL',
      `${what} is not a PROV-JSON value`,
      'use a string, number, boolean or {"$": ..., "type"|"lang": ...}',
      identifier,
    );
  }
  if (typeof value.$ !== 'string')
    importError(
      'BAD_LITERAL',
      `${what} has a non-string "$"`,
      'typed literal values are strings',
      identifier,
    );
  if ('lang' in value) {
    if ('type' in value && value.type !== 'xsd:string' && value.type !== 'prov:InternationalizedString') {
      importError(
        'BAD_LITERAL',
        `${what} has both a language and a type`,
        'use one of "lang" or "type"',
        identifier,
      );
    }
    if (typeof value.lang !== 'string')
      importError('BAD_LITERAL', `${what} has a non-string "lang"`, 'use a BCP 47 tag', identifier);
    return { $: value.$, lang: value.lang };
  }
  if (!('type' in value)) return value.$;
  const type = ctx.resolver.name(value.type, `${what} type`);
  if (type === 'xsd:string') return value.$;
  if (type === QNAME_TYPE || type === LEGACY_QNAME_TYPE)
    return { $: ctx.resolver.name(value.$, `${what} value`), type: QNAME_TYPE };
  return { $: value.$, type };
}

function importValues(value: unknown, ctx: ImportContext, what: string, identifier: string): Literal[] {
  if (Array.isArray(value)) {
    if (value.length === 0)
      importError('BAD_LITERAL', `${what} is an empty array`, 'omit the attribute instead', identifier);
    return value.map((v, i) => importLiteral(v, ctx, `${what}[${i}]`, identifier));
  }
  return [importLiteral(value, ctx, what, identifier)];
}

function single(values: Literal[], what: string, identifier: string): Literal {
  if (values.length !== 1)
    importError('BAD_PROV_JSON', `${what} must have one value`, 'remove the extra values', identifier);
  return values[0]!;
}

function stringValue(values: Literal[], what: string, identifier: string): string {
  const v = single(values, what, identifier);
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return v.$;
  return importError(
    'BAD_PROV_JSON',
    `${what} must be a string`,
    'see the Meridian PROV-JSON mapping in prov-json.ts',
    identifier,
  );
}

function integerValue(values: Literal[], what: string, identifier: string): number {
  const v = single(values, what, identifier);
  const n =
    typeof v === 'number'
      ? v
      : typeof v === 'object' && 'type' in v && INTEGER_TYPES.has(v.type)
        ? Number(v.$)
        : Number.NaN;
  if (!Number.isInteger(n))
    importError(
      'BAD_VERSION',
      `${what} must be an integer`,
      'write meridian:version as a JSON integer',
      identifier,
    );
  return n;
}

function addAttribute(attributes: Record<string, Literal[]>, name: string, values: Literal[]): void {
  const existing = Object.hasOwn(attributes, name) ? attributes[name]! : [];
  Object.defineProperty(attributes, name, {
    value: [...existing, ...values],
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function finishAttributes(collected: Record<string, Literal[]>): Attributes {
  const out: Record<string, Literal | Literal[]> = {};
  for (const [name, values] of Object.entries(collected)) {
    if (values.length === 0) continue;
    Object.defineProperty(out, name, {
      value: values.length === 1 ? values[0]! : values,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return normalizeAttributes(out);
}

interface GranularityFields {
  granularity: EntityEntry['granularity'];
  attributeKind: EntityEntry['attributeKind'];
}

const GRANULARITY_BY_TYPE = new Map<string, GranularityFields>([
  [GRANULARITY_TYPES.dataset, { granularity: 'dataset', attributeKind: null }],
  [GRANULARITY_TYPES.feature, { granularity: 'feature', attributeKind: null }],
  [GRANULARITY_TYPES.geometry, { granularity: 'attribute', attributeKind: 'geometry' }],
  [GRANULARITY_TYPES.property, { granularity: 'attribute', attributeKind: 'property' }],
]);

function importNode(
  kind: NodeKind,
  identifier: string,
  uri: string,
  record: Record<string, unknown>,
  ctx: ImportContext,
): ProvenanceEntry {
  const what = `${kind} ${identifier}`;
  const collected: Record<string, Literal[]> = {};
  let version = 1;
  let previous: string | null = null;
  let partOf: string | null = null;
  let propertyName: string | null = null;
  let startedAt: string | null = null;
  let endedAt: string | null = null;
  let granularity: GranularityFields | null = null;

  for (const key of Object.keys(record)) {
    const name = ctx.resolver.name(key, `${what} attribute name`);
    const label = `${what} attribute ${key}`;
    const values = importValues(record[key], ctx, label, identifier);
    switch (name) {
      case 'meridian:version':
        version = integerValue(values, label, identifier);
        break;
      case 'meridian:previousEntry':
        previous = stringValue(values, label, identifier);
        break;
      case 'meridian:partOf': {
        const v = single(values, label, identifier);
        partOf =
          typeof v === 'object' && 'type' in v && v.type === QNAME_TYPE
            ? expandName(v.$)
            : stringValue(values, label, identifier);
        break;
      }
      case 'meridian:propertyName':
        propertyName = stringValue(values, label, identifier);
        break;
      case 'prov:startTime':
        startedAt = stringValue(values, label, identifier);
        break;
      case 'prov:endTime':
        endedAt = stringValue(values, label, identifier);
        break;
      case 'prov:type': {
        const others: Literal[] = [];
        for (const v of values) {
          const g =
            typeof v === 'object' && 'type' in v && v.type === QNAME_TYPE
              ? GRANULARITY_BY_TYPE.get(v.$)
              : undefined;
          if (g === undefined || kind !== 'entity') others.push(v);
          else if (granularity !== null && granularity !== g) {
            importError(
              'AMBIGUOUS_GRANULARITY',
              `${what} has more than one granularity type`,
              'keep one of meridian:Dataset, Feature, Geometry, Property',
              identifier,
            );
          } else granularity = g;
        }
        addAttribute(collected, name, others);
        break;
      }
      default:
        addAttribute(collected, name, values);
    }
  }
  const base = {
    format: ENTRY_FORMAT,
    uri,
    version,
    previous,
    attributes: finishAttributes(collected),
    relations: [] as Relation[],
  };
  if (kind === 'activity') return { ...base, kind, startedAt, endedAt } satisfies ActivityEntry;
  if (kind === 'agent') return { ...base, kind } satisfies AgentEntry;
  if (granularity === null) {
    return importError(
      'MISSING_GRANULARITY',
      `${what} has no granularity`,
      'add a prov:type of meridian:Dataset, meridian:Feature, meridian:Geometry or meridian:Property',
      identifier,
    );
  }
  const g: GranularityFields = granularity;
  if (partOf === null && g.granularity !== 'dataset') partOf = parentUri(uri);
  if (propertyName === null && g.attributeKind === 'property') {
    const segment = uri.slice(uri.lastIndexOf('/') + 1);
    if (segment.startsWith('properties.')) propertyName = decodeSegment(segment.slice('properties.'.length));
  }
  return {
    ...base,
    kind,
    granularity: g.granularity,
    partOf,
    attributeKind: g.attributeKind,
    propertyName,
  } satisfies EntityEntry;
}

function importRelation(
  kind: RelationKind,
  identifier: string,
  record: Record<string, unknown>,
  ctx: ImportContext,
): { subject: string; relation: Relation } {
  const spec = RELATION_SPECS[kind];
  const what = `${kind} ${identifier}`;
  const collected: Record<string, Literal[]> = {};
  const args = new Map<string, { identifier: string; uri: string }>();
  let time: string | null = null;
  let objectEntry: string | null = null;
  const argumentKeys = new Set([
    spec.subject.key,
    spec.object.key,
    ...(spec.secondary ? [spec.secondary.key] : []),
  ]);

  for (const key of Object.keys(record)) {
    const name = ctx.resolver.name(key, `${what} attribute name`);
    const raw = record[key];
    if (argumentKeys.has(name)) {
      if (typeof raw !== 'string') {
        importError(
          'BAD_PROV_JSON',
          `${what}: ${key} must be one identifier`,
          'several members need several relations',
          identifier,
        );
      }
      args.set(name, { identifier: raw, uri: ctx.resolver.expand(raw, `${what} ${key}`) });
      continue;
    }
    if (name === 'prov:generation' || name === 'prov:usage') {
      importError(
        'UNSUPPORTED_PROV_FEATURE',
        `${what} refers to a generation or usage record (${key})`,
        'drop prov:generation/prov:usage; Meridian relations have no identifiers',
        identifier,
      );
    }
    const values = importValues(raw, ctx, `${what} attribute ${key}`, identifier);
    if (name === 'prov:time') {
      if (!spec.hasTime)
        importError(
          'BAD_RELATION',
          `${what} has a prov:time, which ${kind} does not take`,
          'remove prov:time',
          identifier,
        );
      time = stringValue(values, `${what} prov:time`, identifier);
    } else if (name === 'meridian:objectEntry') {
      objectEntry = stringValue(values, `${what} meridian:objectEntry`, identifier);
    } else {
      addAttribute(collected, name, values);
    }
  }

  const resolveArgument = (key: string, sort: NodeKind | 'any', required: boolean): string | null => {
    const arg = args.get(key);
    if (arg === undefined) {
      if (!required) return null;
      return importError(
        key === spec.subject.key ? 'MISSING_ARGUMENT' : 'UNSUPPORTED_PROV_FEATURE',
        `${what} has no ${key}`,
        key === spec.subject.key
          ? `name the ${spec.subject.sort} it is about`
          : `Meridian requires ${key} on every ${kind}`,
        identifier,
      );
    }
    const found = ctx.kinds.get(arg.uri);
    if (found === undefined) {
      importError(
        'DANGLING_REFERENCE',
        `${what}: ${key} names ${arg.identifier}, which is not declared`,
        'declare it in "entity", "activity" or "agent"',
        arg.identifier,
      );
    }
    if (sort !== 'any' && found !== sort) {
      importError(
        'WRONG_NODE_KIND',
        `${what}: ${key} names ${arg.identifier}, which is declared as ${found}, not ${sort}`,
        `${key} must name a declared ${sort}`,
        arg.identifier,
      );
    }
    return arg.uri;
  };
  const subject = resolveArgument(spec.subject.key, spec.subject.sort, true)!;
  const object = resolveArgument(spec.object.key, spec.object.sort, true)!;
  const secondary =
    spec.secondary === null ? null : resolveArgument(spec.secondary.key, spec.secondary.sort, false);
  return {
    subject,
    relation: { kind, object, secondary, time, objectEntry, attributes: finishAttributes(collected) },
  };
}

/**
 * Reads a parsed PROV-JSON document into entries (sorted by URI). Validates types, limits,
 * references (`DANGLING_REFERENCE` / `WRONG_NODE_KIND` name the relation and identifier), every
 * entry (`validateEntry`) and the multi-entry rules (`ProvenanceGraph`, closed).
 */
export function fromProvJson(document: unknown): ProvenanceEntry[] {
  if (!isRecord(document))
    importError(
      'BAD_PROV_JSON',
      'a PROV-JSON document must be a JSON object',
      'see https://www.w3.org/Submission/prov-json/',
    );
  for (const key of Object.keys(document)) {
    if (key === 'bundle')
      importError(
        'UNSUPPORTED_PROV_FEATURE',
        'the document has bundles',
        'flatten bundles into the top-level document',
      );
    if (
      key !== 'prefix' &&
      !(NODE_KINDS as readonly string[]).includes(key) &&
      !(RELATION_KINDS as readonly string[]).includes(key)
    ) {
      importError(
        'UNKNOWN_PROV_KEY',
        `unknown top-level key ${JSON.stringify(key)}`,
        `use prefix, entity, activity, agent or ${RELATION_KINDS.join(', ')}`,
        key,
      );
    }
  }
  const ctx: ImportContext = { resolver: new Resolver(document.prefix), kinds: new Map() };

  let records = 0;
  const groups = (key: string): [string, Record<string, unknown>][] => {
    const group = document[key];
    if (group === undefined) return [];
    if (!isRecord(group))
      importError('BAD_PROV_JSON', `"${key}" must be an object keyed by identifier`, 'see PROV-JSON §2', key);
    const out: [string, Record<string, unknown>][] = [];
    for (const [identifier, record] of Object.entries(group)) {
      records++;
      if (records > MAX_PROV_JSON_RECORDS) {
        importError(
          'TOO_MANY_RECORDS',
          `the document has more than ${MAX_PROV_JSON_RECORDS} records`,
          'split it (limit MAX_PROV_JSON_RECORDS)',
        );
      }
      if (Array.isArray(record)) {
        importError(
          'UNSUPPORTED_PROV_FEATURE',
          `${key} ${identifier} has several records under one identifier`,
          'merge them into one record',
          identifier,
        );
      }
      if (!isRecord(record))
        importError(
          'BAD_PROV_JSON',
          `${key} ${identifier} must be an object`,
          'see PROV-JSON §3',
          identifier,
        );
      out.push([identifier, record]);
    }
    return out;
  };

  const nodes = new Map<string, ProvenanceEntry>();
  const pending: [NodeKind, string, string, Record<string, unknown>][] = [];
  for (const kind of NODE_KINDS) {
    for (const [identifier, record] of groups(kind)) {
      const uri = ctx.resolver.expand(identifier, `${kind} identifier`);
      const earlier = ctx.kinds.get(uri);
      if (earlier !== undefined) {
        importError(
          'DUPLICATE_URI',
          `${identifier} is declared as both ${earlier} and ${kind} (or twice)`,
          'one node per URI: it is the trie key',
          identifier,
        );
      }
      ctx.kinds.set(uri, kind);
      pending.push([kind, identifier, uri, record]);
    }
  }
  for (const [kind, identifier, uri, record] of pending)
    nodes.set(uri, importNode(kind, identifier, uri, record, ctx));

  const relationsBySubject = new Map<string, Relation[]>();
  for (const kind of RELATION_KINDS) {
    for (const [identifier, record] of groups(kind)) {
      const { subject, relation } = importRelation(kind, identifier, record, ctx);
      const list = relationsBySubject.get(subject) ?? [];
      list.push(relation);
      relationsBySubject.set(subject, list);
    }
  }

  const entries: ProvenanceEntry[] = [];
  for (const [uri, node] of nodes) {
    const relations = normalizeRelations(relationsBySubject.get(uri) ?? []);
    entries.push(validateEntry({ ...node, relations }));
  }
  return ProvenanceGraph.of(entries, { closed: true }).entries();
}

/** Parses PROV-JSON text (size-checked before parsing) into entries. */
export function parseProvJson(text: string): ProvenanceEntry[] {
  if (typeof text !== 'string') throw new DecodeError('BAD_PROV_JSON', 'PROV-JSON must be text');
  if (text.length * 3 > MAX_PROV_JSON_BYTES && utf8(text).length > MAX_PROV_JSON_BYTES) {
    throw new ValidationError(
      'PROV_JSON_TOO_LARGE',
      `the document is larger than ${MAX_PROV_JSON_BYTES} bytes`,
      {
        hint: 'split it (limit MAX_PROV_JSON_BYTES)',
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError('BAD_JSON', 'the PROV-JSON document is not valid JSON', { cause });
  }
  return fromProvJson(value);
}

/** Serialises entries as PROV-JSON text (deterministic; 2-space indentation when `pretty`). */
export function stringifyProvJson(entries: Iterable<ProvenanceEntry>, pretty = false): string {
  return JSON.stringify(toProvJson(entries), null, pretty ? 2 : undefined);
}
