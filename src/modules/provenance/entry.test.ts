import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../codec/bytes.ts';
import { canonicalJson, hashRecord, referenceCanonicalJson } from '../../codec/canonical-json.ts';
import { sha256 } from '../../crypto/sha256.ts';
import { ValidationError } from '../../errors.ts';
import { MAX_LITERAL_BYTES } from './attributes.ts';
import {
  entryHash,
  entryHashHex,
  entryKey,
  entryKeyBytes,
  MAX_ENTRY_BYTES,
  makeActivity,
  makeAgent,
  makeEntity,
  nextVersion,
  validateDateTime,
  validateEntry,
  validateRecord,
} from './entry.ts';
import type { ProvenanceEntry } from './model.ts';
import { provenanceGraphArb } from './testing/arbitraries.ts';
import { history, latestVersions } from './versions.ts';

const DS = 'https://data.example.org/buildings';
const ACT = 'https://prov.example.net/activity/merge-1';
const AGENT = 'https://prov.example.net/agent/survey-office';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.code;
    throw e;
  }
  return undefined;
}

function sampleFeature(): ProvenanceEntry {
  return makeEntity({
    uri: `${DS}/BLD-1`,
    granularity: 'feature',
    partOf: DS,
    attributes: { 'meridian:valueHash': toHex(hashRecord({ a: 1 })), 'prov:label': 'Building 1' },
    relations: [
      {
        kind: 'wasGeneratedBy',
        object: ACT,
        time: '2024-05-01T10:00:00Z',
        objectEntry: `0x${'ab'.repeat(32)}`,
      },
      { kind: 'wasAttributedTo', object: AGENT },
      {
        kind: 'wasDerivedFrom',
        object: 'https://osm.example.org/extract/way%2F1',
        secondary: ACT,
        attributes: { 'meridian:operation': 'added' },
      },
    ],
  });
}

describe('entries: key and hash', () => {
  it('the key is the URI (ASCII bytes) and the hash is SHA-256 of the RFC 8785 form', () => {
    const e = sampleFeature();
    expect(entryKey(e)).toBe(`${DS}/BLD-1`);
    expect(entryKeyBytes(e)).toEqual(new TextEncoder().encode(`${DS}/BLD-1`));
    expect(entryHash(e)).toEqual(hashRecord(JSON.parse(canonicalJson(e))));
    expect(entryHashHex(e)).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('relation order in the draft does not change the entry; any changed fact changes the hash', () => {
    const e = sampleFeature();
    const reordered = makeEntity({
      uri: e.uri,
      granularity: 'feature',
      partOf: DS,
      attributes: e.attributes,
      relations: [...e.relations].reverse(),
    });
    expect(entryHashHex(reordered)).toBe(entryHashHex(e));

    const base = entryHashHex(e);
    const mutations: ((x: ProvenanceEntry) => ProvenanceEntry)[] = [
      (x) => ({ ...x, attributes: { ...x.attributes, 'prov:label': 'Building 2' } }),
      (x) => ({
        ...x,
        relations: x.relations.map((r) =>
          r.kind === 'wasGeneratedBy' ? { ...r, time: '2024-05-01T10:00:01Z' } : r,
        ),
      }),
      (x) => ({
        ...x,
        relations: x.relations.map((r) => (r.kind === 'wasAttributedTo' ? { ...r, object: `${AGENT}x` } : r)),
      }),
      (x) => ({
        ...x,
        relations: x.relations.map((r) =>
          r.kind === 'wasGeneratedBy' ? { ...r, objectEntry: `0x${'cd'.repeat(32)}` } : r,
        ),
      }),
      (x) => ({ ...x, relations: x.relations.filter((r) => r.kind !== 'wasDerivedFrom') }),
      (x) => ({ ...x, version: 2, previous: `0x${'00'.repeat(32)}` }),
    ];
    for (const mutate of mutations) expect(entryHashHex(mutate(e))).not.toBe(base);
  });
});

describe('entries: validation names the broken rule', () => {
  const good = sampleFeature();
  const cases: [string, unknown][] = [
    ['BAD_ENTRY', { ...good, extra: 1 }],
    ['UNKNOWN_ENTRY_FORMAT', { ...good, format: 'meridian-prov/0' }],
    ['BAD_VERSION', { ...good, version: 0 }],
    ['BAD_VERSION', { ...good, version: 2 }],
    ['BAD_VERSION', { ...good, previous: `0x${'00'.repeat(32)}` }],
    ['BAD_HASH', { ...good, version: 2, previous: '0x1234' }],
    ['FEATURE_NOT_UNDER_DATASET', { ...good, partOf: 'https://data.example.org/other' }],
    ['BAD_GRANULARITY', { ...good, granularity: 'layer' }],
    ['RESERVED_ATTRIBUTE', { ...good, attributes: { 'meridian:version': 3 } }],
    [
      'RESERVED_ATTRIBUTE',
      { ...good, attributes: { 'prov:type': { $: 'meridian:Dataset', type: 'xsd:QName' } } },
    ],
    ['NON_CANONICAL_NAME', { ...good, attributes: { 'http://www.w3.org/ns/prov#label': 'x' } }],
    ['ENTRY_NOT_CANONICAL', { ...good, relations: [...good.relations].reverse() }],
    ['DUPLICATE_RELATION', { ...good, relations: [good.relations[0], good.relations[0]] }],
    ['RELATION_SUBJECT_MISMATCH', { ...good, relations: [{ ...good.relations[0]!, kind: 'used' }] }],
    [
      'BAD_TIME',
      { ...good, relations: good.relations.map((r) => (r.time ? { ...r, time: '2024-05-01T10:00:00' } : r)) },
    ],
    ['BAD_LITERAL', { ...good, attributes: { 'prov:label': { $: 'x' } } }],
    ['BAD_LITERAL', { ...good, attributes: { 'prov:label': -0 } }],
  ];
  it.each(cases)('%s', (code, value) => {
    expect(codeOf(() => validateEntry(value))).toBe(code);
  });

  it('rejects attribute URIs that do not match their kind and name', () => {
    const f = `${DS}/BLD-1`;
    expect(
      codeOf(() =>
        makeEntity({
          uri: `${f}/properties.height`,
          granularity: 'attribute',
          partOf: f,
          attribute: { kind: 'property', name: 'levels' },
        }),
      ),
    ).toBe('ATTRIBUTE_SEGMENT_MISMATCH');
    expect(codeOf(() => makeEntity({ uri: `${f}/geometry`, granularity: 'attribute', partOf: f }))).toBe(
      'MISSING_ATTRIBUTE_KIND',
    );
  });

  it('rejects oversized entries and activities that end before they start', () => {
    const big = 'x'.repeat(4000);
    const attributes = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`https://example.org/ns#a${i}`, big]),
    );
    expect(codeOf(() => makeAgent({ uri: AGENT, attributes }))).toBe('ENTRY_TOO_LARGE');
    expect(MAX_ENTRY_BYTES).toBeLessThan(20 * 4000);
    expect(
      codeOf(() =>
        makeActivity({ uri: ACT, startedAt: '2024-01-02T00:00:00Z', endedAt: '2024-01-01T00:00:00Z' }),
      ),
    ).toBe('ACTIVITY_ENDS_BEFORE_START');
  });

  it('times need a zone and a real date', () => {
    expect(validateDateTime('2024-02-29T23:59:59.5+08:00')).toBe('2024-02-29T23:59:59.5+08:00');
    expect(codeOf(() => validateDateTime('2024-13-01T00:00:00Z'))).toBe('BAD_TIME');
    expect(codeOf(() => validateDateTime('2024-01-01'))).toBe('BAD_TIME');
  });

  it('every generated entry validates as-is and its hash is stable under JSON round trip', () => {
    fc.assert(
      fc.property(provenanceGraphArb, (entries) => {
        for (const e of entries) {
          const copy = JSON.parse(JSON.stringify(e));
          expect(validateEntry(copy)).toEqual(e);
          expect(entryHashHex(copy)).toBe(entryHashHex(e));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('validateRecord gives the entry, its canonical JSON text and hash, and refuses what validateEntry refuses', () => {
    fc.assert(
      fc.property(provenanceGraphArb, (entries) => {
        for (const e of entries) {
          const record = validateRecord(JSON.parse(JSON.stringify(e)));
          expect(record.entry).toEqual(e);
          expect(record.text).toBe(canonicalJson(e));
          expect(record.hash).toBe(toHex(hashRecord(e)));
        }
      }),
      { numRuns: 30 },
    );
    const agent = makeAgent({ uri: AGENT, attributes: { 'prov:label': 'a' } });
    for (const broken of [{ ...agent, version: 0 }, { ...agent, relations: [{}] }, 'x']) {
      expect(codeOf(() => validateRecord(broken))).toBe(codeOf(() => validateEntry(broken)));
      expect(codeOf(() => validateRecord(broken))).toBeDefined();
    }
    // An object whose prototype brings toJSON is hashed as canonicalJson sees it.
    const withToJson = Object.assign(Object.create({ toJSON: () => ({ replaced: true }) }), agent);
    expect(validateRecord(withToJson).text).toBe(canonicalJson(withToJson));
  });

  it('measures literals in UTF-8 bytes, up to MAX_LITERAL_BYTES', () => {
    const label = (text: string) => () => makeAgent({ uri: AGENT, attributes: { 'prov:label': text } });
    const euros = '€'.repeat(Math.floor(MAX_LITERAL_BYTES / 3)); // 3 bytes each: 4095 bytes
    expect(codeOf(label(euros))).toBeUndefined();
    expect(codeOf(label(`${euros}a`))).toBeUndefined();
    expect(codeOf(label(`${euros}ab`))).toBe('LITERAL_TOO_LONG');
    expect(codeOf(label('😀'.repeat(MAX_LITERAL_BYTES / 4 + 1)))).toBe('LITERAL_TOO_LONG');
    expect(codeOf(label('x'.repeat(MAX_LITERAL_BYTES)))).toBeUndefined();
    expect(codeOf(label('x'.repeat(MAX_LITERAL_BYTES + 1)))).toBe('LITERAL_TOO_LONG');
  });
});

describe('versions', () => {
  it('a new version chains to the previous by hash; unchanged content appends nothing', () => {
    const v1 = makeAgent({ uri: AGENT, attributes: { 'prov:label': 'Survey office' } });
    const v2 = makeAgent({ uri: AGENT, attributes: { 'prov:label': 'Survey & Mapping office' } }, v1);
    expect(v2.version).toBe(2);
    expect(v2.previous).toBe(entryHashHex(v1));
    const same = makeAgent({ uri: AGENT, attributes: { 'prov:label': 'Survey & Mapping office' } });
    expect(nextVersion(same, v2)).toBe(v2);
    const v3 = nextVersion(makeAgent({ uri: AGENT, attributes: { 'prov:label': 'Bureau' } }), v2);
    expect(v3.version).toBe(3);
    expect(history([v3, v1, v2], AGENT)).toEqual([v1, v2, v3]);
    expect(latestVersions([v1, v3, v2])).toEqual([v3]);
  });

  it('detects a broken or forked chain', () => {
    const v1 = makeAgent({ uri: AGENT, attributes: { 'prov:label': 'a' } });
    const v2 = makeAgent({ uri: AGENT, attributes: { 'prov:label': 'b' } }, v1);
    const forged = { ...v2, attributes: { 'prov:label': 'c' } };
    const v3 = makeAgent({ uri: AGENT, attributes: { 'prov:label': 'd' } }, forged);
    expect(codeOf(() => history([v1, forged, v3], AGENT))).toBeUndefined();
    const tamperedV1 = { ...v1, attributes: { 'prov:label': 'z' } };
    expect(codeOf(() => history([tamperedV1, v2], AGENT))).toBe('BROKEN_HISTORY');
    expect(codeOf(() => history([v1, v3], AGENT))).toBe('BROKEN_HISTORY');
    expect(codeOf(() => latestVersions([v2, forged]))).toBe('CONFLICTING_VERSIONS');
    expect(codeOf(() => makeAgent({ uri: `${AGENT}-2` }, v1))).toBe('VERSION_MISMATCH');
  });
});

describe('canonical form of entries', () => {
  it('canonicalises entries exactly as the reference implementation (fast path of canonicalJson)', () => {
    fc.assert(
      fc.property(provenanceGraphArb, (entries) => {
        for (const entry of entries) {
          expect(canonicalJson(entry)).toBe(referenceCanonicalJson(entry));
          expect(sha256(utf8(referenceCanonicalJson(entry)))).toEqual(hashRecord(entry));
        }
      }),
      { numRuns: 30 },
    );
  });
});
