/**
 * The merge's sources on a map (maplibre-gl, no tile server: a plain
 * background, GeoJSON footprints only). Default export, loaded on demand.
 */
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useEffect, useRef, useState } from 'react';

maplibregl.setWorkerUrl(workerUrl);

export interface MapLayer {
  readonly id: string;
  readonly label: string;
  readonly color: string;
  /** Features carry `properties.uri` and `properties.status` ('match' | 'mismatch' | 'unknown'). */
  readonly collection: GeoJSON.FeatureCollection;
  readonly outline?: boolean;
}

const STYLE: maplibregl.StyleSpecification = {
  version: 8,
  sources: {},
  layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } }],
};

function boundsOf(layers: readonly MapLayer[]): maplibregl.LngLatBoundsLike | undefined {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  const visit = (c: unknown) => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') {
      minX = Math.min(minX, c[0]);
      maxX = Math.max(maxX, c[0]);
      minY = Math.min(minY, c[1]);
      maxY = Math.max(maxY, c[1]);
    } else if (Array.isArray(c)) for (const x of c) visit(x);
  };
  for (const layer of layers)
    for (const f of layer.collection.features)
      visit((f.geometry as { coordinates?: unknown } | null)?.coordinates);
  return Number.isFinite(minX) ? [minX, minY, maxX, maxY] : undefined;
}

export default function ProvMap({
  layers,
  onSelect,
}: {
  layers: readonly MapLayer[];
  onSelect?: (uri: string) => void;
}) {
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<maplibregl.Map | null>(null);
  const [ready, setReady] = useState(false);
  const [failure, setFailure] = useState<string>();
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    if (!container.current) return;
    let instance: maplibregl.Map;
    try {
      instance = new maplibregl.Map({
        container: container.current,
        style: STYLE,
        center: [0, 0],
        zoom: 1,
        attributionControl: false,
      });
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
      return;
    }
    instance.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    instance.on('load', () => setReady(true));
    instance.on('error', (event) => setFailure(String(event.error?.message ?? event.error)));
    map.current = instance;
    return () => {
      instance.remove();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    if (!m || !ready) return;
    for (const layer of m.getStyle().layers ?? []) if (layer.id !== 'background') m.removeLayer(layer.id);
    for (const id of Object.keys(m.getStyle().sources ?? {})) m.removeSource(id);
    for (const layer of layers) {
      m.addSource(layer.id, { type: 'geojson', data: layer.collection });
      if (!layer.outline) {
        m.addLayer({
          id: `${layer.id}-fill`,
          type: 'fill',
          source: layer.id,
          paint: {
            'fill-color': ['match', ['get', 'status'], 'mismatch', '#dc2626', layer.color],
            'fill-opacity': 0.35,
          },
        });
        m.on('click', `${layer.id}-fill`, (event) => {
          const uri = event.features?.[0]?.properties?.uri;
          if (typeof uri === 'string') select.current?.(uri);
        });
      }
      m.addLayer({
        id: `${layer.id}-line`,
        type: 'line',
        source: layer.id,
        paint: {
          'line-color': [
            'match',
            ['get', 'status'],
            'mismatch',
            '#dc2626',
            'unknown',
            '#94a3b8',
            layer.color,
          ],
          'line-width': ['match', ['get', 'status'], 'mismatch', 2.5, layer.outline ? 2 : 0.8],
          ...(layer.outline ? { 'line-dasharray': [2, 1] } : {}),
        },
      });
    }
    const bounds = boundsOf(layers);
    if (bounds) m.fitBounds(bounds, { padding: 30, duration: 0 });
  }, [layers, ready]);

  return (
    <div>
      <div ref={container} className="map" data-testid="prov-map" data-ready={String(ready)} />
      {failure ? (
        <div className="notice notice-warn small">The map could not be drawn here: {failure}</div>
      ) : null}
    </div>
  );
}
