/**
 * Real provenance entries (the model's `make*` builders, so canonical JSON and hashes are exactly
 * what the chain and the verifiers see) for benchmarks: a merge-like output dataset of an exact
 * number of entries, each feature with 2-20 attributes (seed 001 §5.1), every feature and
 * attribute derived from a source entry with an operation and a source role, as capture writes
 * them (records of 0.5-1 KB, like the worked example's). Deterministic for a seed.
 */
import {
  type ActivityEntry,
  type AgentEntry,
  ATTR,
  attributeUri,
  type EntityEntry,
  featureUri,
  makeActivity,
  makeAgent,
  makeEntity,
  type ProvenanceEntry,
  valueHashHex,
} from '../../src/modules/provenance/index.ts';
import { Prng } from './prng.ts';

const PROPERTIES = [
  'height',
  'name',
  'building',
  'levels',
  'addr_street',
  'addr_housenumber',
  'use',
  'roof',
  'material',
  'year',
  'source',
  'status',
  'postcode',
  'colour',
  'condition',
  'zone',
  'code',
  'owner',
  'area',
];

export interface SyntheticDataset {
  readonly uri: string;
  readonly agent: AgentEntry;
  readonly activity: ActivityEntry;
  /** The dataset entry and every feature and attribute entry below it (exactly the requested count). */
  readonly subtree: EntityEntry[];
  /** Agent, activity and the subtree: everything to anchor. */
  readonly all: ProvenanceEntry[];
}

/** A merge-like dataset of exactly `entries` entries (dataset + features + attributes), `entries` ≥ 4. */
export function syntheticDataset(options: {
  base: string;
  id: string;
  entries: number;
  seed: number;
}): SyntheticDataset {
  const prng = new Prng(options.seed);
  const uri = `${options.base}/merged-${options.id}`;
  const source = `${options.base}/source-${options.id}`;
  const time = '2024-03-05T10:00:00+08:00';
  const agent = makeAgent({
    uri: `https://prov.example.net/agent/bench-${options.id}`,
    attributes: { 'prov:label': 'bench agent' },
  });
  const activity = makeActivity({
    uri: `https://prov.example.net/activity/bench-merge-${options.id}`,
    startedAt: time,
    endedAt: time,
    attributes: { [ATTR.algorithm]: 'meridian/merge-buildings@1', [ATTR.parameters]: '{"iouThreshold":0.5}' },
    relations: [
      { kind: 'used', object: source },
      { kind: 'wasAssociatedWith', object: agent.uri, objectEntry: agent },
    ],
  });
  const subtree: EntityEntry[] = [
    makeEntity({
      uri,
      granularity: 'dataset',
      attributes: {
        [ATTR.label]: `bench dataset ${options.id}`,
        [ATTR.valueHash]: valueHashHex(options.seed),
      },
      relations: [
        { kind: 'wasGeneratedBy', object: activity.uri, time, objectEntry: activity },
        { kind: 'wasAttributedTo', object: agent.uri, objectEntry: agent },
        { kind: 'wasDerivedFrom', object: source, secondary: activity.uri },
      ],
    }),
  ];
  let remaining = options.entries - 1;
  for (let f = 1; remaining > 0; f++) {
    let attributes = prng.int(2, 20);
    if (remaining < attributes + 1 + 3) attributes = remaining - 1;
    const feature = featureUri(uri, `BLD-${String(f).padStart(5, '0')}`);
    const sourceFeature = featureUri(source, `way/${1000 + f}`);
    subtree.push(
      makeEntity({
        uri: feature,
        granularity: 'feature',
        partOf: uri,
        attributes: { [ATTR.featureId]: `BLD-${f}`, [ATTR.valueHash]: valueHashHex([f, prng.nextUint32()]) },
        relations: [
          {
            kind: 'wasDerivedFrom',
            object: sourceFeature,
            secondary: activity.uri,
            attributes: {
              [ATTR.operation]: ['merged', 'kept', 'added'][prng.int(0, 2)]!,
              [ATTR.sourceRole]: 'osm',
            },
          },
        ],
      }),
    );
    for (let a = 0; a < attributes; a++) {
      const ref =
        a === 0
          ? ({ kind: 'geometry' } as const)
          : ({ kind: 'property', name: PROPERTIES[a - 1] ?? `p${a}` } as const);
      const operation = ['kept', 'added', 'updated'][prng.int(0, 2)]!;
      const newValue = valueHashHex([f, a, prng.nextUint32()]);
      subtree.push(
        makeEntity({
          uri: attributeUri(feature, ref),
          granularity: 'attribute',
          partOf: feature,
          attribute: ref,
          attributes: { [ATTR.valueHash]: newValue },
          relations: [
            {
              kind: 'wasDerivedFrom',
              object: attributeUri(sourceFeature, ref),
              secondary: activity.uri,
              attributes: {
                [ATTR.operation]: operation,
                [ATTR.sourceRole]: operation === 'kept' ? 'authoritative' : 'osm',
                ...(operation === 'updated'
                  ? { [ATTR.oldValueHash]: valueHashHex([f, a]), [ATTR.newValueHash]: newValue }
                  : {}),
              },
            },
          ],
        }),
      );
    }
    remaining -= attributes + 1;
  }
  if (subtree.length !== options.entries)
    throw new Error(`generated ${subtree.length} entries, wanted ${options.entries}`);
  return { uri, agent, activity, subtree, all: [agent, activity, ...subtree] };
}
