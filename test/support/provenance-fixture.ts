/**
 * A small, real provenance workload for tests: the first buildings of the example data
 * (examples/provenance/data), imported from both sources and merged (src/modules/provenance
 * capture), so every granularity and every relation kind capture makes is present.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeatureCollection } from '../../src/geo/geojson.ts';
import {
  captureSource,
  type EntityEntry,
  type MergeResult,
  makeAgent,
  mergeDatasets,
  type ProvenanceEntry,
} from '../../src/modules/provenance/index.ts';

export const MERGED = 'https://data.example.org/test/merged';
export const REGISTER = 'https://data.example.org/test/register';
export const OSM = 'https://data.example.org/test/osm';
export const MERGE_ACTIVITY = 'https://prov.example.net/activity/test-merge';

export interface Fixture {
  /** Every entry: agents, both imports, the merge. */
  readonly entries: ProvenanceEntry[];
  readonly merge: MergeResult;
  /** One entry of the merged dataset at each granularity (a merged feature and one of its attributes). */
  readonly dataset: EntityEntry;
  readonly feature: EntityEntry;
  readonly attribute: EntityEntry;
}

const DATA = join(import.meta.dirname, '../../examples/provenance/data');

export function smallMerge(features = 12): Fixture {
  const office = makeAgent({ uri: 'https://prov.example.net/agent/test-office' });
  const community = makeAgent({ uri: 'https://prov.example.net/agent/test-osm' });
  const auth = parseFeatureCollection(readFileSync(join(DATA, 'authoritative.geojson'), 'utf8'));
  const osm = parseFeatureCollection(readFileSync(join(DATA, 'osm.geojson'), 'utf8'));
  const a = captureSource(
    { ...auth, features: auth.features.slice(0, features) },
    {
      datasetUri: REGISTER,
      activityUri: 'https://prov.example.net/activity/test-import-register',
      time: '2023-07-01T09:00:00+08:00',
      publisher: office,
    },
  );
  const o = captureSource(
    { ...osm, features: osm.features.slice(0, features) },
    {
      datasetUri: OSM,
      activityUri: 'https://prov.example.net/activity/test-extract-osm',
      time: '2024-03-01T00:00:00Z',
      publisher: community,
    },
  );
  const merge = mergeDatasets(a, o, {
    outputUri: MERGED,
    activityUri: MERGE_ACTIVITY,
    time: '2024-03-05T10:00:00+08:00',
    agent: office,
  });
  const entities = merge.entries.filter((e): e is EntityEntry => e.kind === 'entity');
  const attribute = entities.find((e) => e.granularity === 'attribute' && e.attributeKind === 'property')!;
  return {
    entries: [office, community, ...a.entries, ...o.entries, ...merge.entries],
    merge,
    dataset: entities.find((e) => e.granularity === 'dataset')!,
    feature: entities.find((e) => e.uri === attribute.partOf)!,
    attribute,
  };
}
