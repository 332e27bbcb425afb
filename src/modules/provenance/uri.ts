/**
 * URIs of provenance nodes and the hierarchy rules that make the trie work.
 *
 * The trie keys each entry by its URI's bytes (seed 001, §3.3: one nibble pair per byte),
 * so a coarse entity's URI must be a prefix of its finer entities' URIs:
 *
 *   dataset    https://data.example.org/buildings/2024
 *   feature    https://data.example.org/buildings/2024/BLD-0042         (dataset URI + "/" + one segment)
 *   attribute  https://data.example.org/buildings/2024/BLD-0042/geometry
 *              https://data.example.org/buildings/2024/BLD-0042/properties.height
 *
 * Everything under a dataset (its features, their attributes) therefore shares the key prefix
 * `datasetUri + "/"` (`subtreePrefix`). The trailing "/" matters: without it the subtree of
 * `.../2024` would also contain an unrelated dataset `.../2024b`.
 *
 * URIs are ASCII: anything else in a feature id or property name is percent-encoded
 * (UTF-8), so the key bytes are exactly the URI characters.
 */
import { ValidationError } from '../../errors.ts';

/** Longest URI (ASCII, so bytes = characters) of any provenance node. */
export const MAX_URI_BYTES = 512;

/** Characters allowed in a URI besides alphanumerics and `%HH` escapes (RFC 3986 reserved + unreserved). */
const URI_PUNCTUATION = new Set("-._~:/?#[]@!$&'()*+,;=");
/** Characters allowed in one path segment besides alphanumerics and `%HH` (RFC 3986 pchar). */
const SEGMENT_PUNCTUATION = new Set("-._~:@!$&'()*+,;=");

function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function uriError(code: string, message: string, hint: string, uri: string): never {
  throw new ValidationError(code, message, { hint, details: { uri, rule: code } });
}

/** Checks `%` escapes and the allowed character set; returns the index of the first bad char or -1. */
function firstBadChar(text: string, from: number, punctuation: Set<string>): number {
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isAlphanumeric(code)) continue;
    const ch = text[i]!;
    if (ch === '%') {
      if (i + 2 < text.length && isHexDigit(text.charCodeAt(i + 1)) && isHexDigit(text.charCodeAt(i + 2))) {
        i += 2;
        continue;
      }
      return i;
    }
    if (!punctuation.has(ch)) return i;
  }
  return -1;
}

/**
 * An absolute URI (`scheme:rest`) of printable ASCII, at most `MAX_URI_BYTES` long.
 * Throws `ValidationError` with code `BAD_URI` or `URI_TOO_LONG`; `what` names the field.
 */
export function validateUri(uri: unknown, what = 'URI'): string {
  if (typeof uri !== 'string') {
    throw new ValidationError('BAD_URI', `${what} must be a string`, { hint: 'use an absolute URI' });
  }
  if (uri.length > MAX_URI_BYTES) {
    uriError(
      'URI_TOO_LONG',
      `${what} is longer than ${MAX_URI_BYTES} bytes`,
      'use shorter ids (limit MAX_URI_BYTES)',
      uri,
    );
  }
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon) : '';
  if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme) || colon === uri.length - 1) {
    uriError(
      'BAD_URI',
      `${what} ${JSON.stringify(uri)} is not an absolute URI`,
      'write it as scheme:..., e.g. https://...',
      uri,
    );
  }
  const bad = firstBadChar(uri, colon + 1, URI_PUNCTUATION);
  if (bad >= 0) {
    uriError(
      'BAD_URI',
      `${what} ${JSON.stringify(uri)} has a character not allowed in a URI at position ${bad}`,
      'percent-encode it (UTF-8, %HH)',
      uri,
    );
  }
  return uri;
}

/**
 * An entity URI: an absolute URI that can be a trie-key prefix of its children, so no query
 * (`?`), no fragment (`#`) and no trailing `/`.
 */
export function validateEntityUri(uri: unknown, what = 'entity URI'): string {
  const valid = validateUri(uri, what);
  if (valid.includes('?') || valid.includes('#')) {
    uriError(
      'ENTITY_URI_HAS_QUERY_OR_FRAGMENT',
      `${what} ${JSON.stringify(valid)} contains "?" or "#"`,
      'entity URIs are hierarchical paths; percent-encode "?" and "#" in ids',
      valid,
    );
  }
  if (valid.endsWith('/')) {
    uriError(
      'ENTITY_URI_TRAILING_SLASH',
      `${what} ${JSON.stringify(valid)} ends with "/"`,
      'drop the trailing slash: children append "/" + their own segment',
      valid,
    );
  }
  return valid;
}

/**
 * Percent-encodes text into one URI path segment: everything but unreserved characters and
 * ":" is escaped as UTF-8 `%HH`, and the dot segments "." and ".." are escaped too.
 * Injective: `decodeSegment(encodeSegment(s)) === s` for every string.
 */
export function encodeSegment(text: string): string {
  if (text === '.' || text === '..') return text.replaceAll('.', '%2E');
  try {
    return encodeURIComponent(text).replaceAll('%3A', ':');
  } catch {
    // encodeURIComponent throws URIError on lone surrogates.
    throw new ValidationError('BAD_SEGMENT', `${JSON.stringify(text)} is not well-formed Unicode`, {
      hint: 'ids and property names must be valid UTF-16 text (no lone surrogates)',
    });
  }
}

export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ValidationError('BAD_URI', `segment ${JSON.stringify(segment)} has a broken percent escape`, {
      hint: 'escapes are %HH of UTF-8 bytes',
    });
  }
}

/** True if `segment` is a non-empty single path segment (no "/", valid escapes, not a dot segment). */
export function isValidSegment(segment: string): boolean {
  return (
    segment.length > 0 &&
    segment !== '.' &&
    segment !== '..' &&
    firstBadChar(segment, 0, SEGMENT_PUNCTUATION) < 0
  );
}

/** The URI of a feature of a dataset: `datasetUri + "/" + encodeSegment(id)`. */
export function featureUri(datasetUri: string, featureId: string | number): string {
  return validateEntityUri(`${datasetUri}/${encodeSegment(String(featureId))}`, 'feature URI');
}

export type AttributeRef = { kind: 'geometry' } | { kind: 'property'; name: string };

/** The last URI segment of an attribute: `geometry` or `properties.<encoded name>`. */
export function attributeSegment(attribute: AttributeRef): string {
  return attribute.kind === 'geometry' ? 'geometry' : `properties.${encodeSegment(attribute.name)}`;
}

/** The URI of a feature's attribute: `featureUri + "/" + attributeSegment(attribute)`. */
export function attributeUri(featureUriValue: string, attribute: AttributeRef): string {
  return validateEntityUri(`${featureUriValue}/${attributeSegment(attribute)}`, 'attribute URI');
}

/** The URI with its last segment removed, or null when there is no path segment to remove. */
export function parentUri(uri: string): string | null {
  const slash = uri.lastIndexOf('/');
  if (slash < 0) return null;
  const parent = uri.slice(0, slash);
  // "https:/" or "https:" are not hierarchical parents.
  if (parent.endsWith(':') || parent.endsWith(':/') || parent.length === 0) return null;
  return parent;
}

/** The key prefix shared by every entry strictly below `uri` (its features, their attributes). */
export function subtreePrefix(uri: string): string {
  return `${uri}/`;
}

/** True if `uri` lies strictly below `ancestor` in the hierarchy. */
export function isUnder(uri: string, ancestor: string): boolean {
  return uri.startsWith(subtreePrefix(ancestor));
}

export type Granularity = 'dataset' | 'feature' | 'attribute';

/**
 * The hierarchy rules of one entity, each with its own error code:
 * - `DATASET_HAS_PARENT`: a dataset declares no `partOf`;
 * - `MISSING_PARENT`: features and attributes declare their parent (`partOf`);
 * - `FEATURE_NOT_UNDER_DATASET`: feature URI = dataset URI + "/" + one segment;
 * - `ATTRIBUTE_NOT_UNDER_FEATURE`: attribute URI = feature URI + "/" + one segment;
 * - `ATTRIBUTE_SEGMENT_MISMATCH`: that segment is `geometry` or `properties.<encoded name>`
 *   (one URI per attribute, so two entries cannot describe the same attribute under two keys).
 */
export function checkHierarchy(
  uri: string,
  granularity: Granularity,
  partOf: string | null,
  attribute: AttributeRef | null,
): void {
  if (granularity === 'dataset') {
    if (partOf !== null) {
      uriError(
        'DATASET_HAS_PARENT',
        `dataset ${uri} declares a parent ${partOf}`,
        'datasets are the top level',
        uri,
      );
    }
    return;
  }
  if (partOf === null) {
    uriError(
      'MISSING_PARENT',
      `${granularity} ${uri} does not declare the entity it belongs to`,
      'set partOf',
      uri,
    );
  }
  const code = granularity === 'feature' ? 'FEATURE_NOT_UNDER_DATASET' : 'ATTRIBUTE_NOT_UNDER_FEATURE';
  const parentKind = granularity === 'feature' ? 'dataset' : 'feature';
  const prefix = subtreePrefix(partOf);
  const segment = uri.slice(prefix.length);
  if (!uri.startsWith(prefix) || !isValidSegment(segment) || segment.includes('/')) {
    uriError(
      code,
      `${granularity} URI ${uri} is not its ${parentKind}'s URI ${partOf} followed by "/" and one segment`,
      granularity === 'feature'
        ? 'mint feature URIs with featureUri()'
        : 'mint attribute URIs with attributeUri()',
      uri,
    );
  }
  if (granularity === 'attribute') {
    if (attribute === null) {
      uriError(
        'MISSING_ATTRIBUTE_KIND',
        `attribute ${uri} does not say whether it is a geometry or a property`,
        'set attributeKind',
        uri,
      );
    }
    const expected = attributeSegment(attribute);
    if (segment !== expected) {
      uriError(
        'ATTRIBUTE_SEGMENT_MISMATCH',
        `attribute URI ${uri} should end in "/${expected}" for ${attribute.kind === 'geometry' ? 'the geometry' : `property "${attribute.name}"`}`,
        'mint attribute URIs with attributeUri()',
        uri,
      );
    }
  }
}
