import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, ValidationError } from '../errors.ts';
import {
  type GeoFeature,
  MAX_FEATURES,
  MAX_GEOJSON_BYTES,
  MAX_VERTICES_PER_FEATURE,
  type PolygonGeometry,
  parseFeatureCollection,
  validateFeatureCollection,
} from './geojson.ts';
import { matchByOverlap } from './match.ts';
import { intersectionOverUnion } from './overlap.ts';
import { rect } from './testing/shapes.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError || e instanceof DecodeError) return e.code;
    throw e;
  }
  return undefined;
}

function feature(
  id: string,
  geometry: PolygonGeometry,
  properties: GeoFeature['properties'] = {},
): GeoFeature {
  return { type: 'Feature', id, geometry, properties };
}

const fc1 = (features: unknown[]) => ({ type: 'FeatureCollection', features });

describe('GeoJSON validation', () => {
  it('accepts a valid collection and returns a normalised copy without foreign members', () => {
    const input = fc1([
      { type: 'Feature', id: 7, geometry: rect(0, 0, 10, 10), properties: { a: 1, b: null }, extra: true },
    ]);
    const out = validateFeatureCollection(input);
    expect(out.features[0]).toEqual({
      type: 'Feature',
      id: 7,
      geometry: rect(0, 0, 10, 10),
      properties: { a: 1, b: null },
    });
    expect(out.features[0]!.geometry).not.toBe((input.features[0] as GeoFeature).geometry);
  });

  const g = rect(0, 0, 10, 10);
  const cases: [string, unknown][] = [
    ['GEOJSON_NOT_FEATURE_COLLECTION', { type: 'Feature' }],
    ['FEATURE_WITHOUT_ID', fc1([{ type: 'Feature', geometry: g, properties: {} }])],
    [
      'DUPLICATE_FEATURE_ID',
      fc1([
        { type: 'Feature', id: 1, geometry: g },
        { type: 'Feature', id: '1', geometry: g },
      ]),
    ],
    ['UNSUPPORTED_GEOMETRY', fc1([{ type: 'Feature', id: 1, geometry: null }])],
    [
      'UNSUPPORTED_GEOMETRY',
      fc1([{ type: 'Feature', id: 1, geometry: { type: 'GeometryCollection', geometries: [] } }]),
    ],
    [
      'COORDINATE_OUT_OF_RANGE',
      fc1([{ type: 'Feature', id: 1, geometry: { type: 'Point', coordinates: [30.5, 114.3] } }]),
    ],
    [
      'COORDINATE_OUT_OF_RANGE',
      fc1([{ type: 'Feature', id: 1, geometry: { type: 'Point', coordinates: [500000, 3380000] } }]),
    ],
    [
      'BAD_GEOMETRY',
      fc1([{ type: 'Feature', id: 1, geometry: { type: 'Point', coordinates: [1, Number.NaN] } }]),
    ],
    [
      'BAD_GEOMETRY',
      fc1([
        {
          type: 'Feature',
          id: 1,
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1],
              ],
            ],
          },
        },
      ]),
    ],
    [
      'BAD_GEOMETRY',
      fc1([{ type: 'Feature', id: 1, geometry: { type: 'LineString', coordinates: [[0, 0]] } }]),
    ],
    [
      'UNSUPPORTED_PROPERTY_VALUE',
      fc1([{ type: 'Feature', id: 1, geometry: g, properties: { tags: { a: 1 } } }]),
    ],
    ['NOT_WGS84', { ...fc1([]), crs: { type: 'name', properties: { name: 'EPSG:3857' } } }],
  ];
  it.each(cases)('rejects with %s', (code, value) => {
    expect(codeOf(() => validateFeatureCollection(value, 'test data'))).toBe(code);
  });

  it('enforces the named limits', () => {
    expect(codeOf(() => validateFeatureCollection(fc1(Array.from({ length: MAX_FEATURES + 1 }))))).toBe(
      'TOO_MANY_FEATURES',
    );
    const ring = Array.from({ length: MAX_VERTICES_PER_FEATURE + 1 }, (_, i) => [i / 1e6, Math.sin(i) / 1e3]);
    ring.push(ring[0]!);
    expect(
      codeOf(() =>
        validateFeatureCollection(
          fc1([{ type: 'Feature', id: 1, geometry: { type: 'Polygon', coordinates: [ring] } }]),
        ),
      ),
    ).toBe('TOO_MANY_VERTICES');
    expect(codeOf(() => parseFeatureCollection(' '.repeat(MAX_GEOJSON_BYTES + 1)))).toBe('GEOJSON_TOO_LARGE');
    expect(codeOf(() => parseFeatureCollection('{"type":'))).toBe('BAD_JSON');
  });

  it('error messages name the dataset and the feature', () => {
    expect(() =>
      validateFeatureCollection(
        fc1([{ type: 'Feature', id: 'b-9', geometry: { type: 'Point', coordinates: [200, 0] } }]),
        'OSM extract',
      ),
    ).toThrow('OSM extract feature #0 (id "b-9")');
  });
});

describe('IoU', () => {
  it('is 1 for identical footprints, 0 for disjoint ones, and about 1/3 for a half-overlapping pair', () => {
    expect(intersectionOverUnion(rect(0, 0, 10, 10), rect(0, 0, 10, 10))).toBeCloseTo(1, 6);
    expect(intersectionOverUnion(rect(0, 0, 10, 10), rect(20, 0, 10, 10))).toBe(0);
    expect(intersectionOverUnion(rect(0, 0, 10, 10), rect(5, 0, 10, 10))).toBeCloseTo(1 / 3, 3);
  });

  it('is symmetric and within [0, 1]', () => {
    const box = fc.tuple(
      fc.integer({ min: 0, max: 50 }),
      fc.integer({ min: 0, max: 50 }),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 30 }),
    );
    fc.assert(
      fc.property(box, box, ([x1, y1, w1, h1], [x2, y2, w2, h2]) => {
        const a = rect(x1, y1, w1, h1);
        const b = rect(x2, y2, w2, h2);
        const ab = intersectionOverUnion(a, b);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1);
        expect(intersectionOverUnion(b, a)).toBeCloseTo(ab, 9);
      }),
      { numRuns: 100 },
    );
  });
});

describe('matching by overlap', () => {
  const left = [
    feature('a1', rect(0, 0, 10, 10)),
    feature('a2', rect(30, 0, 10, 10)),
    feature('a3', rect(60, 0, 10, 10)),
  ];
  const right = [
    feature('o1', rect(1, 0, 10, 10)), // IoU ~0.82 with a1
    feature('o2', rect(36, 0, 10, 10)), // IoU 0.25 with a2: below threshold
    feature('o3', rect(61, 1, 9, 9)), // IoU 0.81 with a3
    feature('o4', rect(0.5, 0, 10, 10)), // better match for a1 than o1
  ];

  it('is one-to-one, best IoU first, and respects the threshold', () => {
    const m = matchByOverlap(left, right, { minIoU: 0.5 });
    expect(m.map((x) => [x.left, x.right])).toEqual([
      [0, 3],
      [2, 2],
    ]);
    expect(m[0]!.iou).toBeGreaterThan(0.9);
  });

  it('lets an attribute veto a geometric match', () => {
    const m = matchByOverlap(left, right, {
      minIoU: 0.5,
      compatible: (l, r) => !(l.id === 'a1' && r.id === 'o4'),
    });
    expect(m.map((x) => [x.left, x.right])).toEqual([
      [0, 0],
      [2, 2],
    ]);
  });

  it('does not depend on input order (same pairs when the right side is shuffled)', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(
          right.map((_, i) => i),
          { minLength: right.length },
        ),
        (order) => {
          const shuffled = order.map((i) => right[i]!);
          const pairs = matchByOverlap(left, shuffled, { minIoU: 0.5 }).map(
            (x) => `${left[x.left]!.id}-${shuffled[x.right]!.id}`,
          );
          expect(pairs).toEqual(['a1-o4', 'a3-o3']);
        },
      ),
    );
  });

  it('handles empty inputs and rejects a bad threshold', () => {
    expect(matchByOverlap([], right, { minIoU: 0.5 })).toEqual([]);
    expect(matchByOverlap(left, [], { minIoU: 0.5 })).toEqual([]);
    expect(codeOf(() => matchByOverlap(left, right, { minIoU: 0 }))).toBe('BAD_MATCH_THRESHOLD');
  });
});

describe('local plane', () => {
  // @turf/area uses a sphere of the equatorial radius, about 0.1 % larger here than the
  // ellipsoid the local plane uses; IoU is a ratio of such areas, so the bias cancels.
  it('agrees with @turf/area on a 100 m square to within 0.5 %', async () => {
    const { areaSquareMetres } = await import('./overlap.ts');
    expect(areaSquareMetres(rect(0, 0, 100, 100)) / 10_000).toBeCloseTo(1, 2);
  });
});
