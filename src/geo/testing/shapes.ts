/**
 * Test helpers: footprints laid out in metres on a local plane near Wuhan (30.54 N, 114.36 E).
 */
import type { PolygonGeometry } from '../geojson.ts';
import { type LonLat, localToLonLat } from '../local-plane.ts';

export const ORIGIN: LonLat = { lon: 114.36, lat: 30.54 };

/** An axis-aligned w x h metre rectangle with its south-west corner at (x, y) metres from ORIGIN. */
export function rect(x: number, y: number, w: number, h: number): PolygonGeometry {
  const p = (dx: number, dy: number) => localToLonLat(ORIGIN, dx, dy);
  return { type: 'Polygon', coordinates: [[p(x, y), p(x + w, y), p(x + w, y + h), p(x, y + h), p(x, y)]] };
}
