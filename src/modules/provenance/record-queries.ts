/**
 * The model's queries (`lineage`, `touchedBy`, query.ts) answered from the SQL store: load the
 * entries a query can reach, build a `ProvenanceGraph`, and run the same pure function, so the
 * SQL answers are by construction the in-memory answers for the stored records.
 *
 * What is read is what the database holds (latest stored version per URI), unverified: verify
 * the entries a decision rests on with a proof bundle.
 */
import { ValidationError } from '../../errors.ts';
import { pathAncestors } from './anchor-state.ts';
import { validateEntry } from './entry.ts';
import { ProvenanceGraph } from './graph.ts';
import type { ProvenanceEntry } from './model.ts';
import {
  type ActivityFootprint,
  type LineageResult,
  lineage,
  MAX_LINEAGE_STEPS,
  touchedBy,
} from './query.ts';
import type { ProvenanceRecordStore, StoredRecord } from './record-store.ts';

/** Most entries loaded to answer one lineage or footprint query. */
export const MAX_QUERY_ENTRIES = 50_000;

function parseStored(record: StoredRecord): ProvenanceEntry | undefined {
  try {
    return validateEntry(JSON.parse(record.text));
  } catch {
    return undefined; // a damaged row: the query goes on without it (verification names it)
  }
}

function referencesOf(entry: ProvenanceEntry): string[] {
  const out: string[] = [];
  if (entry.kind === 'entity' && entry.partOf !== null) out.push(entry.partOf);
  for (const r of entry.relations) {
    out.push(r.object);
    if (r.secondary !== null) out.push(r.secondary);
  }
  return out;
}

class Loader {
  readonly entries = new Map<string, ProvenanceEntry>();
  readonly #asked = new Set<string>();

  constructor(private readonly store: ProvenanceRecordStore) {}

  /** Loads the latest stored entries of `uris` and of their path ancestors; returns the new ones. */
  async load(uris: Iterable<string>): Promise<ProvenanceEntry[]> {
    const ask: string[] = [];
    for (const uri of uris) {
      for (const u of [uri, ...pathAncestors(uri)]) {
        if (!this.#asked.has(u)) {
          this.#asked.add(u);
          ask.push(u);
        }
      }
    }
    const found: ProvenanceEntry[] = [];
    for (let i = 0; i < ask.length; i += 10_000) {
      found.push(...this.add(await this.store.latestRecordsOf(ask.slice(i, i + 10_000))));
    }
    return found;
  }

  /** Adds stored records (a damaged or mislabelled row is left out); returns the new entries. */
  add(records: readonly StoredRecord[]): ProvenanceEntry[] {
    const found: ProvenanceEntry[] = [];
    for (const record of records) {
      this.#asked.add(record.uri);
      const entry = parseStored(record);
      if (entry !== undefined && !this.entries.has(entry.uri) && entry.uri === record.uri) {
        this.entries.set(entry.uri, entry);
        found.push(entry);
      }
    }
    if (this.entries.size > MAX_QUERY_ENTRIES) {
      throw new ValidationError(
        'QUERY_TOO_LARGE',
        `the query reaches more than ${MAX_QUERY_ENTRIES} entries`,
        {
          hint: 'ask about a finer entity, or lower maxDepth',
        },
      );
    }
    return found;
  }

  graph(): ProvenanceGraph {
    return ProvenanceGraph.of(this.entries.values());
  }
}

/** `lineage` (query.ts) over the stored records: what `uri` was derived from, by which activity, by whom. */
export async function lineageFromStore(
  store: ProvenanceRecordStore,
  uri: string,
  options: { maxDepth?: number } = {},
): Promise<LineageResult> {
  const loader = new Loader(store);
  let frontier = await loader.load([uri]);
  // Breadth-first over every reference: parents, sources, activities, agents, delegations.
  while (frontier.length > 0 && loader.entries.size < MAX_LINEAGE_STEPS) {
    frontier = await loader.load(frontier.flatMap(referencesOf));
  }
  return lineage(loader.graph(), uri, options);
}

/** The activity that generated `uri` (its own `wasGeneratedBy`, or its nearest ancestor's). */
async function generatingActivity(store: ProvenanceRecordStore, uri: string): Promise<string | undefined> {
  const loader = new Loader(store);
  await loader.load([uri]);
  for (const u of [uri, ...pathAncestors(uri)]) {
    const entry = loader.entries.get(u);
    if (entry?.kind === 'activity' && u === uri) return uri;
    const generated = entry?.relations.find((r) => r.kind === 'wasGeneratedBy');
    if (generated !== undefined) return generated.object;
  }
  return undefined;
}

/**
 * `touchedBy` (query.ts) over the stored records: everything an activity used, generated,
 * invalidated, per granularity. `uri` may name the activity or an entity it generated (then
 * its generating activity is used).
 */
export async function touchedByFromStore(
  store: ProvenanceRecordStore,
  uri: string,
): Promise<ActivityFootprint> {
  const activity = await generatingActivity(store, uri);
  if (activity === undefined) {
    throw new ValidationError(
      'NO_GENERATING_ACTIVITY',
      `no stored record says which activity generated ${uri}`,
      {
        hint: 'give an activity URI, or an entity whose record (or its dataset’s) has wasGeneratedBy',
      },
    );
  }
  const loader = new Loader(store);
  const subjects = await store.subjectsReferencing(activity, MAX_QUERY_ENTRIES);
  const direct = await loader.load([activity, ...subjects]);
  // Inputs and outputs named by those relations (one hop), for their granularity.
  await loader.load(direct.flatMap(referencesOf));
  // Finer entities of generated roots inherit the generation (query.ts): load the whole subtrees.
  for (const entry of direct) {
    if (entry.relations.some((r) => r.kind === 'wasGeneratedBy' && r.object === activity)) {
      loader.add(await store.latestRecordsUnder(entry.uri));
    }
  }
  return touchedBy(loader.graph(), activity);
}
