/**
 * One-to-one matching of polygon features between two data sets by footprint overlap.
 *
 * Candidates come from a Flatbush index over the right-hand features' bounding boxes;
 * each candidate pair whose IoU reaches `minIoU` and that `compatible` accepts is a
 * possible match. Pairs are then taken greedily, best IoU first (ties: lower left index,
 * then lower right index), skipping any feature already matched. The result depends only
 * on the inputs and the options, never on iteration order of hash maps or timing.
 *
 * Non-polygonal features never match (IoU is defined for areas only).
 */
import Flatbush from 'flatbush';
import { ValidationError } from '../errors.ts';
import { featureIdString, type GeoFeature, isPolygonal } from './geojson.ts';
import { bboxOf, intersectionOverUnion } from './overlap.ts';

/** Most bounding-box candidates examined for one feature; more means the data is not building-like. */
export const MAX_OVERLAP_CANDIDATES = 256;

export interface OverlapMatch {
  /** Index into the left feature array. */
  left: number;
  /** Index into the right feature array. */
  right: number;
  /** Intersection over union of the two footprints, in [minIoU, 1]. */
  iou: number;
}

export interface MatchOptions {
  /** Smallest IoU that counts as a match, in (0, 1]. */
  minIoU: number;
  /** Extra veto on attributes (for example differing house numbers); defaults to accepting all. */
  compatible?: (left: GeoFeature, right: GeoFeature) => boolean;
}

/** Matches, sorted by left index. Each left and each right feature appears at most once. */
export function matchByOverlap(
  left: readonly GeoFeature[],
  right: readonly GeoFeature[],
  options: MatchOptions,
): OverlapMatch[] {
  const { minIoU } = options;
  if (!(minIoU > 0 && minIoU <= 1)) {
    throw new ValidationError('BAD_MATCH_THRESHOLD', `minimum IoU must be in (0, 1], got ${minIoU}`, {
      hint: 'typical building matching uses 0.3 to 0.7',
    });
  }
  const rightPolygonal: number[] = [];
  right.forEach((f, i) => {
    if (isPolygonal(f.geometry)) rightPolygonal.push(i);
  });
  if (rightPolygonal.length === 0 || left.length === 0) return [];

  const index = new Flatbush(rightPolygonal.length);
  for (const i of rightPolygonal) {
    const [minX, minY, maxX, maxY] = bboxOf(right[i]!.geometry);
    index.add(minX, minY, maxX, maxY);
  }
  index.finish();

  const candidates: OverlapMatch[] = [];
  left.forEach((l, li) => {
    if (!isPolygonal(l.geometry)) return;
    const [minX, minY, maxX, maxY] = bboxOf(l.geometry);
    const hits = index.search(minX, minY, maxX, maxY);
    if (hits.length > MAX_OVERLAP_CANDIDATES) {
      throw new ValidationError(
        'TOO_MANY_OVERLAP_CANDIDATES',
        `feature ${featureIdString(l.id)} overlaps the bounding boxes of ${hits.length} features`,
        {
          hint: `matching expects building-sized footprints (limit MAX_OVERLAP_CANDIDATES = ${MAX_OVERLAP_CANDIDATES})`,
        },
      );
    }
    for (const hit of hits) {
      const ri = rightPolygonal[hit]!;
      const r = right[ri]!;
      if (!isPolygonal(r.geometry)) continue;
      const iou = intersectionOverUnion(
        l.geometry,
        r.geometry,
        `features ${featureIdString(l.id)} and ${featureIdString(r.id)}`,
      );
      if (iou < minIoU) continue;
      if (options.compatible && !options.compatible(l, r)) continue;
      candidates.push({ left: li, right: ri, iou });
    }
  });

  candidates.sort((a, b) => b.iou - a.iou || a.left - b.left || a.right - b.right);
  const usedLeft = new Set<number>();
  const usedRight = new Set<number>();
  const matches: OverlapMatch[] = [];
  for (const c of candidates) {
    if (usedLeft.has(c.left) || usedRight.has(c.right)) continue;
    usedLeft.add(c.left);
    usedRight.add(c.right);
    matches.push(c);
  }
  return matches.sort((a, b) => a.left - b.left);
}
