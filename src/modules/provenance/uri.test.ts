import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.ts';
import {
  attributeUri,
  checkHierarchy,
  decodeSegment,
  encodeSegment,
  featureUri,
  isUnder,
  isValidSegment,
  MAX_URI_BYTES,
  parentUri,
  subtreePrefix,
  validateEntityUri,
  validateUri,
} from './uri.ts';

const DS = 'http://example.com/resource/dataset_A';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.code;
    throw e;
  }
  return undefined;
}

describe('URI syntax', () => {
  it('accepts absolute URIs and rejects relative, non-ASCII, spaces and overlong ones', () => {
    expect(validateUri('https://data.example.org/a/b')).toBe('https://data.example.org/a/b');
    expect(validateUri('urn:x-test:ds1')).toBe('urn:x-test:ds1');
    expect(codeOf(() => validateUri('relative/path'))).toBe('BAD_URI');
    expect(codeOf(() => validateUri('https://exämple.org'))).toBe('BAD_URI');
    expect(codeOf(() => validateUri('https://a.org/x y'))).toBe('BAD_URI');
    expect(codeOf(() => validateUri('https://a.org/%zz'))).toBe('BAD_URI');
    expect(codeOf(() => validateUri(`https://a.org/${'x'.repeat(MAX_URI_BYTES)}`))).toBe('URI_TOO_LONG');
  });

  it('entity URIs have no query, fragment or trailing slash', () => {
    expect(codeOf(() => validateEntityUri(`${DS}?v=1`))).toBe('ENTITY_URI_HAS_QUERY_OR_FRAGMENT');
    expect(codeOf(() => validateEntityUri(`${DS}#x`))).toBe('ENTITY_URI_HAS_QUERY_OR_FRAGMENT');
    expect(codeOf(() => validateEntityUri(`${DS}/`))).toBe('ENTITY_URI_TRAILING_SLASH');
  });
});

describe('segments', () => {
  it('encode any well-formed text into one valid segment and decode back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), (s) => {
        const seg = encodeSegment(s);
        expect(isValidSegment(seg)).toBe(true);
        expect(seg).not.toContain('/');
        expect(decodeSegment(seg)).toBe(s);
      }),
    );
  });

  it('keeps OSM-style keys readable and escapes dot segments', () => {
    expect(encodeSegment('addr:street')).toBe('addr:street');
    expect(encodeSegment('way/123')).toBe('way%2F123');
    expect(encodeSegment('.')).toBe('%2E');
    expect(encodeSegment('..')).toBe('%2E%2E');
    expect(codeOf(() => encodeSegment('\uD800'))).toBe('BAD_SEGMENT');
  });
});

describe('hierarchical URIs (seed 001 §3.3)', () => {
  it('mints the paper example: feature = dataset + "/" + id, attribute = feature + "/" + segment', () => {
    const f = featureUri(DS, 'feature_B');
    expect(f).toBe(`${DS}/feature_B`);
    expect(attributeUri(f, { kind: 'geometry' })).toBe(`${DS}/feature_B/geometry`);
    expect(attributeUri(f, { kind: 'property', name: 'building:levels' })).toBe(
      `${DS}/feature_B/properties.building:levels`,
    );
    expect(parentUri(f)).toBe(DS);
    expect(isUnder(f, DS)).toBe(true);
    expect(subtreePrefix(DS)).toBe(`${DS}/`);
  });

  it('a sibling dataset whose URI merely extends the string is not "under" it', () => {
    expect(isUnder(`${DS}B/f1`, DS)).toBe(false);
  });

  it('names the rule that broke', () => {
    const f = `${DS}/f1`;
    expect(codeOf(() => checkHierarchy(DS, 'dataset', null, null))).toBeUndefined();
    expect(codeOf(() => checkHierarchy(DS, 'dataset', 'http://x.org/p', null))).toBe('DATASET_HAS_PARENT');
    expect(codeOf(() => checkHierarchy(f, 'feature', null, null))).toBe('MISSING_PARENT');
    expect(codeOf(() => checkHierarchy('http://other.org/f1', 'feature', DS, null))).toBe(
      'FEATURE_NOT_UNDER_DATASET',
    );
    expect(codeOf(() => checkHierarchy(`${DS}/a/b`, 'feature', DS, null))).toBe('FEATURE_NOT_UNDER_DATASET');
    expect(codeOf(() => checkHierarchy(`${DS}B/f1`, 'feature', DS, null))).toBe('FEATURE_NOT_UNDER_DATASET');
    expect(codeOf(() => checkHierarchy(`${DS}/f2/geometry`, 'attribute', f, { kind: 'geometry' }))).toBe(
      'ATTRIBUTE_NOT_UNDER_FEATURE',
    );
    expect(
      codeOf(() => checkHierarchy(`${f}/height`, 'attribute', f, { kind: 'property', name: 'height' })),
    ).toBe('ATTRIBUTE_SEGMENT_MISMATCH');
    expect(
      codeOf(() => checkHierarchy(`${f}/geometry`, 'attribute', f, { kind: 'property', name: 'geometry' })),
    ).toBe('ATTRIBUTE_SEGMENT_MISMATCH');
    expect(
      codeOf(() =>
        checkHierarchy(`${f}/properties.height`, 'attribute', f, { kind: 'property', name: 'height' }),
      ),
    ).toBeUndefined();
  });
});
