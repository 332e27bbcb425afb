import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, ValidationError } from '../../errors.ts';
import { entryHashHex, makeActivity, makeAgent, makeEntity } from './entry.ts';
import type { ProvenanceEntry } from './model.ts';
import {
  fromProvJson,
  MAX_PROV_JSON_BYTES,
  parseProvJson,
  stringifyProvJson,
  toProvJson,
} from './prov-json.ts';
import { provenanceGraphArb } from './testing/arbitraries.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError || e instanceof DecodeError) return e.code;
    throw e;
  }
  return undefined;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

const byUri = (entries: ProvenanceEntry[]) => [...entries].sort((a, b) => (a.uri < b.uri ? -1 : 1));

describe('PROV-JSON round trip', () => {
  it('entries → PROV-JSON text → entries is the identity (random valid graphs)', () => {
    fc.assert(
      fc.property(provenanceGraphArb, (entries) => {
        const text = stringifyProvJson(entries);
        const back = parseProvJson(text);
        expect(back).toEqual(byUri(entries));
        expect(back.map(entryHashHex)).toEqual(byUri(entries).map(entryHashHex));
        // and the export is deterministic
        expect(stringifyProvJson(back)).toBe(text);
      }),
      { numRuns: 150 },
    );
  });
});

const EX = 'http://example.com/resource/';

function paperExample(): ProvenanceEntry[] {
  const agent = makeAgent({
    uri: 'https://prov.example.net/agent/alice',
    attributes: { 'prov:type': { $: 'prov:Person', type: 'xsd:QName' } },
  });
  const act = makeActivity({
    uri: 'https://prov.example.net/activity/merge',
    startedAt: '2020-06-01T08:00:00Z',
    endedAt: '2020-06-01T08:05:00Z',
    relations: [{ kind: 'wasAssociatedWith', object: agent.uri, objectEntry: agent }],
  });
  const ds = makeEntity({
    uri: `${EX}dataset_A`,
    granularity: 'dataset',
    relations: [{ kind: 'wasGeneratedBy', object: act.uri, time: '2020-06-01T08:05:00Z', objectEntry: act }],
  });
  const feature = makeEntity({ uri: `${EX}dataset_A/feature_B`, granularity: 'feature', partOf: ds.uri });
  const attr = makeEntity({
    uri: `${EX}dataset_A/feature_B/properties.name`,
    granularity: 'attribute',
    partOf: feature.uri,
    attribute: { kind: 'property', name: 'name' },
    attributes: { 'prov:label': { $: '东湖', lang: 'zh' } },
  });
  return [agent, act, ds, feature, attr];
}

describe('PROV-JSON export', () => {
  it('writes the W3C layout: prefix, entity/activity/agent maps, relation maps with PROV argument names', () => {
    const doc = toProvJson(paperExample());
    expect(Object.keys(doc).sort()).toEqual([
      'activity',
      'agent',
      'entity',
      'prefix',
      'wasAssociatedWith',
      'wasGeneratedBy',
    ]);
    const prefix = doc.prefix!;
    expect(prefix.meridian).toBe('https://meridian.example/ns/prov#');
    const dsPrefix = Object.entries(prefix).find(([, ns]) => ns === `${EX}dataset_A/`)![0];
    // features and attributes are written under their dataset's namespace
    expect(doc.entity![`${dsPrefix}:feature_B`]).toMatchObject({
      'prov:type': { $: 'meridian:Feature', type: 'xsd:QName' },
      'meridian:partOf': { $: `${EX}dataset_A`, type: 'xsd:anyURI' },
      'meridian:version': 1,
    });
    expect(doc.entity![`${dsPrefix}:feature_B/properties.name`]).toMatchObject({
      'prov:type': { $: 'meridian:Property', type: 'xsd:QName' },
      'meridian:propertyName': 'name',
      'prov:label': { $: '东湖', lang: 'zh' },
    });
    const gen = Object.values(doc.wasGeneratedBy!)[0]!;
    expect(gen['prov:time']).toBe('2020-06-01T08:05:00Z');
    expect(gen['meridian:objectEntry']).toMatch(/^0x[0-9a-f]{64}$/);
    expect(Object.values(doc.activity!)[0]).toMatchObject({ 'prov:startTime': '2020-06-01T08:00:00Z' });
  });

  it('refuses to export a set with a dangling reference', () => {
    const [, act, ds] = paperExample();
    expect(codeOf(() => toProvJson([act!, ds!]))).toBe('DANGLING_REFERENCE');
  });
});

describe('PROV-JSON import of documents written by other tools', () => {
  const foreign = {
    prefix: { ex: 'http://example.org/', m: 'https://meridian.example/ns/prov#' },
    entity: {
      'ex:roads': {
        'prov:type': [
          { $: 'm:Dataset', type: 'prov:QUALIFIED_NAME' },
          { $: 'ex:Layer', type: 'xsd:QName' },
        ],
      },
      'ex:roads/r1': {
        'prov:type': { $: 'm:Feature', type: 'xsd:QName' },
        'prov:label': { $: 'Ring road', type: 'xsd:string' },
      },
      'ex:roads/r1/properties.lanes': {
        'prov:type': { $: 'm:Property', type: 'xsd:QName' },
        'ex:count': { $: '4', type: 'xsd:int' },
      },
    },
    activity: { 'ex:digitise': { 'prov:startTime': '2019-01-01T00:00:00Z' } },
    agent: { 'ex:bob': {} },
    wasGeneratedBy: { '_:g1': { 'prov:entity': 'ex:roads', 'prov:activity': 'ex:digitise' } },
    wasAttributedTo: {
      '_:a1': { 'prov:entity': 'ex:roads', 'prov:agent': 'ex:bob' },
      '_:a2': { 'prov:entity': 'ex:roads', 'prov:agent': 'ex:bob' },
    },
  };

  it('defaults version 1, derives partOf/propertyName, normalises legacy qualified names and xsd:string', () => {
    const entries = fromProvJson(structuredClone(foreign));
    const byId = new Map(entries.map((e) => [e.uri, e]));
    const roads = byId.get('http://example.org/roads')!;
    expect(roads).toMatchObject({ kind: 'entity', granularity: 'dataset', version: 1, previous: null });
    expect(roads.attributes['prov:type']).toEqual({ $: 'http://example.org/Layer', type: 'xsd:QName' });
    expect(roads.relations).toHaveLength(2); // duplicate attribution collapsed
    const lanes = byId.get('http://example.org/roads/r1/properties.lanes')!;
    expect(lanes).toMatchObject({
      partOf: 'http://example.org/roads/r1',
      attributeKind: 'property',
      propertyName: 'lanes',
    });
    expect(byId.get('http://example.org/roads/r1')!.attributes['prov:label']).toBe('Ring road');
  });

  const broken: [string, string, (d: Record<string, unknown> & typeof foreign) => void][] = [
    [
      'DANGLING_REFERENCE',
      'ex:nobody',
      (d) =>
        ((d.wasAttributedTo as Record<string, unknown>)['_:a3'] = {
          'prov:entity': 'ex:roads',
          'prov:agent': 'ex:nobody',
        }),
    ],
    [
      'WRONG_NODE_KIND',
      'ex:bob',
      (d) =>
        ((d.wasGeneratedBy as Record<string, unknown>)['_:g2'] = {
          'prov:entity': 'ex:roads',
          'prov:activity': 'ex:bob',
        }),
    ],
    [
      'MISSING_ARGUMENT',
      '_:g3',
      (d) => ((d.wasGeneratedBy as Record<string, unknown>)['_:g3'] = { 'prov:activity': 'ex:digitise' }),
    ],
    ['UNDECLARED_PREFIX', 'zz:thing', (d) => ((d.entity as Record<string, unknown>)['zz:thing'] = {})],
    ['MISSING_GRANULARITY', 'ex:loose', (d) => ((d.entity as Record<string, unknown>)['ex:loose'] = {})],
    ['UNSUPPORTED_PROV_FEATURE', 'bundle', (d) => ((d as Record<string, unknown>).bundle = {})],
    ['UNKNOWN_PROV_KEY', 'wasQuotedFrom', (d) => ((d as Record<string, unknown>).wasQuotedFrom = {})],
    [
      'DUPLICATE_URI',
      'ex:bob',
      (d) =>
        ((d.entity as Record<string, unknown>)['ex:bob'] = {
          'prov:type': { $: 'm:Dataset', type: 'xsd:QName' },
        }),
    ],
    [
      'FEATURE_NOT_UNDER_DATASET',
      'ex:elsewhere/r2',
      (d) => {
        (d.entity as Record<string, unknown>)['ex:elsewhere/r2'] = {
          'prov:type': { $: 'm:Feature', type: 'xsd:QName' },
          'm:partOf': { $: 'http://example.org/roads', type: 'xsd:anyURI' },
        };
      },
    ],
    [
      'PARENT_GRANULARITY_MISMATCH',
      'ex:roads/r1/x',
      (d) => {
        (d.entity as Record<string, unknown>)['ex:roads/r1/x'] = {
          'prov:type': { $: 'm:Feature', type: 'xsd:QName' },
        };
      },
    ],
    [
      'KEY_UNDER_FOREIGN_ENTITY',
      'ex:roads/log',
      (d) => ((d.activity as Record<string, unknown>)['ex:roads/log'] = {}),
    ],
    [
      'BAD_LITERAL',
      'ex:bob',
      (d) => ((d.agent as Record<string, unknown>)['ex:bob'] = { 'prov:label': null }),
    ],
  ];
  it.each(broken)('rejects with %s, naming %s', (code, identifier, breakIt) => {
    const doc = structuredClone(foreign) as Record<string, unknown> & typeof foreign;
    breakIt(doc);
    expect(codeOf(() => fromProvJson(doc))).toBe(code);
    expect(messageOf(() => fromProvJson(doc))).toContain(identifier.replace(/^ex:/, ''));
  });

  it('checks the size before parsing and rejects non-JSON', () => {
    expect(codeOf(() => parseProvJson('{'))).toBe('BAD_JSON');
    expect(codeOf(() => parseProvJson(' '.repeat(MAX_PROV_JSON_BYTES + 1)))).toBe('PROV_JSON_TOO_LARGE');
  });
});
