/**
 * Area overlap of polygonal footprints: intersection over union (IoU, the Jaccard index of
 * the two areas). Areas are geodesic square metres from `@turf/area`; the intersection is
 * computed by `@turf/intersect` in lon/lat, which is accurate for building-sized shapes.
 */
import area from '@turf/area';
import turfBbox from '@turf/bbox';
import { featureCollection, feature as turfFeature } from '@turf/helpers';
import intersect from '@turf/intersect';
import { ValidationError } from '../errors.ts';
import type { Geometry, PolygonalGeometry } from './geojson.ts';

export type BBox = [minLon: number, minLat: number, maxLon: number, maxLat: number];

export function bboxOf(geometry: Geometry): BBox {
  const [minX, minY, maxX, maxY] = turfBbox(geometry);
  return [minX, minY, maxX, maxY] as BBox;
}

/** Geodesic area in square metres. */
export function areaSquareMetres(geometry: PolygonalGeometry): number {
  return area(geometry);
}

/**
 * IoU in [0, 1]: 1 for identical footprints, 0 for disjoint ones (or when both have no area).
 * Throws `ValidationError` (code `GEOMETRY_OPERATION_FAILED`) if the clipping library rejects
 * a geometry (for example a badly self-intersecting ring); `what` names the pair in the message.
 */
export function intersectionOverUnion(
  a: PolygonalGeometry,
  b: PolygonalGeometry,
  what = 'geometries',
): number {
  const areaA = area(a);
  const areaB = area(b);
  let shared: number;
  try {
    const clipped = intersect(featureCollection([turfFeature(a), turfFeature(b)]));
    shared = clipped === null ? 0 : area(clipped);
  } catch (cause) {
    throw new ValidationError('GEOMETRY_OPERATION_FAILED', `cannot intersect ${what}`, {
      hint: 'check the polygons for self-intersections or repeated vertices',
      cause,
    });
  }
  const union = areaA + areaB - shared;
  if (!(union > 0)) return 0;
  return Math.min(1, Math.max(0, shared / union));
}
