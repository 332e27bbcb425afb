/**
 * The merge's sources on a map. Records carry content hashes, not geometries,
 * so the footprints come from the source GeoJSON files the user loads here;
 * each feature's geometry is hashed in the browser and compared with the
 * geometry hash the chain anchored for that feature (from the comprehensive
 * proof bundle of its dataset, itself verified). The merged output is drawn
 * through its records: each merged geometry names the source geometry it was
 * derived from.
 */
import { lazy, Suspense, useMemo, useState } from 'react';
import type { ProvenanceBundleJson } from '../../../src/api/sdk.ts';
import { verifyProvenanceBundle } from '../../../src/light/provenance-verify.ts';
import { formatInteger } from '../lib/format.ts';
import { useNode } from '../lib/node.tsx';
import {
  attributeText,
  bundleRecords,
  featureUriOf,
  geometryHash,
  type ProvEntry,
  parentOf,
  uriLabel,
} from '../lib/provenance.ts';
import { links, navigate } from '../lib/router.tsx';
import type { MapLayer } from './prov-map.tsx';
import { Badge, Card, ErrorNotice, Loading } from './ui.tsx';

const ProvMap = lazy(() => import('./prov-map.tsx'));

/** Largest GeoJSON file read (the geo module's own limits are similar). */
const MAX_GEOJSON_BYTES = 64 * 1024 * 1024;
const COLORS = ['#2563eb', '#d97706', '#7c3aed', '#0891b2'];
const MERGED_COLOR = '#16a34a';

interface LoadedFile {
  readonly name: string;
  readonly features: readonly { id: string | number; geometry: { type: string; coordinates: unknown } }[];
}

interface DatasetRecords {
  readonly uri: string;
  readonly records: Map<string, ProvEntry>;
  readonly valid: boolean;
}

interface LayerSummary {
  readonly label: string;
  readonly dataset: string;
  readonly color: string;
  readonly match: number;
  readonly mismatch: number;
  readonly unknown: number;
  readonly outline: boolean;
}

function parseGeoJson(name: string, text: string): LoadedFile {
  const value = JSON.parse(text) as { type?: unknown; features?: unknown };
  if (value.type !== 'FeatureCollection' || !Array.isArray(value.features)) {
    throw new Error(`${name} is not a GeoJSON FeatureCollection`);
  }
  const features = value.features.filter(
    (f): f is LoadedFile['features'][number] =>
      typeof f === 'object' &&
      f !== null &&
      (typeof (f as { id?: unknown }).id === 'string' || typeof (f as { id?: unknown }).id === 'number') &&
      typeof (f as { geometry?: { type?: unknown } }).geometry?.type === 'string',
  );
  return { name, features };
}

function buildLayers(
  files: readonly LoadedFile[],
  datasets: readonly DatasetRecords[],
  output: string,
): { layers: MapLayer[]; summaries: LayerSummary[] } {
  const layers: MapLayer[] = [];
  const summaries: LayerSummary[] = [];
  const geometryByUri = new Map<string, LoadedFile['features'][number]['geometry']>();
  files.forEach((file, i) => {
    // The dataset whose anchored geometry hashes this file's footprints match most (then: whose
    // records name most of its features). Sources come before the output, so a footprint the
    // merge kept unchanged is counted for the source it came from.
    let best: DatasetRecords | undefined;
    let bestScore = [0, 0];
    for (const d of [...datasets].sort((a, b) => Number(a.uri === output) - Number(b.uri === output))) {
      let hashes = 0;
      let ids = 0;
      for (const f of file.features) {
        const uri = featureUriOf(d.uri, f.id);
        if (!d.records.has(uri)) continue;
        ids++;
        if (
          attributeText(d.records.get(`${uri}/geometry`), 'meridian:valueHash') === geometryHash(f.geometry)
        )
          hashes++;
      }
      if (hashes > bestScore[0]! || (hashes === bestScore[0] && ids > bestScore[1]!)) {
        best = d;
        bestScore = [hashes, ids];
      }
    }
    const color = COLORS[i % COLORS.length]!;
    const counts = { match: 0, mismatch: 0, unknown: 0 };
    const features: GeoJSON.Feature[] = file.features.map((f) => {
      const uri = best ? featureUriOf(best.uri, f.id) : String(f.id);
      const anchored = best
        ? attributeText(best.records.get(`${uri}/geometry`), 'meridian:valueHash')
        : undefined;
      const status =
        anchored === undefined ? 'unknown' : anchored === geometryHash(f.geometry) ? 'match' : 'mismatch';
      counts[status]++;
      geometryByUri.set(`${uri}/geometry`, f.geometry);
      return { type: 'Feature', geometry: f.geometry as GeoJSON.Geometry, properties: { uri, status } };
    });
    layers.push({
      id: `file-${i}`,
      label: file.name,
      color,
      collection: { type: 'FeatureCollection', features },
    });
    summaries.push({ label: file.name, dataset: best?.uri ?? '', color, ...counts, outline: false });
  });
  // The output: each of its geometry records points (wasDerivedFrom) at the source geometry it took.
  const out = datasets.find((d) => d.uri === output);
  if (out && !files.some((_, i) => summaries[i]?.dataset === output)) {
    const counts = { match: 0, mismatch: 0, unknown: 0 };
    const features: GeoJSON.Feature[] = [];
    for (const [uri, entry] of out.records) {
      if (!uri.endsWith('/geometry')) continue;
      const source = entry.relations.find((r) => r.kind === 'wasDerivedFrom' && geometryByUri.has(r.object));
      if (!source) {
        counts.unknown++;
        continue;
      }
      const geometry = geometryByUri.get(source.object)!;
      const status =
        attributeText(entry, 'meridian:valueHash') === geometryHash(geometry) ? 'match' : 'mismatch';
      counts[status]++;
      features.push({
        type: 'Feature',
        geometry: geometry as GeoJSON.Geometry,
        properties: { uri: parentOf(uri) ?? uri, status },
      });
    }
    if (features.length > 0) {
      layers.push({
        id: 'output',
        label: uriLabel(output),
        color: MERGED_COLOR,
        collection: { type: 'FeatureCollection', features },
        outline: true,
      });
      summaries.push({
        label: `${uriLabel(output)} (through its records)`,
        dataset: output,
        color: MERGED_COLOR,
        ...counts,
        outline: true,
      });
    }
  }
  return { layers, summaries };
}

export function SourcesMap({ datasetUri, sources }: { datasetUri: string; sources: readonly string[] }) {
  const { provenance } = useNode();
  const [files, setFiles] = useState<LoadedFile[]>([]);
  const [datasets, setDatasets] = useState<DatasetRecords[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const candidates = useMemo(() => [datasetUri, ...sources], [datasetUri, sources]);

  const load = async (list: FileList) => {
    setBusy(true);
    setError(undefined);
    try {
      const loaded: LoadedFile[] = [];
      for (const file of Array.from(list)) {
        if (file.size > MAX_GEOJSON_BYTES)
          throw new Error(`${file.name} is over ${MAX_GEOJSON_BYTES / 1024 / 1024} MiB`);
        loaded.push(parseGeoJson(file.name, await file.text()));
      }
      const have = new Set(datasets.map((d) => d.uri));
      const fetched: DatasetRecords[] = [];
      for (const uri of candidates) {
        if (have.has(uri)) continue;
        const bundle: ProvenanceBundleJson = await provenance.proof(uri, { comprehensive: true });
        const verdict = verifyProvenanceBundle(bundle);
        fetched.push({ uri, records: bundleRecords(bundle.records), valid: verdict.valid });
      }
      setDatasets((current) => [...current, ...fetched]);
      setFiles((current) => [...current, ...loaded]);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const { layers, summaries } = useMemo(
    () => buildLayers(files, datasets, datasetUri),
    [files, datasets, datasetUri],
  );

  return (
    <Card title="Sources on a map" testId="sources-map">
      <p className="small">
        {sources.length > 0 ? (
          <>
            {uriLabel(datasetUri)} was derived from{' '}
            {sources.map((s) => (
              <Badge key={s}>{uriLabel(s)}</Badge>
            ))}
            .{' '}
          </>
        ) : null}
        The chain holds hashes, not geometries: load the source GeoJSON files and every footprint is hashed
        here and compared with the geometry hash anchored for its feature.
      </p>
      <label>
        Source GeoJSON files
        <input
          type="file"
          name="geojson"
          multiple
          accept=".geojson,.json,application/geo+json,application/json"
          onChange={(event) => {
            if (event.target.files && event.target.files.length > 0) void load(event.target.files);
          }}
        />
      </label>
      {busy ? <Loading what="Reading the files and fetching the datasets’ proofs" /> : null}
      {error ? <ErrorNotice error={error} title="Could not load the files" /> : null}
      {summaries.length > 0 ? (
        <table className="table table-compact" data-testid="map-layers">
          <thead>
            <tr>
              <th>Layer</th>
              <th>Dataset</th>
              <th className="num">Footprints matching the chain</th>
              <th className="num">Not matching</th>
              <th className="num">Not anchored</th>
            </tr>
          </thead>
          <tbody>
            {summaries.map((s) => (
              <tr key={s.label}>
                <td>
                  <span
                    className="legend-box"
                    style={
                      s.outline
                        ? { border: `2px dashed ${s.color}`, background: 'transparent' }
                        : { background: s.color }
                    }
                  />
                  {s.label}
                </td>
                <td>
                  {s.dataset ? (
                    <a href={links.provenance(s.dataset)}>{uriLabel(s.dataset)}</a>
                  ) : (
                    <span className="muted">no dataset on chain</span>
                  )}
                </td>
                <td className="num">{formatInteger(s.match)}</td>
                <td className="num">
                  {s.mismatch > 0 ? <Badge tone="bad">{formatInteger(s.mismatch)}</Badge> : 0}
                </td>
                <td className="num">{formatInteger(s.unknown)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {datasets.some((d) => !d.valid) ? (
        <div className="notice notice-bad small">
          A dataset’s proof bundle did not verify: its geometry hashes are not trustworthy. Use Verify above
          to see why.
        </div>
      ) : null}
      {layers.length > 0 ? (
        <Suspense fallback={<Loading what="Loading the map" />}>
          <ProvMap layers={layers} onSelect={(uri) => navigate(links.provenance(uri))} />
          <p className="small muted">
            Filled: footprints whose hash matches the chain; grey: features this chain has no record of; red:
            a footprint whose hash differs from what was anchored. Click a footprint for its provenance.
          </p>
        </Suspense>
      ) : null}
    </Card>
  );
}
