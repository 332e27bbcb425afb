/**
 * Seed 001's experimental workload: blocks of provenance entries made of whole
 * vector datasets (each 2-100 features, each feature 2-20 attributes), keyed by
 * hierarchical URIs (`http://example.com/resource/dataset_7/feature_12/attr_height`),
 * each value the SHA-256 of a PROV-like JSON record. Deterministic for a seed.
 *
 * A block of exactly `size` entries: datasets are drawn whole; the last one is
 * trimmed to fit, and a remainder too small for another dataset (< 7 entries)
 * becomes extra attributes of earlier features (never above 20 per feature).
 */
import { utf8 } from '../../src/codec/bytes.ts';
import { sha256 } from '../../src/crypto/sha256.ts';
import { Prng } from './prng.ts';

export const URI_BASE = 'http://example.com/resource/';

const ATTRIBUTE_NAMES = [
  'height',
  'name',
  'type',
  'area',
  'geometry',
  'floors',
  'use',
  'material',
  'year',
  'address',
  'owner',
  'status',
  'source',
  'roof',
  'levels',
  'colour',
  'condition',
  'zone',
  'code',
  'perimeter',
];

export type Granularity = 'dataset' | 'feature' | 'attribute';

export interface ProvenanceEntry {
  readonly uri: string;
  readonly key: Uint8Array;
  /** SHA-256 of the entry's PROV-like record (32 bytes). */
  readonly value: Uint8Array;
  readonly granularity: Granularity;
}

export interface DatasetEntries {
  readonly id: number;
  /** The dataset's URI (its own entry's key). */
  readonly uri: string;
  /** The dataset entry first, then its features and attributes. */
  readonly entries: ProvenanceEntry[];
}

export interface ProvenanceBlock {
  readonly entries: ProvenanceEntry[];
  readonly datasets: DatasetEntries[];
}

function entry(prng: Prng, uri: string, granularity: Granularity): ProvenanceEntry {
  const record = {
    entity: uri,
    granularity,
    activity: {
      type: 'merge',
      algorithm: 'buffer-overlap-match',
      parameters: { tolerance: prng.int(1, 10) },
    },
    agent: `http://example.com/agent/${prng.int(1, 5)}`,
    time: new Date(Date.UTC(2024, 0, 1) + prng.int(0, 1e9)).toISOString(),
    change: ['kept', 'added', 'updated'][prng.int(0, 2)],
  };
  return { uri, key: utf8(uri), value: sha256(utf8(JSON.stringify(record))), granularity };
}

/** A block of exactly `size` entries. */
export function makeProvenanceBlock(size: number, seed: number): ProvenanceBlock {
  const prng = new Prng(seed);
  const plans: { id: number; attributes: number[] }[] = [];
  let remaining = size;
  while (remaining >= 7) {
    const featureCount = prng.int(2, 100);
    const attributes: number[] = [];
    let used = 1;
    for (let f = 0; f < featureCount; f++) {
      const want = prng.int(2, 20);
      const room = remaining - used - 1;
      // Keep room for a second feature while the dataset has only one.
      const reserve = attributes.length === 0 ? 3 : 0;
      const take = Math.min(want, room - reserve);
      if (take < 2) break;
      attributes.push(take);
      used += 1 + take;
    }
    plans.push({ id: plans.length + 1, attributes });
    remaining -= used;
  }
  // Spread a small remainder over earlier features as extra attributes.
  for (let p = plans.length - 1; remaining > 0 && p >= 0; p--) {
    const attrs = plans[p]!.attributes;
    for (let f = 0; remaining > 0 && f < attrs.length; f++) {
      while (remaining > 0 && attrs[f]! < 20) {
        attrs[f]!++;
        remaining--;
      }
    }
  }
  const datasets: DatasetEntries[] = plans.map(({ id, attributes }) => {
    const uri = `${URI_BASE}dataset_${id}`;
    const entries = [entry(prng, uri, 'dataset')];
    attributes.forEach((count, f) => {
      const featureUri = `${uri}/feature_${f + 1}`;
      entries.push(entry(prng, featureUri, 'feature'));
      for (const name of prng.shuffle(ATTRIBUTE_NAMES).slice(0, count)) {
        entries.push(entry(prng, `${featureUri}/attr_${name}`, 'attribute'));
      }
    });
    return { id, uri, entries };
  });
  const entries = datasets.flatMap((d) => d.entries);
  if (entries.length !== size)
    throw new Error(`workload generator made ${entries.length} entries, wanted ${size}`);
  return { entries, datasets };
}
