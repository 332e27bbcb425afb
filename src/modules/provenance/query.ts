/**
 * Queries over a set of entries (a `ProvenanceGraph`). Pure functions: the SQL-backed versions
 * must return the same answers for the same entries.
 *
 * Inheritance (seed 001 §1.1: coarse records hold what finer ones share): a feature or attribute
 * whose entry has no `wasGeneratedBy` / `wasAttributedTo` of its own inherits them from the
 * nearest ancestor (`partOf` chain) that has one; a URI with no entry at all (an attribute of a
 * feature copied whole from one source) is described by the nearest ancestor entry. Every
 * inherited fact says where it was declared (`declaredBy`), so nothing is silently invented.
 */
import { type Attributes, attributeValues } from './attributes.ts';
import { entryHashHex } from './entry.ts';
import type { ProvenanceGraph } from './graph.ts';
import { ATTR, type EntityEntry, type Granularity, type ProvenanceEntry, type Relation } from './model.ts';

/** Deepest upstream walk of `lineage` (derivation hops). */
export const MAX_LINEAGE_DEPTH = 64;
/** Most nodes `lineage` visits before it stops and reports `truncated`. */
export const MAX_LINEAGE_STEPS = 10_000;
/** Longest `actedOnBehalfOf` chain followed when collecting responsible agents. */
const MAX_DELEGATION_HOPS = 16;

export interface GenerationFact {
  activity: string;
  time: string | null;
  /** URI of the entry holding the `wasGeneratedBy` (the node itself or an ancestor). */
  declaredBy: string;
}

export interface DerivationFact {
  source: string;
  activity: string | null;
  /** `meridian:operation` of the derivation (kept, added, updated, merged), if recorded. */
  operation: string | null;
  /** `meridian:sourceRole` of the derivation (authoritative, osm), if recorded. */
  sourceRole: string | null;
  attributes: Attributes;
  declaredBy: string;
}

export interface AgentFact {
  agent: string;
  /** attribution: wasAttributedTo; association: the generating activity's wasAssociatedWith;
   *  delegation: actedOnBehalfOf from one of those agents. */
  via: 'attribution' | 'association' | 'delegation';
  declaredBy: string;
}

export interface LineageStep {
  uri: string;
  /** Derivation hops from the URI asked about (0 = itself). */
  depth: number;
  /** The entry describing this URI (its own or an ancestor's), null if the graph has none. */
  describedBy: string | null;
  granularity: Granularity | null;
  /** 0x-hex hash of the describing entry. */
  entryHash: string | null;
  generatedBy: GenerationFact[];
  derivedFrom: DerivationFact[];
  agents: AgentFact[];
}

export interface LineageResult {
  steps: LineageStep[];
  /** True if the walk stopped at `maxDepth` or `MAX_LINEAGE_STEPS` with sources left unvisited. */
  truncated: boolean;
}

function firstString(attributes: Attributes, name: string): string | null {
  const v = attributeValues(attributes, name)[0];
  if (v === undefined) return null;
  return typeof v === 'object' ? v.$ : String(v);
}

function relationsOf(entry: ProvenanceEntry, kind: Relation['kind']): Relation[] {
  return entry.relations.filter((r) => r.kind === kind);
}

/** The entity entries from `entry` up its `partOf` chain (itself first). */
function ancestry(graph: ProvenanceGraph, entry: ProvenanceEntry): ProvenanceEntry[] {
  const chain: ProvenanceEntry[] = [entry];
  let current: ProvenanceEntry = entry;
  while (current.kind === 'entity' && current.partOf !== null && chain.length < 3) {
    const parent = graph.get(current.partOf);
    if (parent === undefined) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}

/** The nearest entry in the chain that has relations of `kind`, and those relations. */
function inherited(
  chain: readonly ProvenanceEntry[],
  kind: Relation['kind'],
): { holder: string; relations: Relation[] } | null {
  for (const e of chain) {
    const found = relationsOf(e, kind);
    if (found.length > 0) return { holder: e.uri, relations: found };
  }
  return null;
}

function agentFacts(
  graph: ProvenanceGraph,
  chain: readonly ProvenanceEntry[],
  generations: readonly GenerationFact[],
): AgentFact[] {
  const facts: AgentFact[] = [];
  const seen = new Set<string>();
  const add = (fact: AgentFact) => {
    const key = `${fact.agent}|${fact.via}|${fact.declaredBy}`;
    if (!seen.has(key)) {
      seen.add(key);
      facts.push(fact);
    }
  };
  const attributed = inherited(chain, 'wasAttributedTo');
  for (const r of attributed?.relations ?? [])
    add({ agent: r.object, via: 'attribution', declaredBy: attributed!.holder });
  const delegates: string[] = [];
  for (const g of generations) {
    const activity = graph.get(g.activity);
    if (activity === undefined) continue;
    for (const r of relationsOf(activity, 'wasAssociatedWith')) {
      add({ agent: r.object, via: 'association', declaredBy: activity.uri });
      delegates.push(r.object);
    }
  }
  for (const start of delegates) {
    let current = start;
    for (let hop = 0; hop < MAX_DELEGATION_HOPS; hop++) {
      const agent = graph.get(current);
      const onBehalf = agent === undefined ? [] : relationsOf(agent, 'actedOnBehalfOf');
      if (onBehalf.length === 0) break;
      for (const r of onBehalf) add({ agent: r.object, via: 'delegation', declaredBy: current });
      current = onBehalf[0]!.object;
    }
  }
  return facts;
}

function describe(graph: ProvenanceGraph, uri: string, depth: number): LineageStep {
  const entry = graph.describing(uri);
  if (entry === undefined) {
    return {
      uri,
      depth,
      describedBy: null,
      granularity: null,
      entryHash: null,
      generatedBy: [],
      derivedFrom: [],
      agents: [],
    };
  }
  const chain = ancestry(graph, entry);
  const generated = inherited(chain, 'wasGeneratedBy');
  const generatedBy: GenerationFact[] = (generated?.relations ?? []).map((r) => ({
    activity: r.object,
    time: r.time,
    declaredBy: generated!.holder,
  }));
  const derivedFrom: DerivationFact[] = relationsOf(entry, 'wasDerivedFrom').map((r) => ({
    source: r.object,
    activity: r.secondary,
    operation: firstString(r.attributes, ATTR.operation),
    sourceRole: firstString(r.attributes, ATTR.sourceRole),
    attributes: r.attributes,
    declaredBy: entry.uri,
  }));
  return {
    uri,
    depth,
    describedBy: entry.uri,
    granularity:
      entry.kind === 'entity' && entry.uri === uri ? entry.granularity : granularityFromDescriber(entry, uri),
    entryHash: entryHashHex(entry),
    generatedBy,
    derivedFrom,
    agents: agentFacts(graph, chain, generatedBy),
  };
}

function granularityFromDescriber(entry: ProvenanceEntry, uri: string): Granularity | null {
  if (entry.kind !== 'entity' || entry.uri === uri) return entry.kind === 'entity' ? entry.granularity : null;
  // One segment below a dataset is a feature; anything below a feature is an attribute.
  const depthBelow = uri.slice(entry.uri.length + 1).split('/').length;
  if (entry.granularity === 'feature') return 'attribute';
  if (entry.granularity === 'dataset') return depthBelow === 1 ? 'feature' : 'attribute';
  return null;
}

/**
 * The lineage of an entity at any granularity: what it was derived from (recursively, breadth
 * first, each source once), by which activity, and which agents were involved (attributed,
 * associated with the generating activity, or responsible by delegation).
 */
export function lineage(
  graph: ProvenanceGraph,
  uri: string,
  options: { maxDepth?: number } = {},
): LineageResult {
  const maxDepth = Math.min(options.maxDepth ?? MAX_LINEAGE_DEPTH, MAX_LINEAGE_DEPTH);
  const steps: LineageStep[] = [];
  const visited = new Set<string>([uri]);
  let frontier = [uri];
  let truncated = false;
  for (let depth = 0; frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const current of frontier) {
      if (steps.length >= MAX_LINEAGE_STEPS) return { steps, truncated: true };
      const step = describe(graph, current, depth);
      steps.push(step);
      for (const d of step.derivedFrom) {
        if (visited.has(d.source)) continue;
        if (depth + 1 > maxDepth) {
          truncated = true;
          continue;
        }
        visited.add(d.source);
        next.push(d.source);
      }
    }
    frontier = next;
  }
  return { steps, truncated };
}

export interface ByGranularity {
  dataset: string[];
  feature: string[];
  attribute: string[];
  /** URIs that are not entities of the graph (anchored elsewhere, or not entities). */
  other: string[];
}

export interface ActivityFootprint {
  activity: string;
  entry: ProvenanceEntry | null;
  /** Agents associated with the activity. */
  agents: string[];
  /** Activities this one was informed by. */
  informedBy: string[];
  /** Inputs: `used` by the activity, and sources of derivations made by it. */
  used: ByGranularity;
  /** Outputs: generated by the activity (own or inherited `wasGeneratedBy`) or derived by it. */
  generated: ByGranularity;
  invalidated: ByGranularity;
  /** Count of `meridian:operation` values on the derivations it made, per output granularity. */
  operations: Record<Granularity, Record<string, number>>;
}

class Bucket {
  private readonly sets = {
    dataset: new Set<string>(),
    feature: new Set<string>(),
    attribute: new Set<string>(),
    other: new Set<string>(),
  };
  constructor(private readonly graph: ProvenanceGraph) {}
  add(uri: string): void {
    const e = this.graph.get(uri);
    this.sets[e?.kind === 'entity' ? e.granularity : 'other'].add(uri);
  }
  result(): ByGranularity {
    const sorted = (s: Set<string>) => [...s].sort();
    return {
      dataset: sorted(this.sets.dataset),
      feature: sorted(this.sets.feature),
      attribute: sorted(this.sets.attribute),
      other: sorted(this.sets.other),
    };
  }
}

/** Everything an activity touched, at each granularity (for a merge: its inputs, outputs and per-level operations). */
export function touchedBy(graph: ProvenanceGraph, activityUri: string): ActivityFootprint {
  const entry = graph.get(activityUri) ?? null;
  const used = new Bucket(graph);
  const generated = new Bucket(graph);
  const invalidated = new Bucket(graph);
  const operations: Record<Granularity, Record<string, number>> = { dataset: {}, feature: {}, attribute: {} };
  const agents = new Set<string>();
  const informedBy = new Set<string>();

  if (entry !== null) {
    for (const r of entry.relations) {
      if (r.kind === 'used') used.add(r.object);
      else if (r.kind === 'wasAssociatedWith') agents.add(r.object);
      else if (r.kind === 'wasInformedBy') informedBy.add(r.object);
    }
  }
  const generatedRoots: string[] = [];
  for (const incoming of graph.incomingTo(activityUri)) {
    const { relation, subject, role } = incoming;
    if (relation.kind === 'wasGeneratedBy' && role === 'object') {
      generated.add(subject);
      generatedRoots.push(subject);
    } else if (relation.kind === 'wasInvalidatedBy' && role === 'object') {
      invalidated.add(subject);
    } else if (relation.kind === 'wasDerivedFrom' && role === 'secondary') {
      generated.add(subject);
      used.add(relation.object);
      const op = firstString(relation.attributes, ATTR.operation);
      const subjectEntry = graph.get(subject) as EntityEntry | undefined;
      if (op !== null && subjectEntry !== undefined) {
        const counts = operations[subjectEntry.granularity];
        counts[op] = (counts[op] ?? 0) + 1;
      }
    }
  }
  // Finer entities with no generation of their own inherit it from a generated ancestor.
  for (const root of generatedRoots) {
    for (const below of graph.below(root)) {
      if (below.kind === 'entity' && relationsOf(below, 'wasGeneratedBy').length === 0)
        generated.add(below.uri);
    }
  }
  return {
    activity: activityUri,
    entry,
    agents: [...agents].sort(),
    informedBy: [...informedBy].sort(),
    used: used.result(),
    generated: generated.result(),
    invalidated: invalidated.result(),
    operations,
  };
}
