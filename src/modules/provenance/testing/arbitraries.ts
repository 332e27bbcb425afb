/**
 * fast-check generators of random VALID provenance graphs: a few datasets with features and
 * attributes (hierarchical URIs from random Unicode ids and property names), activities, agents,
 * random versions and pins, random attributes of every literal form, and random relations of
 * every kind whose arguments always name a node of the right kind (so the set is closed).
 * Used by tests only.
 */
import fc from 'fast-check';
import { toHex } from '../../../codec/bytes.ts';
import type { AttributeValue, Literal } from '../attributes.ts';
import { makeActivity, makeAgent, makeEntity, type RelationDraft, validateEntry } from '../entry.ts';
import {
  type NodeKind,
  type ProvenanceEntry,
  RELATION_KINDS,
  RELATION_SPECS,
  type RelationKind,
} from '../model.ts';
import { attributeUri, encodeSegment, featureUri } from '../uri.ts';

const ATTRIBUTE_NAMES = [
  'prov:label',
  'prov:value',
  'prov:type',
  'prov:role',
  'meridian:note',
  'https://example.org/ns#colour',
  'http://example.com/vocab/size',
  'urn:x-vocab:grade',
];
const TYPE_NAMES = ['xsd:int', 'xsd:dateTime', 'xsd:anyURI', 'https://example.org/ns#Unit'];
const QNAME_VALUES = [
  'prov:Person',
  'https://example.org/ns#Building',
  'urn:x-vocab:Thing',
  'meridian:Merge',
];
const DATASET_BASES = [
  'https://data.example.org/ds',
  'http://example.com/resource/dataset_',
  'urn:x-test:ds',
];

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }));

export const literalArb: fc.Arbitrary<Literal> = fc.oneof(
  text,
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)),
  fc.integer(),
  fc.boolean(),
  fc.record({ $: text, type: fc.constantFrom(...TYPE_NAMES) }),
  fc.record({ $: fc.constantFrom(...QNAME_VALUES), type: fc.constant('xsd:QName') }),
  fc.record({ $: text, lang: fc.constantFrom('en', 'zh-Hans', 'de-CH') }),
);

const attributeValueArb: fc.Arbitrary<AttributeValue> = fc.oneof(
  { weight: 3, arbitrary: literalArb },
  { weight: 1, arbitrary: fc.array(literalArb, { minLength: 2, maxLength: 3 }) },
);

export const attributesArb: fc.Arbitrary<Record<string, AttributeValue>> = fc
  .uniqueArray(fc.constantFrom(...ATTRIBUTE_NAMES), { maxLength: 4 })
  .chain((names) =>
    fc
      .tuple(...names.map(() => attributeValueArb))
      .map((values) => Object.fromEntries(names.map((n, i) => [n, values[i]!]))),
  );

const timeArb = fc
  .tuple(
    fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2035-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    fc.boolean(),
  )
  .map(([d, offset]) => (offset ? d.toISOString().replace(/\.\d+Z$/, '+08:00') : d.toISOString()));

const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);

const featureIdArb = fc.oneof(
  text.filter((s) => s.length > 0),
  fc.nat(100_000),
);

interface FeaturePlan {
  id: string | number;
  geometry: boolean;
  properties: string[];
}

const featurePlanArb: fc.Arbitrary<FeaturePlan> = fc.record({
  id: featureIdArb,
  geometry: fc.boolean(),
  properties: fc.uniqueArray(
    text.filter((s) => s.length > 0),
    { maxLength: 3 },
  ),
});

const datasetPlanArb = fc.record({
  base: fc.constantFrom(...DATASET_BASES),
  features: fc.uniqueArray(featurePlanArb, { maxLength: 4, selector: (f) => encodeSegment(String(f.id)) }),
});

interface RelationPlan {
  kind: RelationKind;
  subject: number;
  object: number;
  secondary: number | null;
  time: string | null;
  pin: string | null;
  attributes: Record<string, AttributeValue>;
}

const relationPlanArb: fc.Arbitrary<RelationPlan> = fc.record({
  kind: fc.constantFrom(...RELATION_KINDS),
  subject: fc.nat(),
  object: fc.nat(),
  secondary: fc.option(fc.nat()),
  time: fc.option(timeArb),
  pin: fc.option(hashArb),
  attributes: attributesArb,
});

interface NodeDraft {
  kind: NodeKind;
  uri: string;
  build: (relations: RelationDraft[]) => ProvenanceEntry;
}

/** A closed, valid set of entries (one per URI). */
export const provenanceGraphArb: fc.Arbitrary<ProvenanceEntry[]> = fc
  .record({
    datasets: fc.array(datasetPlanArb, { minLength: 1, maxLength: 3 }),
    activities: fc.array(
      fc.record({ attributes: attributesArb, times: fc.option(fc.tuple(timeArb, timeArb)) }),
      { minLength: 1, maxLength: 3 },
    ),
    agents: fc.array(attributesArb, { minLength: 1, maxLength: 3 }),
    nodeAttributes: fc.array(attributesArb, { minLength: 40, maxLength: 40 }),
    versions: fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), hashArb), { minLength: 40, maxLength: 40 }),
    relations: fc.array(relationPlanArb, { maxLength: 25 }),
  })
  .map((plan) => {
    const nodes: NodeDraft[] = [];
    let n = 0;
    const attrs = () => plan.nodeAttributes[n++ % plan.nodeAttributes.length]!;
    plan.datasets.forEach((ds, di) => {
      const datasetUri = `${ds.base}${di + 1}`;
      const dsAttrs = attrs();
      nodes.push({
        kind: 'entity',
        uri: datasetUri,
        build: (relations) =>
          makeEntity({ uri: datasetUri, granularity: 'dataset', attributes: dsAttrs, relations }),
      });
      for (const f of ds.features) {
        const fUri = featureUri(datasetUri, f.id);
        const fAttrs = attrs();
        nodes.push({
          kind: 'entity',
          uri: fUri,
          build: (relations) =>
            makeEntity({
              uri: fUri,
              granularity: 'feature',
              partOf: datasetUri,
              attributes: fAttrs,
              relations,
            }),
        });
        const refs = [
          ...(f.geometry ? [{ kind: 'geometry' as const }] : []),
          ...f.properties.map((name) => ({ kind: 'property' as const, name })),
        ];
        for (const ref of refs) {
          const aUri = attributeUri(fUri, ref);
          const aAttrs = attrs();
          nodes.push({
            kind: 'entity',
            uri: aUri,
            build: (relations) =>
              makeEntity({
                uri: aUri,
                granularity: 'attribute',
                partOf: fUri,
                attribute: ref,
                attributes: aAttrs,
                relations,
              }),
          });
        }
      }
    });
    plan.activities.forEach((a, i) => {
      const uri = `https://prov.example.net/activity/a${i + 1}`;
      const [start, end] =
        a.times === null ? [null, null] : [...a.times].sort((x, y) => Date.parse(x) - Date.parse(y));
      nodes.push({
        kind: 'activity',
        uri,
        build: (relations) =>
          makeActivity({ uri, startedAt: start, endedAt: end, attributes: a.attributes, relations }),
      });
    });
    plan.agents.forEach((attributes, i) => {
      const uri = i % 2 === 0 ? `https://prov.example.net/agent/g${i + 1}` : `urn:x-agents:g${i + 1}`;
      nodes.push({ kind: 'agent', uri, build: (relations) => makeAgent({ uri, attributes, relations }) });
    });

    const ofKind = (sort: NodeKind | 'any') => nodes.filter((d) => sort === 'any' || d.kind === sort);
    const relationsBySubject = new Map<string, RelationDraft[]>();
    for (const r of plan.relations) {
      const spec = RELATION_SPECS[r.kind];
      const subjects = ofKind(spec.subject.sort);
      const objects = ofKind(spec.object.sort);
      if (subjects.length === 0 || objects.length === 0) continue;
      const subject = subjects[r.subject % subjects.length]!;
      const secondaries = spec.secondary === null ? [] : ofKind(spec.secondary.sort);
      const draft: RelationDraft = {
        kind: r.kind,
        object: objects[r.object % objects.length]!.uri,
        secondary:
          r.secondary === null || secondaries.length === 0
            ? null
            : secondaries[r.secondary % secondaries.length]!.uri,
        time: spec.hasTime ? r.time : null,
        objectEntry: r.pin,
        attributes: r.attributes,
      };
      const list = relationsBySubject.get(subject.uri) ?? [];
      list.push(draft);
      relationsBySubject.set(subject.uri, list);
    }
    return nodes.map((d, i) => {
      const entry = d.build(relationsBySubject.get(d.uri) ?? []);
      const [version, previous] = plan.versions[i % plan.versions.length]!;
      return version === 1 ? entry : validateEntry({ ...entry, version, previous });
    });
  });
