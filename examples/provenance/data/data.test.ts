import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type GeoFeatureCollection, parseFeatureCollection } from '../../../src/geo/geojson.ts';
import { bboxOf } from '../../../src/geo/overlap.ts';
import {
  captureSource,
  entryHashHex,
  makeAgent,
  mergeDatasets,
  ProvenanceGraph,
  parseProvJson,
  stringifyProvJson,
  touchedBy,
} from '../../../src/modules/provenance/index.ts';
import { AUTHORITATIVE_FILE, generateBuildingSources, OSM_FILE, serializeCollection } from './generate.ts';

const authoritativeText = readFileSync(AUTHORITATIVE_FILE, 'utf8');
const osmText = readFileSync(OSM_FILE, 'utf8');

describe('generated example data', () => {
  it('the committed files are exactly what generate.ts produces', () => {
    const { authoritative, osm } = generateBuildingSources();
    expect(serializeCollection(authoritative)).toBe(authoritativeText);
    expect(serializeCollection(osm)).toBe(osmText);
  });

  it('is valid GeoJSON: a few hundred buildings each, WGS84, within about a kilometre', () => {
    for (const text of [authoritativeText, osmText]) {
      const fc = parseFeatureCollection(text);
      expect(fc.features.length).toBeGreaterThanOrEqual(300);
      const boxes = fc.features.map((f) => bboxOf(f.geometry));
      const west = Math.min(...boxes.map((b) => b[0]));
      const east = Math.max(...boxes.map((b) => b[2]));
      const south = Math.min(...boxes.map((b) => b[1]));
      const north = Math.max(...boxes.map((b) => b[3]));
      expect(west).toBeGreaterThan(114.34);
      expect(east - west).toBeLessThan(0.012); // ~1.1 km of longitude at 30.5 N
      expect(north - south).toBeLessThan(0.01);
    }
  });
});

describe('the merge on the example data', () => {
  const office = makeAgent({ uri: 'https://prov.example.net/agent/wuchang-survey-office' });
  const community = makeAgent({ uri: 'https://prov.example.net/agent/openstreetmap-contributors' });
  const authoritativeData = parseFeatureCollection(authoritativeText);
  const osmData = parseFeatureCollection(osmText);

  function runMerge(auth: GeoFeatureCollection, osm: GeoFeatureCollection) {
    const a = captureSource(auth, {
      datasetUri: 'https://data.example.org/wuchang/register-2023',
      activityUri: 'https://prov.example.net/activity/import-register-2023',
      time: '2023-07-01T09:00:00+08:00',
      asOf: '2023-06-30T00:00:00+08:00',
      publisher: office,
    });
    const o = captureSource(osm, {
      datasetUri: 'https://data.example.org/osm/wuchang-2024-03-01',
      activityUri: 'https://prov.example.net/activity/extract-osm-2024-03-01',
      time: '2024-03-01T00:00:00Z',
      publisher: community,
    });
    const result = mergeDatasets(a, o, {
      outputUri: 'https://data.example.org/wuchang/buildings-merged',
      activityUri: 'https://prov.example.net/activity/merge-2024-03-05',
      time: '2024-03-05T10:00:00+08:00',
      agent: office,
    });
    return { a, o, result, all: [office, community, ...a.entries, ...o.entries, ...result.entries] };
  }

  const first = runMerge(authoritativeData, osmData);
  const { result } = first;

  it('accounts for every input feature once and shows the realistic differences', () => {
    const { features, attributes } = result.summary;
    expect(features.merged + features.kept).toBe(authoritativeData.features.length);
    expect(features.merged + features.added).toBe(osmData.features.length);
    expect(result.output.features).toHaveLength(features.merged + features.kept + features.added);
    expect(features.merged / authoritativeData.features.length).toBeGreaterThan(0.85);
    expect(features.kept).toBeGreaterThan(0); // missing in OSM
    expect(features.added).toBeGreaterThan(0); // new in OSM
    expect(attributes.updated).toBeGreaterThan(0); // newer OSM heights
    expect(attributes.added).toBeGreaterThan(0); // building=*, names, postcodes
    expect(result.summary.conflicts).toBeGreaterThan(features.merged); // every traced footprint differs, plus attribute conflicts
    expect(Math.max(...result.matches.map((m) => m.iou))).toBeLessThan(1);
    const attributeEntries = result.entries.filter(
      (e) => e.kind === 'entity' && e.granularity === 'attribute',
    );
    expect(attributeEntries).toHaveLength(attributes.kept + attributes.added + attributes.updated);
    expect(result.entries).toHaveLength(2 + result.output.features.length + attributeEntries.length);
  });

  it('is deterministic on the real-size data', () => {
    const second = runMerge(parseFeatureCollection(authoritativeText), parseFeatureCollection(osmText));
    expect(second.result.entries.map(entryHashHex)).toEqual(result.entries.map(entryHashHex));
  });

  it('forms a closed, hierarchical provenance graph that round-trips through PROV-JSON', () => {
    const graph = ProvenanceGraph.of(first.all, { closed: true });
    for (const e of first.all)
      if (e.kind === 'entity' && e.partOf !== null) expect(e.uri.startsWith(`${e.partOf}/`)).toBe(true);
    const touched = touchedBy(graph, 'https://prov.example.net/activity/merge-2024-03-05');
    expect(touched.operations.feature).toEqual({
      merged: result.summary.features.merged,
      kept: result.summary.features.kept,
      added: result.summary.features.added,
    });
    const back = parseProvJson(stringifyProvJson(first.all));
    expect(back.map(entryHashHex)).toEqual(graph.entries().map(entryHashHex));
  });
});
