import { describe, expect, it } from 'vitest';
import type { ValidationError } from '../../../errors.ts';
import type { GeoFeature } from '../../../geo/geojson.ts';
import { rect } from '../../../geo/testing/shapes.ts';
import { qname } from '../attributes.ts';
import { entryHashHex, makeAgent, valueHashHex } from '../entry.ts';
import { ProvenanceGraph } from '../graph.ts';
import type { EntityEntry, ProvenanceEntry } from '../model.ts';
import { parseProvJson, stringifyProvJson } from '../prov-json.ts';
import { lineage, touchedBy } from '../query.ts';
import { parentUri } from '../uri.ts';
import { type MergeOptions, mergeDatasets } from './merge.ts';
import { type CapturedDataset, captureSource } from './source.ts';

const P = 'https://prov.example.net';
const AUTH = 'https://data.example.org/wuchang/buildings-2023';
const OSM = 'https://data.example.org/osm/wuchang-2024-03';
const OUT = 'https://data.example.org/wuchang/buildings-merged';

const surveyOffice = makeAgent({
  uri: `${P}/agent/survey-office`,
  attributes: { 'prov:type': qname('prov:Organization'), 'prov:label': 'City survey office' },
});
const osmCommunity = makeAgent({
  uri: `${P}/agent/osm-contributors`,
  attributes: { 'prov:type': qname('prov:Organization') },
});
const analyst = makeAgent({
  uri: `${P}/agent/analyst-li`,
  attributes: { 'prov:type': qname('prov:Person') },
  relations: [{ kind: 'actedOnBehalfOf', object: surveyOffice.uri, objectEntry: surveyOffice }],
});

function f(id: string, geometry: GeoFeature['geometry'], properties: GeoFeature['properties']): GeoFeature {
  return { type: 'Feature', id, geometry, properties };
}

function authoritativeData(height1 = 12) {
  return {
    type: 'FeatureCollection',
    features: [
      f('BLD-1', rect(0, 0, 20, 10), {
        height_m: height1,
        use_class: 'residential',
        street: 'Luojia Rd',
        housenumber: '1',
        survey_date: '2023-05-01',
      }),
      f('BLD-2', rect(40, 0, 15, 15), {
        height_m: 20,
        use_class: 'commercial',
        street: 'Luojia Rd',
        housenumber: '3',
        name: 'Granary Mall',
        survey_date: '2020-01-01',
      }),
      f('BLD-3', rect(80, 0, 10, 10), {
        height_m: 6,
        use_class: 'public',
        housenumber: '5',
        survey_date: '2023-05-01',
      }),
      f('BLD-4', rect(0, 40, 10, 10), { height_m: 9, housenumber: '7', survey_date: '2023-05-01' }),
    ],
  };
}

function osmData() {
  return {
    type: 'FeatureCollection',
    features: [
      f('way/101', rect(0.5, 0.3, 20, 10), {
        building: 'residential',
        'building:levels': '4',
        height: '12.3',
        'addr:street': 'Luojia Road',
        'addr:housenumber': '1',
        source: 'survey',
      }),
      f('way/102', rect(41, 0, 15, 15), {
        building: 'retail',
        height: '24 m',
        name: 'Granary Mall',
        check_date: '2024-02-01',
      }),
      f('way/103', rect(100, 0, 10, 10), { building: 'yes', height: 'abc' }),
      f('way/104', rect(0, 40, 10, 10), { building: 'house', 'addr:housenumber': '9' }),
    ],
  };
}

function capture(authHeight1 = 12): { auth: CapturedDataset; osm: CapturedDataset } {
  const auth = captureSource(authoritativeData(authHeight1), {
    datasetUri: AUTH,
    activityUri: `${P}/activity/import-cadastre-2023`,
    time: '2023-06-01T09:00:00+08:00',
    asOf: '2023-06-01T00:00:00+08:00',
    publisher: surveyOffice,
    label: 'Wuchang building register 2023',
  });
  const osm = captureSource(osmData(), {
    datasetUri: OSM,
    activityUri: `${P}/activity/osm-extract-2024-03`,
    time: '2024-03-01T00:00:00Z',
    publisher: osmCommunity,
    operator: analyst,
    label: 'OSM extract 2024-03',
  });
  return { auth, osm };
}

const options: MergeOptions = {
  outputUri: OUT,
  activityUri: `${P}/activity/merge-2024-03-05`,
  time: '2024-03-05T10:30:00+08:00',
  agent: analyst,
  label: 'Wuchang buildings, merged',
};

function run(authHeight1 = 12, extra: Partial<MergeOptions> = {}) {
  const { auth, osm } = capture(authHeight1);
  const result = mergeDatasets(auth, osm, { ...options, ...extra });
  return {
    auth,
    osm,
    result,
    all: [surveyOffice, osmCommunity, analyst, ...auth.entries, ...osm.entries, ...result.entries],
  };
}

const attr = (featureId: string, segment: string) => `${OUT}/${encodeURIComponent(featureId)}/${segment}`;

describe('merge of an authoritative data set with an OSM extract (seed 001 §1.2)', () => {
  const { result, all } = run();
  const byUri = new Map(all.map((e) => [e.uri, e]));

  it('produces exactly the expected output features', () => {
    expect(result.output.features).toEqual([
      f('BLD-1', rect(0, 0, 20, 10), {
        height: 12,
        'addr:street': 'Luojia Rd',
        'addr:housenumber': '1',
        use_class: 'residential',
        survey_date: '2023-05-01',
        building: 'residential',
        'building:levels': 4,
      }),
      f('BLD-2', rect(40, 0, 15, 15), {
        height: 24,
        name: 'Granary Mall',
        'addr:street': 'Luojia Rd',
        'addr:housenumber': '3',
        use_class: 'commercial',
        survey_date: '2020-01-01',
        building: 'retail',
      }),
      f('BLD-3', rect(80, 0, 10, 10), {
        height: 6,
        'addr:housenumber': '5',
        use_class: 'public',
        survey_date: '2023-05-01',
      }),
      f('BLD-4', rect(0, 40, 10, 10), { height: 9, 'addr:housenumber': '7', survey_date: '2023-05-01' }),
      f('way/103', rect(100, 0, 10, 10), { building: 'yes' }),
      f('way/104', rect(0, 40, 10, 10), { 'addr:housenumber': '9', building: 'house' }),
    ]);
  });

  it('matches by footprint overlap, vetoed by a differing house number', () => {
    expect(result.matches.map((m) => [m.authoritative, m.osm])).toEqual([
      ['BLD-1', 'way/101'],
      ['BLD-2', 'way/102'],
    ]);
    expect(result.matches[0]!.iou).toBeGreaterThan(0.85);
    expect(result.summary).toEqual({
      features: { merged: 2, kept: 2, added: 2 },
      attributes: { kept: 12, added: 3, updated: 1 },
      conflicts: 3,
      unparseableOsmValues: 1,
      invalidated: 0,
    });
    expect(result.entries).toHaveLength(2 + 6 + 16);
  });

  it('records feature-level provenance: which source each output feature came from', () => {
    const derivations = (uri: string) =>
      byUri
        .get(uri)!
        .relations.filter((r) => r.kind === 'wasDerivedFrom')
        .map((r) => [
          r.object,
          r.attributes['meridian:operation'] ?? null,
          r.attributes['meridian:sourceRole'],
        ]);
    expect(derivations(`${OUT}/BLD-1`)).toEqual([
      [`${OSM}/way%2F101`, null, 'osm'],
      [`${AUTH}/BLD-1`, 'merged', 'authoritative'],
    ]);
    expect(derivations(`${OUT}/BLD-3`)).toEqual([[`${AUTH}/BLD-3`, 'kept', 'authoritative']]);
    expect(derivations(`${OUT}/way%2F104`)).toEqual([[`${OSM}/way%2F104`, 'added', 'osm']]);
    // features copied whole carry no attribute-level entries (they inherit)
    expect(all.filter((e) => e.uri.startsWith(`${OUT}/BLD-3/`))).toEqual([]);
  });

  it('records attribute-level provenance: kept / added / updated, from which source, with value hashes', () => {
    const table: Record<string, string> = {};
    for (const e of result.entries) {
      if (e.kind !== 'entity' || e.granularity !== 'attribute') continue;
      const primary = e.relations.find((r) => r.attributes['meridian:operation'] !== undefined)!;
      table[e.uri.slice(OUT.length + 1)] =
        `${primary.attributes['meridian:operation']} from ${primary.object.slice(primary.object.lastIndexOf('/', primary.object.lastIndexOf('/') - 1) + 1)}`;
    }
    expect(table).toEqual({
      'BLD-1/geometry': 'kept from BLD-1/geometry',
      'BLD-1/properties.height': 'kept from BLD-1/properties.height_m',
      'BLD-1/properties.addr:street': 'kept from BLD-1/properties.street',
      'BLD-1/properties.addr:housenumber': 'kept from BLD-1/properties.housenumber',
      'BLD-1/properties.use_class': 'kept from BLD-1/properties.use_class',
      'BLD-1/properties.survey_date': 'kept from BLD-1/properties.survey_date',
      'BLD-1/properties.building': 'added from way%2F101/properties.building',
      'BLD-1/properties.building:levels': 'added from way%2F101/properties.building:levels',
      'BLD-2/geometry': 'kept from BLD-2/geometry',
      'BLD-2/properties.height': 'updated from way%2F102/properties.height',
      'BLD-2/properties.name': 'kept from BLD-2/properties.name',
      'BLD-2/properties.addr:street': 'kept from BLD-2/properties.street',
      'BLD-2/properties.addr:housenumber': 'kept from BLD-2/properties.housenumber',
      'BLD-2/properties.use_class': 'kept from BLD-2/properties.use_class',
      'BLD-2/properties.survey_date': 'kept from BLD-2/properties.survey_date',
      'BLD-2/properties.building': 'added from way%2F102/properties.building',
    });

    const height = byUri.get(attr('BLD-2', 'properties.height'))!;
    expect(height.attributes['meridian:valueHash']).toBe(valueHashHex(24));
    const [update, revision] = [...height.relations].sort((a) =>
      a.attributes['meridian:operation'] ? -1 : 1,
    );
    expect(update!.attributes).toEqual({
      'meridian:operation': 'updated',
      'meridian:sourceRole': 'osm',
      'meridian:oldValueHash': valueHashHex(20),
      'meridian:newValueHash': valueHashHex(24),
      'meridian:transform': 'parse-number',
    });
    expect(update!.secondary).toBe(options.activityUri);
    expect(revision!.object).toBe(`${AUTH}/BLD-2/properties.height_m`);
    expect(revision!.attributes['prov:type']).toEqual(qname('prov:Revision'));

    const street = byUri.get(attr('BLD-1', 'properties.addr:street'))!;
    expect(street.relations[0]!.attributes).toEqual({
      'meridian:operation': 'kept',
      'meridian:sourceRole': 'authoritative',
      'meridian:rejectedValueHash': valueHashHex('Luojia Road'),
    });
  });

  it('records dataset-level provenance: sources, algorithm, parameters, time, agent', () => {
    const act = byUri.get(options.activityUri)!;
    expect(act).toMatchObject({ kind: 'activity', startedAt: options.time, endedAt: options.time });
    expect(act.attributes['meridian:algorithm']).toBe('meridian/merge-buildings@1');
    const params = JSON.parse((act.attributes['meridian:parameters'] as { $: string }).$);
    expect(params).toMatchObject({ iouThreshold: 0.5, osmDateKey: 'check_date' });
    expect(act.relations.map((r) => [r.kind, r.object])).toEqual(
      expect.arrayContaining([
        ['used', AUTH],
        ['used', OSM],
        ['wasAssociatedWith', analyst.uri],
      ]),
    );
    const ds = byUri.get(OUT) as EntityEntry;
    expect(ds.granularity).toBe('dataset');
    expect(ds.attributes['meridian:valueHash']).toBe(valueHashHex(result.output));
    expect(ds.relations.map((r) => r.kind).sort()).toEqual([
      'wasAttributedTo',
      'wasDerivedFrom',
      'wasDerivedFrom',
      'wasGeneratedBy',
    ]);
    expect(ds.relations.find((r) => r.kind === 'wasGeneratedBy')).toMatchObject({
      time: options.time,
      objectEntry: entryHashHex(act),
    });
  });

  it('keeps URIs hierarchical, every pin resolving, and the whole set a closed PROV graph', () => {
    const graph = ProvenanceGraph.of(all, { closed: true });
    for (const e of all) {
      if (e.kind !== 'entity' || e.partOf === null) continue;
      expect(e.uri.startsWith(`${e.partOf}/`)).toBe(true);
      expect(parentUri(e.uri)).toBe(e.partOf);
    }
    expect(graph.below(OUT).length).toBe(6 + 16);
    for (const e of all) {
      for (const r of e.relations)
        if (r.objectEntry !== null) expect(r.objectEntry).toBe(entryHashHex(graph.get(r.object)!));
    }
  });

  it('round-trips every entry through PROV-JSON', () => {
    const back = parseProvJson(stringifyProvJson(all));
    expect(back).toEqual(ProvenanceGraph.of(all).entries());
  });

  it('answers lineage and "what did the merge touch" at each granularity', () => {
    const graph = ProvenanceGraph.of(all, { closed: true });
    const { steps } = lineage(graph, attr('BLD-2', 'properties.height'));
    expect(steps.map((s) => s.uri)).toEqual([
      attr('BLD-2', 'properties.height'),
      `${OSM}/way%2F102/properties.height`,
      `${AUTH}/BLD-2/properties.height_m`,
    ]);
    expect(steps[1]!.generatedBy[0]).toMatchObject({
      activity: `${P}/activity/osm-extract-2024-03`,
      declaredBy: OSM,
    });
    expect(steps[1]!.agents.map((a) => `${a.via}:${a.agent.split('/').pop()}`)).toEqual([
      'attribution:osm-contributors',
      'association:analyst-li',
      'delegation:survey-office',
    ]);
    const touched = touchedBy(graph, options.activityUri);
    expect(touched.operations).toEqual({
      dataset: {},
      feature: { merged: 2, kept: 2, added: 2 },
      attribute: { kept: 12, added: 3, updated: 1 },
    });
    expect(touched.used.dataset).toEqual([OSM, AUTH].sort());
    expect(touched.used.feature).toHaveLength(8); // all four authoritative and all four OSM buildings
    expect(touched.generated.feature).toHaveLength(6);
    expect(touched.generated.attribute).toHaveLength(16);
  });
});

describe('merge determinism and versions', () => {
  const hashes = (entries: ProvenanceEntry[]) => entries.map((e) => `${e.uri} ${entryHashHex(e)}`);

  it('same inputs give identical entries and hashes; the time is an input, not a clock', () => {
    const first = run().result;
    const second = run().result;
    expect(second.entries).toEqual(first.entries);
    expect(hashes(second.entries)).toEqual(hashes(first.entries));
    const later = run(12, { time: '2024-03-06T10:30:00+08:00' }).result;
    expect(hashes(later.entries)).not.toEqual(hashes(first.entries));
    expect(later.output).toEqual(first.output);
  });

  it('re-running on unchanged inputs appends no version; a changed source value appends versions only where it flows', () => {
    const first = run();
    const previous = new Map(first.result.entries.map((e) => [e.uri, e]));
    const again = mergeDatasets(first.auth, first.osm, { ...options, previous });
    expect(again.entries).toEqual(first.result.entries);

    const { auth, osm } = capture(15); // BLD-1 height changed at the source
    const changed = mergeDatasets(auth, osm, { ...options, previous });
    const bumped = changed.entries.filter((e) => e.version === 2).map((e) => e.uri);
    expect(bumped.sort()).toEqual(
      [options.activityUri, OUT, `${OUT}/BLD-1`, attr('BLD-1', 'properties.height')].sort(),
    );
    for (const e of changed.entries) {
      if (e.version === 2) expect(e.previous).toBe(entryHashHex(previous.get(e.uri)!));
    }
    // 15 m now conflicts with OSM's 12.3 m; height follows the newer source, and the extract
    // (2024-03-01) is newer than the survey (2023-05-01), so the value is updated from OSM.
    expect(changed.output.features[0]!.properties.height).toBe(12.3);
  });

  it('a re-run invalidates what it no longer produces (here: BLD-1 no longer matches, so its attribute entries go)', () => {
    const first = run();
    const previous = new Map(first.result.entries.map((e) => [e.uri, e]));
    const stricter = mergeDatasets(first.auth, first.osm, { ...options, previous, iouThreshold: 0.9 });
    const invalidated = stricter.entries.filter((e) =>
      e.relations.some((r) => r.kind === 'wasInvalidatedBy'),
    );
    expect(stricter.summary.invalidated).toBe(invalidated.length);
    expect(
      invalidated.map((e) => e.uri).every((u) => u.startsWith(`${OUT}/BLD-`) && u.split('/').length === 7),
    ).toBe(true);
    expect(invalidated.length).toBeGreaterThan(0);
    for (const e of invalidated) {
      expect(e.version).toBe(2);
      expect(e.previous).toBe(entryHashHex(previous.get(e.uri)!));
      expect(e.relations.find((r) => r.kind === 'wasInvalidatedBy')).toMatchObject({
        object: options.activityUri,
        time: options.time,
      });
    }
    // a third run with the same outcome appends nothing new
    const after = new Map([...previous, ...stricter.entries.map((e) => [e.uri, e] as const)]);
    const third = mergeDatasets(first.auth, first.osm, { ...options, previous: after, iouThreshold: 0.9 });
    expect(third.entries.filter((e) => !after.has(e.uri) || after.get(e.uri) !== e)).toEqual([]);
  });

  it('rejects clashing URIs, bad thresholds and id collisions', () => {
    const { auth, osm } = capture();
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as ValidationError).code;
      }
      return undefined;
    };
    expect(codeOf(() => mergeDatasets(auth, osm, { ...options, outputUri: `${AUTH}/merged` }))).toBe(
      'MERGE_URI_CLASH',
    );
    expect(codeOf(() => mergeDatasets(auth, osm, { ...options, iouThreshold: 1.5 }))).toBe(
      'BAD_MATCH_THRESHOLD',
    );
    expect(codeOf(() => mergeDatasets(auth, osm, { ...options, time: '2024-03-05 10:30' }))).toBe('BAD_TIME');
    const clash = captureSource(
      { type: 'FeatureCollection', features: [f('BLD-3', rect(300, 0, 10, 10), { building: 'yes' })] },
      {
        datasetUri: OSM,
        activityUri: `${P}/activity/x`,
        time: '2024-03-01T00:00:00Z',
        publisher: osmCommunity,
      },
    );
    expect(codeOf(() => mergeDatasets(auth, clash, options))).toBe('MERGE_ID_COLLISION');
  });
});
