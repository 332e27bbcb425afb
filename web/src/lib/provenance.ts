/**
 * Provenance in the console: the lineage answer as a PROV graph (entities,
 * activities, agents and the relations between them) laid out left to right
 * from sources to results, the records a proof bundle carries, and the
 * footprint checks the map makes. Pure functions; the pages fetch.
 */
import { fromHex, toHex, utf8 } from '../../../src/codec/bytes.ts';
import { hashRecord } from '../../../src/codec/canonical-json.ts';

/** One step of `GET /v1/provenance/lineage` (src/modules/provenance/query.ts `LineageStep`). */
export interface LineageStep {
  readonly uri: string;
  readonly depth: number;
  readonly describedBy: string | null;
  readonly granularity: 'dataset' | 'feature' | 'attribute' | null;
  readonly entryHash: string | null;
  readonly generatedBy: readonly { activity: string; time: string | null; declaredBy: string }[];
  readonly derivedFrom: readonly {
    source: string;
    activity: string | null;
    operation: string | null;
    sourceRole: string | null;
    declaredBy: string;
  }[];
  readonly agents: readonly {
    agent: string;
    via: 'attribution' | 'association' | 'delegation';
    declaredBy: string;
  }[];
}

export type ProvKind = 'entity' | 'activity' | 'agent';

export interface GraphNode {
  readonly id: string;
  readonly kind: ProvKind;
  readonly granularity: string | null;
  /** Column, left (sources) to right (the node asked about). */
  readonly column: number;
  /** Agents sit in a row of their own below the flow. */
  readonly row: 'flow' | 'agents';
  /** True for the node the graph is about. */
  readonly focus: boolean;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly relation: string;
  /** e.g. the derivation's operation (merged, kept, updated) and source role. */
  readonly detail: string | null;
  /** True when the fact is inherited from an ancestor's entry (seed 001: coarse records carry shared facts). */
  readonly inherited: boolean;
}

export interface ProvGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly columns: number;
}

/** Most lineage steps drawn (the rest are listed, not drawn). */
export const MAX_GRAPH_STEPS = 40;

/** A PROV graph of a lineage answer: each step's entity, its generating activity, its sources and agents. */
export function lineageGraph(steps: readonly LineageStep[], focusUri: string): ProvGraph {
  const drawn = steps.slice(0, MAX_GRAPH_STEPS);
  const maxDepth = Math.max(0, ...drawn.map((s) => s.depth));
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const edgeKeys = new Set<string>();
  const entityColumn = (depth: number) => 2 * (maxDepth - depth) + 1;
  const addNode = (node: GraphNode) => {
    const existing = nodes.get(node.id);
    // A node met at several depths is drawn once, at its leftmost (oldest) column.
    if (!existing || node.column < existing.column)
      nodes.set(node.id, existing ? { ...existing, column: node.column } : node);
  };
  const addEdge = (edge: GraphEdge) => {
    const key = `${edge.from}|${edge.to}|${edge.relation}`;
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push(edge);
  };
  for (const step of drawn) {
    const column = entityColumn(step.depth);
    addNode({
      id: step.uri,
      kind: 'entity',
      granularity: step.granularity,
      column,
      row: 'flow',
      focus: step.uri === focusUri,
    });
    for (const g of step.generatedBy) {
      addNode({
        id: g.activity,
        kind: 'activity',
        granularity: null,
        column: column - 1,
        row: 'flow',
        focus: false,
      });
      addEdge({
        from: step.uri,
        to: g.activity,
        relation: 'wasGeneratedBy',
        detail: g.time,
        inherited: g.declaredBy !== step.uri,
      });
    }
    for (const d of step.derivedFrom) {
      const detail = [d.operation, d.sourceRole].filter((x): x is string => Boolean(x)).join(' · ') || null;
      // wasDerivedFrom(e, source, activity) means the activity used the source to make e: drawn
      // from that activity, so the flow reads source → activity → result without crossing lines.
      if (d.activity) {
        addNode({
          id: d.activity,
          kind: 'activity',
          granularity: null,
          column: column - 1,
          row: 'flow',
          focus: false,
        });
      }
      addEdge({
        from: d.activity ?? step.uri,
        to: d.source,
        relation: 'wasDerivedFrom',
        detail,
        inherited: d.declaredBy !== step.uri,
      });
      if (!drawn.some((s) => s.uri === d.source)) {
        addNode({
          id: d.source,
          kind: 'entity',
          granularity: null,
          column: column - 2,
          row: 'flow',
          focus: false,
        });
      }
    }
    const activity = step.generatedBy[0]?.activity;
    for (const a of step.agents) {
      const from = a.via === 'association' && activity ? activity : step.uri;
      const relation =
        a.via === 'attribution'
          ? 'wasAttributedTo'
          : a.via === 'association'
            ? 'wasAssociatedWith'
            : 'actedOnBehalfOf';
      addNode({
        id: a.agent,
        kind: 'agent',
        granularity: null,
        column: nodes.get(from)?.column ?? column,
        row: 'agents',
        focus: false,
      });
      addEdge({ from, to: a.agent, relation, detail: null, inherited: a.declaredBy !== step.uri });
    }
  }
  const minColumn = Math.min(0, ...[...nodes.values()].map((n) => n.column));
  const shifted = [...nodes.values()].map((n) => ({ ...n, column: n.column - minColumn }));
  return { nodes: shifted, edges, columns: Math.max(1, ...shifted.map((n) => n.column + 1)) };
}

/** A short, readable label for a URI: its last one or two path segments, decoded. */
export function uriLabel(uri: string): string {
  const path = uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+/i, '').replace(/^urn:/i, '');
  const segments = path.split('/').filter((s) => s !== '');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (segments.length === 0) return uri;
  const last = decode(segments[segments.length - 1]!);
  if (/^(geometry|properties\..+)$/.test(last) && segments.length >= 2)
    return `${decode(segments[segments.length - 2]!)} / ${last}`;
  return last;
}

/** The URI segment for a feature id or property name (src/modules/provenance/uri.ts `encodeSegment`). */
export function encodeSegment(text: string): string {
  if (text === '.' || text === '..') return text.replaceAll('.', '%2E');
  return encodeURIComponent(text).replaceAll('%3A', ':');
}

export function featureUriOf(datasetUri: string, featureId: string | number): string {
  return `${datasetUri}/${encodeSegment(String(featureId))}`;
}

/** The dataset a URI belongs to, given its record's `partOf` chain (dataset: itself). */
export function parentOf(uri: string): string | null {
  const slash = uri.lastIndexOf('/');
  if (slash < 0) return null;
  const parent = uri.slice(0, slash);
  if (parent.endsWith(':') || parent.endsWith(':/') || parent.length === 0) return null;
  return parent;
}

/** SHA-256 of the canonical JSON of a GeoJSON geometry: what capture anchors as the geometry's value hash. */
export function geometryHash(geometry: { type: string; coordinates: unknown }): string {
  return toHex(hashRecord({ type: geometry.type, coordinates: geometry.coordinates }));
}

/** A provenance entry as the console reads it (src/modules/provenance/model.ts). */
export interface ProvEntry {
  readonly uri: string;
  readonly kind: ProvKind;
  readonly granularity?: 'dataset' | 'feature' | 'attribute';
  readonly partOf?: string | null;
  readonly version: number;
  readonly attributes: Record<string, unknown>;
  readonly relations: readonly {
    kind: string;
    object: string;
    secondary?: string | null;
    time?: string | null;
    objectEntry?: string | null;
    attributes?: Record<string, unknown>;
  }[];
}

/** A string attribute value (plain, or a typed literal `{ $, type }`). */
export function attributeText(entry: ProvEntry | undefined, name: string): string | undefined {
  const value = entry?.attributes[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null) return undefined;
  if (typeof first === 'object' && '$' in (first as object)) return String((first as { $: unknown }).$);
  return String(first);
}

/** The records a proof bundle carries, parsed, by URI (unparseable ones are skipped: the verifier judges them). */
export function bundleRecords(records: readonly { uri: string; record: string }[]): Map<string, ProvEntry> {
  const out = new Map<string, ProvEntry>();
  for (const { uri, record } of records) {
    try {
      out.set(uri, JSON.parse(record) as ProvEntry);
    } catch {
      // an altered record may not even be JSON
    }
  }
  return out;
}

/** A copy of a record text with one attribute changed, as a dishonest store would serve it. */
export function alterRecordText(record: string): string {
  try {
    const value = JSON.parse(record) as Record<string, unknown>;
    const attributes = { ...((value.attributes as Record<string, unknown>) ?? {}) };
    const hash = attributes['meridian:valueHash'];
    attributes['meridian:valueHash'] =
      typeof hash === 'string' && /^0x[0-9a-f]{64}$/i.test(hash)
        ? toHex(fromHex(hash).map((b, i) => (i === 31 ? b ^ 1 : b)))
        : `0x${'00'.repeat(32)}`;
    return JSON.stringify({ ...value, attributes });
  } catch {
    return `${record} `;
  }
}

/** The key of a URI in a provenance trie (its UTF-8 bytes), as 0x-hex. */
export function uriKeyHex(uri: string): string {
  return toHex(utf8(uri));
}
