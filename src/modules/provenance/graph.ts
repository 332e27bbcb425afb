/**
 * A set of entries (one per URI) viewed as a PROV graph, with the rules that need more than
 * one entry:
 *
 * - `DUPLICATE_URI`: one entry per URI (pick versions first with `latestVersions`);
 * - `KEY_UNDER_FOREIGN_ENTITY`: a key below an entity's URI must be that entity's own feature
 *   or attribute (declared `partOf`), so an entity's trie subtree holds exactly its hierarchy;
 *   activity and agent URIs never sit under an entity;
 * - when `closed` (a self-contained document such as PROV-JSON): `DANGLING_REFERENCE` if a
 *   parent or relation argument names a URI with no entry, `WRONG_NODE_KIND` if it names a node
 *   of the wrong kind (e.g. `wasGeneratedBy` pointing at an agent), `PARENT_GRANULARITY_MISMATCH`
 *   if a feature's parent is not a dataset or an attribute's is not a feature.
 *
 * Open graphs (`closed: false`) allow references to nodes anchored elsewhere; queries simply stop
 * there. Keys are kept sorted by UTF-16 code unit, which for ASCII URIs is the trie's byte order.
 */
import { ValidationError } from '../../errors.ts';
import { type NodeKind, type ProvenanceEntry, RELATION_SPECS, type Relation } from './model.ts';
import { subtreePrefix } from './uri.ts';

/** Most entries in one in-memory graph (a PROV-JSON document, a query's working set). */
export const MAX_GRAPH_ENTRIES = 1_000_000;

export interface IncomingRelation {
  /** The URI of the entry that holds the relation (its subject). */
  subject: string;
  relation: Relation;
  /** Which argument of the relation names the node looked up. */
  role: 'object' | 'secondary';
}

export interface GraphOptions {
  /** Require every reference to resolve inside the graph (default false). */
  closed?: boolean;
}

function graphError(code: string, message: string, hint: string, details: Record<string, unknown>): never {
  throw new ValidationError(code, message, { hint, details });
}

export class ProvenanceGraph {
  private readonly byUri: Map<string, ProvenanceEntry>;
  private readonly sortedKeys: string[];
  private readonly incoming = new Map<string, IncomingRelation[]>();

  private constructor(byUri: Map<string, ProvenanceEntry>) {
    this.byUri = byUri;
    this.sortedKeys = [...byUri.keys()].sort();
    for (const entry of byUri.values()) {
      for (const relation of entry.relations) {
        this.addIncoming(relation.object, { subject: entry.uri, relation, role: 'object' });
        if (relation.secondary !== null) {
          this.addIncoming(relation.secondary, { subject: entry.uri, relation, role: 'secondary' });
        }
      }
    }
  }

  private addIncoming(uri: string, item: IncomingRelation): void {
    const list = this.incoming.get(uri);
    if (list === undefined) this.incoming.set(uri, [item]);
    else list.push(item);
  }

  /**
   * Builds a graph from entries that were validated one by one (`validateEntry` / `make*`).
   * Throws `ValidationError` on the multi-entry rules listed above.
   */
  static of(entries: Iterable<ProvenanceEntry>, options: GraphOptions = {}): ProvenanceGraph {
    const byUri = new Map<string, ProvenanceEntry>();
    for (const entry of entries) {
      if (byUri.has(entry.uri)) {
        graphError(
          'DUPLICATE_URI',
          `two entries for ${entry.uri}`,
          'keep one version per URI (latestVersions)',
          {
            uri: entry.uri,
          },
        );
      }
      byUri.set(entry.uri, entry);
      if (byUri.size > MAX_GRAPH_ENTRIES) {
        graphError('TOO_MANY_ENTRIES', `more than ${MAX_GRAPH_ENTRIES} entries`, 'work on smaller sets', {});
      }
    }
    const graph = new ProvenanceGraph(byUri);
    graph.checkKeys();
    if (options.closed) graph.checkClosed();
    return graph;
  }

  get size(): number {
    return this.byUri.size;
  }

  get(uri: string): ProvenanceEntry | undefined {
    return this.byUri.get(uri);
  }

  has(uri: string): boolean {
    return this.byUri.has(uri);
  }

  /** All entries in key order. */
  entries(): ProvenanceEntry[] {
    return this.sortedKeys.map((k) => this.byUri.get(k)!);
  }

  /** Relations in other entries that name `uri` as their object or secondary argument. */
  incomingTo(uri: string): readonly IncomingRelation[] {
    return this.incoming.get(uri) ?? [];
  }

  /** Entries strictly below `uri` (keys starting with `uri + "/"`), in key order. */
  below(uri: string): ProvenanceEntry[] {
    const prefix = subtreePrefix(uri);
    const out: ProvenanceEntry[] = [];
    for (let i = lowerBound(this.sortedKeys, prefix); i < this.sortedKeys.length; i++) {
      const key = this.sortedKeys[i]!;
      if (!key.startsWith(prefix)) break;
      out.push(this.byUri.get(key)!);
    }
    return out;
  }

  /**
   * The entry that describes `uri`: its own, or the nearest ancestor's (an attribute of a
   * feature that came whole from one source has no entry of its own; its feature's applies).
   */
  describing(uri: string): ProvenanceEntry | undefined {
    let current: string = uri;
    for (;;) {
      const entry = this.byUri.get(current);
      if (entry !== undefined) return entry;
      const slash = current.lastIndexOf('/');
      if (slash <= 0) return undefined;
      current = current.slice(0, slash);
    }
  }

  private checkKeys(): void {
    for (const entry of this.byUri.values()) {
      // Walk up the path: the first key found above this one must be its declared parent.
      let current = entry.uri;
      for (;;) {
        const slash = current.lastIndexOf('/');
        if (slash <= 0) break;
        current = current.slice(0, slash);
        const above = this.byUri.get(current);
        if (above === undefined) continue;
        const declaredParent = entry.kind === 'entity' ? entry.partOf : null;
        if (above.kind === 'entity' && declaredParent !== current) {
          graphError(
            'KEY_UNDER_FOREIGN_ENTITY',
            `${entry.kind} ${entry.uri} sits under entity ${current} without being part of it`,
            "only an entity's own features/attributes may use its URI as a prefix; mint activity and agent URIs in their own namespace",
            { uri: entry.uri, ancestor: current },
          );
        }
        break;
      }
    }
  }

  private checkClosed(): void {
    for (const entry of this.byUri.values()) {
      if (entry.kind === 'entity' && entry.partOf !== null) {
        const parent = this.byUri.get(entry.partOf);
        const wanted = entry.granularity === 'feature' ? 'dataset' : 'feature';
        if (parent === undefined) {
          graphError(
            'DANGLING_REFERENCE',
            `${entry.granularity} ${entry.uri} is part of ${entry.partOf}, which has no entry`,
            'include the parent entity',
            {
              uri: entry.uri,
              reference: entry.partOf,
            },
          );
        }
        if (parent.kind !== 'entity' || parent.granularity !== wanted) {
          graphError(
            'PARENT_GRANULARITY_MISMATCH',
            `${entry.granularity} ${entry.uri} is part of ${entry.partOf}, which is not a ${wanted}`,
            'features belong to datasets, attributes to features',
            { uri: entry.uri, reference: entry.partOf },
          );
        }
      }
      for (const relation of entry.relations) {
        const spec = RELATION_SPECS[relation.kind];
        this.checkReference(entry.uri, relation, relation.object, spec.object.key, spec.object.sort);
        if (relation.secondary !== null && spec.secondary !== null) {
          this.checkReference(
            entry.uri,
            relation,
            relation.secondary,
            spec.secondary.key,
            spec.secondary.sort,
          );
        }
      }
    }
  }

  private checkReference(
    subject: string,
    relation: Relation,
    uri: string,
    key: string,
    sort: NodeKind | 'any',
  ): void {
    const target = this.byUri.get(uri);
    if (target === undefined) {
      graphError(
        'DANGLING_REFERENCE',
        `${relation.kind} of ${subject}: ${key} ${uri} has no entry`,
        'declare every node a relation names',
        {
          uri: subject,
          reference: uri,
          relation: relation.kind,
        },
      );
    }
    if (sort !== 'any' && target.kind !== sort) {
      graphError(
        'WRONG_NODE_KIND',
        `${relation.kind} of ${subject}: ${key} ${uri} is a${target.kind === 'entity' || target.kind === 'activity' ? 'n' : ''} ${target.kind}, not a${sort === 'entity' || sort === 'activity' ? 'n' : ''} ${sort}`,
        `${key} must name a${sort === 'entity' || sort === 'activity' ? 'n' : ''} ${sort}`,
        { uri: subject, reference: uri, relation: relation.kind },
      );
    }
  }
}

function lowerBound(keys: readonly string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
