/**
 * Generates the two input data sets of the provenance example (seed 001 §1.2): an authoritative
 * building register and an OpenStreetMap-style extract of the same small area. Everything here is
 * GENERATED (see README.md): no real survey or OSM data is used.
 *
 *   npx tsx examples/provenance/data/generate.ts      # rewrites authoritative.geojson and osm.geojson
 *
 * Deterministic: a seeded generator and a fixed order of draws, so the same seed gives byte-identical
 * files (a test checks that the committed files are exactly what this script produces).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { GeoFeature, GeoFeatureCollection, PropertyValue } from '../../../src/geo/geojson.ts';
import { type LonLat, localToLonLat } from '../../../src/geo/local-plane.ts';

export const SEED = 20240301;
/** South-west corner of the generated grid: Wuchang district, Wuhan (the seed paper's home city). */
export const ORIGIN: LonLat = { lon: 114.3482, lat: 30.5371 };
/** The street grid is turned this many degrees anticlockwise from east. */
const GRID_ROTATION_DEG = 14;
const BLOCK_COLUMNS = 6;
const BLOCK_ROWS = 5;
const BLOCK_WIDTH = 120;
const BLOCK_DEPTH = 84;
const STREET_WIDTH = 18;

/** East-west streets (south to north) and their pinyin, invented for this example. */
const STREETS: readonly [string, string][] = [
  ['青林路', 'Qinglin Road'],
  ['松柏路', 'Songbai Road'],
  ['湖滨路', 'Hubin Road'],
  ['翠微街', 'Cuiwei Street'],
  ['望江路', 'Wangjiang Road'],
  ['柳溪街', 'Liuxi Street'],
];
const SCHOOL_NAMES = [
  '青林小学',
  '松柏中学',
  '湖滨幼儿园',
  '翠微社区卫生服务中心',
  '望江图书馆',
  '街道办事处',
];
const SHOP_NAMES = [
  '惠民超市',
  '湖滨菜市场',
  '松柏大药房',
  '青林酒店',
  '翠微商场',
  '望江百货',
  '老街面馆',
  '新华书店',
];

/** A small seeded generator (splitmix32): deterministic, uniform enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4_294_967_296;
  };
}

type Use = 'residential' | 'commercial' | 'public' | 'industrial' | 'mixed';
type Point = [number, number];

interface Building {
  id: string;
  /** Footprint ring in grid metres (x east along the street, y north), closed. */
  ring: Point[];
  isL: boolean;
  use: Use;
  storeys: number;
  heightM: number;
  street: number;
  housenumber: string;
  name: string | null;
  surveyDate: string;
}

class Draw {
  constructor(private readonly next: () => number) {}
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
  int(min: number, max: number): number {
    return Math.floor(this.uniform(min, max + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Approximately normal (sum of uniforms). */
  normal(sd: number): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * sd * Math.sqrt(3);
  }
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

function toLonLat(p: Point, digits: number): number[] {
  const a = (GRID_ROTATION_DEG * Math.PI) / 180;
  const east = p[0] * Math.cos(a) - p[1] * Math.sin(a);
  const north = p[0] * Math.sin(a) + p[1] * Math.cos(a);
  const [lon, lat] = localToLonLat(ORIGIN, east, north);
  return [round(lon!, digits), round(lat!, digits)];
}

function polygon(ring: Point[], digits: number): GeoFeature['geometry'] {
  return { type: 'Polygon', coordinates: [ring.map((p) => toLonLat(p, digits))] };
}

function rectangle(x: number, y: number, w: number, d: number): Point[] {
  return [
    [x, y],
    [x + w, y],
    [x + w, y + d],
    [x, y + d],
    [x, y],
  ];
}

/** A rectangle with its back corner cut out (an L shape), counter-clockwise, closed. */
function lShape(
  x: number,
  y: number,
  w: number,
  d: number,
  backIsNorth: boolean,
  cutW: number,
  cutD: number,
): Point[] {
  if (backIsNorth) {
    return [
      [x, y],
      [x + w, y],
      [x + w, y + d - cutD],
      [x + w - cutW, y + d - cutD],
      [x + w - cutW, y + d],
      [x, y + d],
      [x, y],
    ];
  }
  return [
    [x, y + cutD],
    [x + w - cutW, y + cutD],
    [x + w - cutW, y],
    [x + w, y],
    [x + w, y + d],
    [x, y + d],
    [x, y + cutD],
  ];
}

function bounds(ring: Point[]): { minX: number; minY: number; maxX: number; maxY: number } {
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

function isoDate(startUtc: number, endUtc: number, u: number): string {
  return new Date(startUtc + Math.floor(u * (endUtc - startUtc))).toISOString().slice(0, 10);
}

const DAY = 86_400_000;
const SURVEY_START = Date.UTC(2022, 8, 1);
const SURVEY_END = Date.UTC(2023, 5, 30);

function storeysFor(use: Use, r: Draw): number {
  switch (use) {
    case 'residential':
      return r.chance(0.06) ? r.int(18, 32) : r.int(4, 9);
    case 'commercial':
      return r.int(2, 6);
    case 'public':
      return r.int(2, 5);
    case 'industrial':
      return r.int(1, 2);
    case 'mixed':
      return r.int(3, 8);
  }
}

const FLOOR_HEIGHT: Record<Use, [number, number]> = {
  residential: [2.85, 3.1],
  commercial: [3.9, 4.6],
  public: [3.6, 4.2],
  industrial: [5.5, 7.5],
  mixed: [3.2, 3.8],
};

function generateRegister(r: Draw): Building[] {
  const buildings: Building[] = [];
  const numberCounters = new Map<string, number>();
  let serial = 1;
  let schoolIndex = 0;
  let shopIndex = 0;
  for (let by = 0; by < BLOCK_ROWS; by++) {
    for (let bx = 0; bx < BLOCK_COLUMNS; bx++) {
      const x0 = STREET_WIDTH + bx * (BLOCK_WIDTH + STREET_WIDTH);
      const y0 = STREET_WIDTH + by * (BLOCK_DEPTH + STREET_WIDTH);
      const blockKind: Use =
        bx === 2 && by === 1
          ? 'public'
          : bx === BLOCK_COLUMNS - 1 && by === 0
            ? 'industrial'
            : by === 2
              ? 'mixed'
              : r.chance(0.25)
                ? 'commercial'
                : 'residential';
      const surveyDate = isoDate(SURVEY_START, SURVEY_END, r.uniform(0, 1));
      for (const side of ['south', 'north'] as const) {
        const street = side === 'south' ? by : by + 1;
        // Buildings of the south row stand on the north side of their street (odd numbers), and vice versa.
        const counterKey = `${street}:${side}`;
        let cursor = x0 + r.uniform(2, 5);
        for (;;) {
          const w = r.uniform(9, 22);
          const d = r.uniform(10, 18);
          if (cursor + w > x0 + BLOCK_WIDTH - 2) break;
          const setback = r.uniform(2, 4.5);
          const y = side === 'south' ? y0 + setback : y0 + BLOCK_DEPTH - setback - d;
          const isL = w > 13 && r.chance(0.16);
          const ring = isL
            ? lShape(cursor, y, w, d, side === 'south', w * r.uniform(0.3, 0.5), d * r.uniform(0.3, 0.5))
            : rectangle(cursor, y, w, d);
          const use: Use =
            blockKind === 'mixed'
              ? r.pick<Use>(['mixed', 'commercial', 'residential'])
              : r.chance(0.85)
                ? blockKind
                : r.pick<Use>(['residential', 'commercial']);
          const storeys = storeysFor(use, r);
          const [fMin, fMax] = FLOOR_HEIGHT[use];
          const heightM = round(storeys * r.uniform(fMin, fMax) + r.uniform(0.4, 1.6), 1);
          const n = (numberCounters.get(counterKey) ?? (side === 'south' ? -1 : 0)) + 2;
          numberCounters.set(counterKey, n);
          let name: string | null = null;
          if (use === 'public' && schoolIndex < SCHOOL_NAMES.length) name = SCHOOL_NAMES[schoolIndex++]!;
          else if (use === 'commercial' && r.chance(0.3)) name = SHOP_NAMES[shopIndex++ % SHOP_NAMES.length]!;
          buildings.push({
            id: `WC-BLD-${String(serial++).padStart(5, '0')}`,
            ring,
            isL,
            use,
            storeys,
            heightM,
            street,
            housenumber: String(n),
            name,
            surveyDate,
          });
          cursor += w + r.uniform(2, 6);
        }
      }
    }
  }
  return buildings;
}

function registerFeature(b: Building): GeoFeature {
  const properties: Record<string, PropertyValue> = {
    use_class: b.use,
    storeys: b.storeys,
    height_m: b.heightM,
    street: STREETS[b.street]![0],
    housenumber: b.housenumber,
  };
  if (b.name !== null) properties.name = b.name;
  properties.survey_date = b.surveyDate;
  return { type: 'Feature', id: b.id, geometry: polygon(b.ring, 8), properties };
}

const OSM_BUILDING_VALUE: Record<Use, readonly string[]> = {
  residential: ['apartments', 'residential', 'yes', 'apartments'],
  commercial: ['retail', 'commercial', 'yes'],
  public: ['school', 'public', 'civic'],
  industrial: ['industrial', 'warehouse'],
  mixed: ['yes', 'apartments', 'commercial'],
};

/** The same footprint as an OSM mapper traced it from offset imagery: shifted, turned, scaled, maybe simplified. */
function traced(ring: Point[], isL: boolean, r: Draw, imageryOffset: Point): Point[] {
  let base = ring;
  if (isL && r.chance(0.35)) {
    const b = bounds(ring);
    base = rectangle(b.minX, b.minY, b.maxX - b.minX, b.maxY - b.minY);
  }
  const b = bounds(base);
  const cx = (b.minX + b.maxX) / 2;
  const cy = (b.minY + b.maxY) / 2;
  const turn = (r.uniform(-1.5, 1.5) * Math.PI) / 180;
  const scale = 1 + r.uniform(-0.03, 0.03);
  const dx = imageryOffset[0] + r.normal(0.35);
  const dy = imageryOffset[1] + r.normal(0.35);
  return base.map(([x, y]) => {
    const ux = (x - cx) * scale;
    const uy = (y - cy) * scale;
    return [
      cx + ux * Math.cos(turn) - uy * Math.sin(turn) + dx,
      cy + ux * Math.sin(turn) + uy * Math.cos(turn) + dy,
    ];
  });
}

function nameVariant(name: string): string {
  return name.endsWith('超市') ? name.replace('超市', '生活超市') : `${name}(${'新址'})`;
}

function generateExtract(register: Building[], r: Draw): GeoFeature[] {
  const imageryOffset: Point = [0.9, 0.7];
  const features: GeoFeature[] = [];
  let wayId = 287_400_000;
  const nextWay = () => {
    wayId += r.int(3, 40);
    return `way/${wayId}`;
  };
  const surveyTime = (b: Building) => Date.parse(`${b.surveyDate}T00:00:00Z`);

  for (const b of register) {
    if (r.chance(0.07)) continue; // not mapped in OSM yet
    const tags: Record<string, PropertyValue> = { building: r.pick(OSM_BUILDING_VALUE[b.use]) };
    if (r.chance(0.7))
      tags['building:levels'] = String(r.chance(0.05) ? b.storeys + (r.chance(0.5) ? 1 : -1) : b.storeys);
    if (r.chance(0.35)) {
      const conflicting = r.chance(0.3);
      const h = conflicting
        ? b.heightM + (r.chance(0.5) ? 1 : -1) * r.uniform(1.5, 6)
        : b.heightM + r.uniform(-0.4, 0.4);
      const roll = r.uniform(0, 1);
      tags.height =
        roll < 0.02 ? `~${Math.round(h)}` : roll < 0.12 ? `${round(h, 1)} m` : String(round(h, 1));
      // Conflicting heights: half re-checked after the survey (OSM is newer), half before it.
      const checked = conflicting
        ? r.chance(0.5)
          ? isoDate(surveyTime(b) + 30 * DAY, Date.UTC(2024, 1, 28), r.uniform(0, 1))
          : isoDate(Date.UTC(2019, 0, 1), surveyTime(b) - 30 * DAY, r.uniform(0, 1))
        : r.chance(0.4)
          ? isoDate(Date.UTC(2019, 0, 1), Date.UTC(2024, 1, 28), r.uniform(0, 1))
          : null;
      if (checked !== null) tags.check_date = checked;
    }
    if (b.name !== null && r.chance(0.65)) tags.name = r.chance(0.15) ? nameVariant(b.name) : b.name;
    else if (b.use === 'commercial' && r.chance(0.15)) tags.name = r.pick(SHOP_NAMES);
    if (typeof tags.name === 'string' && r.chance(0.4))
      tags['name:en'] =
        `${STREETS[b.street]![1].split(' ')[0]} ${b.use === 'public' ? 'Public Building' : 'Shop'}`;
    if (r.chance(0.5)) {
      tags['addr:street'] = r.chance(0.04)
        ? STREETS[b.street]![0].replace('路', '大道')
        : STREETS[b.street]![0];
      tags['addr:housenumber'] = r.chance(0.02) ? String(Number(b.housenumber) + 2) : b.housenumber;
      if (r.chance(0.3)) tags['addr:postcode'] = '430071';
    }
    tags.source = r.pick(['Bing', 'Esri World Imagery', 'survey']);

    const bb = bounds(b.ring);
    const split = !b.isL && bb.maxX - bb.minX >= 16 && r.chance(0.04);
    if (split) {
      // A mapper traced one building as two (a party wall): two ways, tags copied.
      const cut = bb.minX + (bb.maxX - bb.minX) * r.uniform(0.4, 0.62);
      const left = rectangle(bb.minX, bb.minY, cut - bb.minX, bb.maxY - bb.minY);
      const right = rectangle(cut, bb.minY, bb.maxX - cut, bb.maxY - bb.minY);
      for (const part of [left, right]) {
        features.push({
          type: 'Feature',
          id: nextWay(),
          geometry: polygon(traced(part, false, r, imageryOffset), 7),
          properties: { ...tags },
        });
      }
      continue;
    }
    features.push({
      type: 'Feature',
      id: nextWay(),
      geometry: polygon(traced(b.ring, b.isL, r, imageryOffset), 7),
      properties: tags,
    });
  }

  // New buildings in block courtyards, built after the survey: only OSM has them.
  for (let by = 0; by < BLOCK_ROWS; by++) {
    for (let bx = 0; bx < BLOCK_COLUMNS; bx++) {
      if (!r.chance(0.6)) continue;
      const x0 = STREET_WIDTH + bx * (BLOCK_WIDTH + STREET_WIDTH);
      const y0 = STREET_WIDTH + by * (BLOCK_DEPTH + STREET_WIDTH);
      const w = r.uniform(12, 30);
      const d = r.uniform(10, 16);
      const x = x0 + r.uniform(10, BLOCK_WIDTH - w - 10);
      const y = y0 + BLOCK_DEPTH / 2 - d / 2 + r.uniform(-3, 3);
      const tags: Record<string, PropertyValue> = {
        building: r.pick(['yes', 'residential', 'construction', 'commercial']),
        'building:levels': String(r.int(2, 12)),
        check_date: isoDate(Date.UTC(2023, 8, 1), Date.UTC(2024, 1, 28), r.uniform(0, 1)),
        source: 'survey',
      };
      features.push({
        type: 'Feature',
        id: nextWay(),
        geometry: polygon(traced(rectangle(x, y, w, d), false, r, [0, 0]), 7),
        properties: tags,
      });
    }
  }
  return features;
}

export interface GeneratedSources {
  authoritative: GeoFeatureCollection;
  osm: GeoFeatureCollection;
}

/** Both data sets for a seed. Pure: no I/O, no clock. */
export function generateBuildingSources(seed = SEED): GeneratedSources {
  const r = new Draw(seededRandom(seed));
  const register = generateRegister(r);
  return {
    authoritative: { type: 'FeatureCollection', features: register.map(registerFeature) },
    osm: { type: 'FeatureCollection', features: generateExtract(register, r) },
  };
}

/** GeoJSON text with one feature per line (small diffs, still valid JSON). */
export function serializeCollection(collection: GeoFeatureCollection): string {
  const lines = collection.features.map((f) => `    ${JSON.stringify(f)}`);
  return `{\n  "type": "FeatureCollection",\n  "features": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

export const DATA_DIR = dirname(fileURLToPath(import.meta.url));
export const AUTHORITATIVE_FILE = join(DATA_DIR, 'authoritative.geojson');
export const OSM_FILE = join(DATA_DIR, 'osm.geojson');

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { authoritative, osm } = generateBuildingSources();
  writeFileSync(AUTHORITATIVE_FILE, serializeCollection(authoritative));
  writeFileSync(OSM_FILE, serializeCollection(osm));
  console.log(
    `wrote ${authoritative.features.length} authoritative and ${osm.features.length} OSM buildings to ${DATA_DIR}`,
  );
}
