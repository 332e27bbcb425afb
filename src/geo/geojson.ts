/**
 * GeoJSON (RFC 7946) as Meridian accepts it from outside: a FeatureCollection of
 * identified features in WGS84 longitude/latitude, bounded in every dimension
 * before any geometry work runs.
 *
 * What `validateFeatureCollection` promises its callers:
 * - every feature has an `id` (string or finite number), unique within the collection
 *   once turned into a string (`'7'` and `7` collide: both would get the same URI);
 * - every geometry is one of Point, MultiPoint, LineString, MultiLineString, Polygon,
 *   MultiPolygon (no GeometryCollection, no null geometry) with finite coordinates,
 *   longitude in [-180, 180], latitude in [-90, 90], closed rings of at least 4 positions;
 * - property values are JSON scalars (string, finite number, boolean, null);
 * - the result is a fresh, normalised copy (`{ type, id, geometry, properties }` only;
 *   foreign members and `bbox` are dropped), so later changes to the input do not leak in.
 *
 * Breaking a rule throws `ValidationError` (or `DecodeError` for text that is not JSON)
 * whose message names the dataset (`what`), the feature (index and id) and the rule.
 */
import { utf8 } from '../codec/bytes.ts';
import { DecodeError, ValidationError } from '../errors.ts';

/** Largest GeoJSON text accepted by `parseFeatureCollection` (UTF-8 bytes). */
export const MAX_GEOJSON_BYTES = 32 * 1024 * 1024;
/** Most features in one collection. */
export const MAX_FEATURES = 100_000;
/** Most positions in one feature's geometry. */
export const MAX_VERTICES_PER_FEATURE = 20_000;
/** Most positions in a whole collection. */
export const MAX_VERTICES_PER_COLLECTION = 2_000_000;
/** Most properties on one feature. */
export const MAX_PROPERTIES_PER_FEATURE = 256;
/** Longest property name (UTF-8 bytes). */
export const MAX_PROPERTY_KEY_BYTES = 256;
/** Longest string property value (UTF-8 bytes). */
export const MAX_PROPERTY_STRING_BYTES = 4096;
/** Longest feature id once written as a string (UTF-8 bytes). */
export const MAX_FEATURE_ID_BYTES = 256;

export type Position = number[];
export interface PointGeometry {
  type: 'Point';
  coordinates: Position;
}
export interface MultiPointGeometry {
  type: 'MultiPoint';
  coordinates: Position[];
}
export interface LineStringGeometry {
  type: 'LineString';
  coordinates: Position[];
}
export interface MultiLineStringGeometry {
  type: 'MultiLineString';
  coordinates: Position[][];
}
export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: Position[][];
}
export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: Position[][][];
}
export type PolygonalGeometry = PolygonGeometry | MultiPolygonGeometry;
export type Geometry =
  | PointGeometry
  | MultiPointGeometry
  | LineStringGeometry
  | MultiLineStringGeometry
  | PolygonalGeometry;

export type PropertyValue = string | number | boolean | null;
export type FeatureId = string | number;

export interface GeoFeature {
  type: 'Feature';
  id: FeatureId;
  geometry: Geometry;
  properties: Record<string, PropertyValue>;
}

export interface GeoFeatureCollection {
  type: 'FeatureCollection';
  features: GeoFeature[];
}

export function isPolygonal(geometry: Geometry): geometry is PolygonalGeometry {
  return geometry.type === 'Polygon' || geometry.type === 'MultiPolygon';
}

/** The feature id as used in URIs and for uniqueness: numbers in their JavaScript string form. */
export function featureIdString(id: FeatureId): string {
  return typeof id === 'number' ? String(id) : id;
}

/**
 * Parses and validates GeoJSON text. The byte limit is checked before `JSON.parse` runs,
 * so an oversized file costs no parsing.
 */
export function parseFeatureCollection(text: string, what = 'GeoJSON'): GeoFeatureCollection {
  if (typeof text !== 'string') throw new DecodeError('BAD_GEOJSON', `${what} must be text`);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only encode when the cheap bound is not enough.
  if (text.length * 3 > MAX_GEOJSON_BYTES && utf8(text).length > MAX_GEOJSON_BYTES) {
    throw new ValidationError('GEOJSON_TOO_LARGE', `${what} is larger than ${MAX_GEOJSON_BYTES} bytes`, {
      hint: 'split the data set into smaller collections (limit MAX_GEOJSON_BYTES)',
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError('BAD_JSON', `${what} is not valid JSON`, { cause });
  }
  return validateFeatureCollection(value, what);
}

interface Budget {
  vertices: number;
}

function fail(code: string, message: string, hint: string, details?: Record<string, unknown>): never {
  throw new ValidationError(code, message, details === undefined ? { hint } : { hint, details });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates an already-parsed value as a FeatureCollection and returns a normalised copy. */
export function validateFeatureCollection(value: unknown, what = 'GeoJSON'): GeoFeatureCollection {
  if (!isRecord(value) || value.type !== 'FeatureCollection') {
    fail(
      'GEOJSON_NOT_FEATURE_COLLECTION',
      `${what} is not a GeoJSON FeatureCollection`,
      'provide an object with "type": "FeatureCollection" and a "features" array',
    );
  }
  checkCrs(value.crs, what);
  const features = value.features;
  if (!Array.isArray(features)) {
    fail('GEOJSON_NOT_FEATURE_COLLECTION', `${what} has no "features" array`, 'add a "features" array');
  }
  if (features.length > MAX_FEATURES) {
    fail(
      'TOO_MANY_FEATURES',
      `${what} has ${features.length} features, more than ${MAX_FEATURES}`,
      'split the collection (limit MAX_FEATURES)',
    );
  }
  const budget: Budget = { vertices: 0 };
  const seen = new Map<string, number>();
  const out: GeoFeature[] = [];
  for (let index = 0; index < features.length; index++) {
    const feature = validateFeature(features[index], index, what, budget);
    const key = featureIdString(feature.id);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      fail(
        'DUPLICATE_FEATURE_ID',
        `${what}: features #${earlier} and #${index} share the id "${key}"`,
        'feature ids become URIs and must be unique within a data set',
        { id: key },
      );
    }
    seen.set(key, index);
    out.push(feature);
  }
  return { type: 'FeatureCollection', features: out };
}

function checkCrs(crs: unknown, what: string): void {
  if (crs === undefined || crs === null) return;
  // RFC 7946 removed `crs`; old files may still carry one. Only WGS84 lon/lat is acceptable.
  const name = isRecord(crs) && isRecord(crs.properties) ? crs.properties.name : undefined;
  const ok =
    typeof name === 'string' &&
    (name === 'urn:ogc:def:crs:OGC:1.3:CRS84' ||
      name === 'urn:ogc:def:crs:OGC::CRS84' ||
      name === 'EPSG:4326');
  if (!ok) {
    fail(
      'NOT_WGS84',
      `${what} declares a coordinate reference system other than WGS84`,
      'reproject to WGS84 lon/lat',
    );
  }
}

function featureLabel(what: string, index: number, id?: unknown): string {
  return id === undefined
    ? `${what} feature #${index}`
    : `${what} feature #${index} (id ${JSON.stringify(id)})`;
}

function validateFeature(value: unknown, index: number, what: string, budget: Budget): GeoFeature {
  if (!isRecord(value) || value.type !== 'Feature') {
    fail(
      'BAD_FEATURE',
      `${featureLabel(what, index)} is not a GeoJSON Feature`,
      'each element needs "type": "Feature"',
    );
  }
  const id = value.id;
  const label = featureLabel(what, index, id);
  if (typeof id === 'number') {
    if (!Number.isFinite(id))
      fail('BAD_FEATURE_ID', `${label} has a non-finite id`, 'use a string or finite number');
  } else if (typeof id === 'string') {
    if (id.length === 0)
      fail('BAD_FEATURE_ID', `${label} has an empty id`, 'give every feature a non-empty id');
    if (utf8(id).length > MAX_FEATURE_ID_BYTES) {
      fail(
        'BAD_FEATURE_ID',
        `${label} has an id longer than ${MAX_FEATURE_ID_BYTES} bytes`,
        'shorten the id',
      );
    }
  } else {
    fail(
      'FEATURE_WITHOUT_ID',
      `${label} has no id`,
      'give every feature an "id" (string or number): it becomes part of the feature URI',
    );
  }
  const geometry = validateGeometry(value.geometry, label, budget);
  const properties = validateProperties(value.properties, label);
  return { type: 'Feature', id, geometry, properties };
}

function validateProperties(value: unknown, label: string): Record<string, PropertyValue> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value))
    fail('BAD_PROPERTY', `${label} has "properties" that is not an object`, 'use an object');
  const keys = Object.keys(value);
  if (keys.length > MAX_PROPERTIES_PER_FEATURE) {
    fail(
      'TOO_MANY_PROPERTIES',
      `${label} has ${keys.length} properties, more than ${MAX_PROPERTIES_PER_FEATURE}`,
      'drop unused properties (limit MAX_PROPERTIES_PER_FEATURE)',
    );
  }
  const out: Record<string, PropertyValue> = {};
  for (const key of keys) {
    if (key.length === 0 || utf8(key).length > MAX_PROPERTY_KEY_BYTES) {
      fail(
        'BAD_PROPERTY',
        `${label} has a property name that is empty or too long`,
        'property names: 1..256 bytes',
        {
          key,
        },
      );
    }
    const v = value[key];
    if (typeof v === 'string') {
      if (utf8(v).length > MAX_PROPERTY_STRING_BYTES) {
        fail(
          'BAD_PROPERTY',
          `${label} property "${key}" is longer than ${MAX_PROPERTY_STRING_BYTES} bytes`,
          'store large values elsewhere and reference them (limit MAX_PROPERTY_STRING_BYTES)',
        );
      }
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v))
        fail('BAD_PROPERTY', `${label} property "${key}" is not finite`, 'use a finite number');
    } else if (typeof v !== 'boolean' && v !== null) {
      fail(
        'UNSUPPORTED_PROPERTY_VALUE',
        `${label} property "${key}" is not a string, number, boolean or null`,
        'flatten nested property values into scalar properties',
      );
    }
    // Object.defineProperty keeps a "__proto__" key an ordinary own property.
    Object.defineProperty(out, key, {
      value: v === 0 ? 0 : v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function validateGeometry(value: unknown, label: string, budget: Budget): Geometry {
  if (!isRecord(value)) {
    fail(
      'UNSUPPORTED_GEOMETRY',
      `${label} has no geometry`,
      'every feature needs a geometry (null is not accepted)',
    );
  }
  const counter = { vertices: 0 };
  const c = value.coordinates;
  let geometry: Geometry;
  switch (value.type) {
    case 'Point':
      geometry = { type: 'Point', coordinates: position(c, label, counter) };
      break;
    case 'MultiPoint':
      geometry = {
        type: 'MultiPoint',
        coordinates: array(c, label, 1).map((p) => position(p, label, counter)),
      };
      break;
    case 'LineString':
      geometry = { type: 'LineString', coordinates: line(c, label, counter) };
      break;
    case 'MultiLineString':
      geometry = {
        type: 'MultiLineString',
        coordinates: array(c, label, 1).map((l) => line(l, label, counter)),
      };
      break;
    case 'Polygon':
      geometry = { type: 'Polygon', coordinates: polygon(c, label, counter) };
      break;
    case 'MultiPolygon':
      geometry = {
        type: 'MultiPolygon',
        coordinates: array(c, label, 1).map((p) => polygon(p, label, counter)),
      };
      break;
    default:
      fail(
        'UNSUPPORTED_GEOMETRY',
        `${label} has geometry type ${JSON.stringify(value.type)}`,
        'use Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon',
      );
  }
  budget.vertices += counter.vertices;
  if (budget.vertices > MAX_VERTICES_PER_COLLECTION) {
    fail(
      'TOO_MANY_VERTICES',
      `${label}: the collection has more than ${MAX_VERTICES_PER_COLLECTION} positions`,
      'split the collection (limit MAX_VERTICES_PER_COLLECTION)',
    );
  }
  return geometry;
}

function array(value: unknown, label: string, minLength: number): unknown[] {
  if (!Array.isArray(value) || value.length < minLength) {
    fail('BAD_GEOMETRY', `${label} has malformed coordinates`, 'follow RFC 7946 coordinate nesting');
  }
  return value;
}

function position(value: unknown, label: string, counter: { vertices: number }): Position {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    fail(
      'BAD_GEOMETRY',
      `${label} has a position that is not [lon, lat] or [lon, lat, alt]`,
      'follow RFC 7946',
    );
  }
  for (const n of value) {
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      fail('BAD_GEOMETRY', `${label} has a non-finite coordinate`, 'coordinates must be finite numbers');
    }
  }
  const [lon, lat] = value as number[];
  if (lon! < -180 || lon! > 180 || lat! < -90 || lat! > 90) {
    fail(
      'COORDINATE_OUT_OF_RANGE',
      `${label} has position [${lon}, ${lat}] outside WGS84 longitude/latitude`,
      'coordinates must be [longitude, latitude] in degrees (is the data projected, or are lon/lat swapped?)',
    );
  }
  counter.vertices++;
  if (counter.vertices > MAX_VERTICES_PER_FEATURE) {
    fail(
      'TOO_MANY_VERTICES',
      `${label} has more than ${MAX_VERTICES_PER_FEATURE} positions`,
      'simplify the geometry (limit MAX_VERTICES_PER_FEATURE)',
    );
  }
  return (value as number[]).map((n) => (n === 0 ? 0 : n));
}

function line(value: unknown, label: string, counter: { vertices: number }): Position[] {
  return array(value, label, 2).map((p) => position(p, label, counter));
}

function polygon(value: unknown, label: string, counter: { vertices: number }): Position[][] {
  return array(value, label, 1).map((ringValue) => {
    const ring = array(ringValue, label, 4).map((p) => position(p, label, counter));
    const first = ring[0]!;
    const last = ring[ring.length - 1]!;
    if (first.length !== last.length || first.some((n, i) => n !== last[i])) {
      fail(
        'BAD_GEOMETRY',
        `${label} has a polygon ring that is not closed`,
        'repeat the first position at the end',
      );
    }
    return ring;
  });
}
