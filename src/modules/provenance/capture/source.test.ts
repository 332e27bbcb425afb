import { describe, expect, it } from 'vitest';
import type { ValidationError } from '../../../errors.ts';
import { rect } from '../../../geo/testing/shapes.ts';
import { entryHashHex, makeActivity, makeAgent, valueHashHex } from '../entry.ts';
import { ProvenanceGraph } from '../graph.ts';
import type { EntityEntry } from '../model.ts';
import { captureSource } from './source.ts';

const DS = 'https://data.example.org/register';
const publisher = makeAgent({ uri: 'https://prov.example.net/agent/office' });
const options = {
  datasetUri: DS,
  activityUri: 'https://prov.example.net/activity/import-1',
  time: '2023-06-01T00:00:00Z',
  publisher,
};
const data = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      id: 'B 1',
      geometry: rect(0, 0, 10, 10),
      properties: { height_m: 10, 'addr:street': 'Bayi Rd' },
    },
    { type: 'Feature', id: 2, geometry: rect(20, 0, 10, 10), properties: {} },
  ],
};

describe('captureSource', () => {
  it('emits activity, dataset, one entry per feature and per attribute, all under the dataset URI', () => {
    const c = captureSource(data, options);
    expect(c.entries.map((e) => e.uri)).toEqual([
      options.activityUri,
      DS,
      `${DS}/B%201`,
      `${DS}/2`,
      `${DS}/B%201/geometry`,
      `${DS}/B%201/properties.height_m`,
      `${DS}/B%201/properties.addr:street`,
      `${DS}/2/geometry`,
    ]);
    const graph = ProvenanceGraph.of([publisher, ...c.entries], { closed: true });
    expect(graph.below(DS)).toHaveLength(6);
    const height = graph.get(`${DS}/B%201/properties.height_m`) as EntityEntry;
    expect(height).toMatchObject({
      granularity: 'attribute',
      partOf: `${DS}/B%201`,
      attributeKind: 'property',
      propertyName: 'height_m',
    });
    expect(height.attributes['meridian:valueHash']).toBe(valueHashHex(10));
    expect(c.datasetEntry.relations.find((r) => r.kind === 'wasGeneratedBy')!.objectEntry).toBe(
      entryHashHex(c.activityEntry),
    );
    expect(c.features.get('2')!.entry.attributes['meridian:featureId']).toBe(2);
  });

  it('is deterministic and validates its inputs', () => {
    expect(captureSource(data, options).entries.map(entryHashHex)).toEqual(
      captureSource(structuredClone(data), options).entries.map(entryHashHex),
    );
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as ValidationError).code;
      }
      return undefined;
    };
    expect(
      code(() =>
        captureSource(
          { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: rect(0, 0, 1, 1) }] },
          options,
        ),
      ),
    ).toBe('FEATURE_WITHOUT_ID');
    expect(code(() => captureSource(data, { ...options, datasetUri: `${DS}/` }))).toBe(
      'ENTITY_URI_TRAILING_SLASH',
    );
    expect(code(() => captureSource(data, { ...options, time: 'yesterday' }))).toBe('BAD_TIME');
    expect(
      code(() =>
        captureSource(data, {
          ...options,
          publisher: makeActivity({ uri: 'https://prov.example.net/activity/x' }) as never,
        }),
      ),
    ).toBe('NOT_AN_AGENT');
  });
});
