/**
 * Attribute rules of the building merge: how a property of the authoritative data set and one of
 * the OpenStreetMap extract combine into one output property, and what that is called in the
 * provenance (kept / added / updated).
 *
 * For an output key with authoritative value A and OSM value O (absent = missing, null or ""):
 *
 * | A       | O       | values agree? | policy        | result                                     |
 * | ------- | ------- | ------------- | ------------- | ------------------------------------------ |
 * | present | absent  |               |               | kept (A)                                   |
 * | absent  | present |               |               | added (O)                                  |
 * | present | present | yes           |               | kept (A), OSM corroborates                 |
 * | present | present | no            | authoritative | kept (A), O recorded as rejected           |
 * | present | present | no            | newer         | updated (O) if OSM's date is later, else kept (A), O rejected |
 *
 * Values agree when equal after trimming strings, or, for numeric rules, when both parse as numbers
 * (OSM writes "12.5" or "12.5 m") within `numericTolerance`. An OSM value of a numeric rule that does
 * not parse never wins (rejected, or ignored when there is nothing to reject it for). Keys without a rule use the authoritative
 * policy with exact comparison under the same name on both sides; OSM keys in `osmExclude` are never
 * copied. The geometry is always kept from the authoritative side (precise survey), and the OSM
 * footprint's hash is recorded as rejected when it differs.
 */
import { ValidationError } from '../../../errors.ts';
import type { PropertyValue } from '../../../geo/geojson.ts';

export type ConflictPolicy = 'authoritative' | 'newer';

export interface AttributeRule {
  /** The output property name. */
  key: string;
  /** The authoritative property it reads (defaults to `key`). */
  authoritativeKey?: string;
  /** The OSM tag it reads (defaults to `key`). */
  osmKey?: string;
  policy: ConflictPolicy;
  /** Compare and output as numbers; values closer than this agree. */
  numericTolerance?: number;
  /** A disagreement on this attribute prevents the two features from matching at all. */
  vetoMatch?: boolean;
}

/** Most attribute rules in one merge. */
export const MAX_MERGE_RULES = 64;

/** Rules for the worked example: an official building register merged with OSM buildings. */
export const BUILDING_RULES: readonly AttributeRule[] = [
  { key: 'height', authoritativeKey: 'height_m', osmKey: 'height', policy: 'newer', numericTolerance: 0.5 },
  { key: 'building:levels', authoritativeKey: 'storeys', policy: 'authoritative', numericTolerance: 0 },
  { key: 'name', policy: 'authoritative' },
  { key: 'addr:street', authoritativeKey: 'street', policy: 'authoritative' },
  { key: 'addr:housenumber', authoritativeKey: 'housenumber', policy: 'authoritative', vetoMatch: true },
];

/** OSM keys that describe the mapping, not the building; never copied into the output. */
export const BUILDING_OSM_EXCLUDE: readonly string[] = ['source', 'check_date', 'note', 'fixme'];

export type Operation = 'kept' | 'added' | 'updated';

export interface Resolution {
  operation: Operation;
  from: 'authoritative' | 'osm';
  value: PropertyValue;
  /** The authoritative value that an update replaced. */
  oldValue?: PropertyValue;
  /** An OSM value that lost a conflict. */
  rejectedValue?: PropertyValue;
  /** True when the output value is the OSM text parsed as a number. */
  parsedNumber?: boolean;
}

export function validateRules(rules: readonly AttributeRule[]): AttributeRule[] {
  if (!Array.isArray(rules) || rules.length > MAX_MERGE_RULES) {
    throw new ValidationError(
      'BAD_MERGE_RULES',
      `merge rules must be an array of at most ${MAX_MERGE_RULES}`,
      { hint: 'see BUILDING_RULES' },
    );
  }
  const outputs = new Set<string>();
  const authKeys = new Set<string>();
  const osmKeys = new Set<string>();
  const normalized: AttributeRule[] = [];
  for (const rule of rules) {
    const key = rule?.key;
    const authoritativeKey = rule?.authoritativeKey ?? key;
    const osmKey = rule?.osmKey ?? key;
    const ok =
      typeof key === 'string' &&
      key.length > 0 &&
      typeof authoritativeKey === 'string' &&
      authoritativeKey.length > 0 &&
      typeof osmKey === 'string' &&
      osmKey.length > 0 &&
      (rule.policy === 'authoritative' || rule.policy === 'newer') &&
      (rule.numericTolerance === undefined ||
        (Number.isFinite(rule.numericTolerance) && rule.numericTolerance >= 0)) &&
      (rule.vetoMatch === undefined || typeof rule.vetoMatch === 'boolean');
    if (!ok) {
      throw new ValidationError('BAD_MERGE_RULES', `merge rule ${JSON.stringify(rule)} is malformed`, {
        hint: 'each rule has a key, a policy (authoritative | newer), optional keys, a tolerance >= 0 and a boolean veto',
      });
    }
    if (outputs.has(key) || authKeys.has(authoritativeKey) || osmKeys.has(osmKey)) {
      throw new ValidationError(
        'BAD_MERGE_RULES',
        `merge rules map the key ${key} (or its source keys) twice`,
        {
          hint: 'one rule per output key and per source key',
        },
      );
    }
    outputs.add(key);
    authKeys.add(authoritativeKey);
    osmKeys.add(osmKey);
    normalized.push({
      key,
      authoritativeKey,
      osmKey,
      policy: rule.policy,
      ...(rule.numericTolerance === undefined ? {} : { numericTolerance: rule.numericTolerance }),
      ...(rule.vetoMatch ? { vetoMatch: true } : {}),
    });
  }
  return normalized;
}

/** Parses "12", "12.5", "12.5 m" (OSM height/levels conventions); null if it is not a plain number. */
export function parseNumber(value: PropertyValue): number | null {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(?:m)?\s*$/.exec(value);
  return m === null ? null : Number(m[1]);
}

export function isAbsent(value: PropertyValue | undefined): value is null | undefined {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Do two present values agree under `rule` (exact after trimming, or within the numeric tolerance)? */
export function valuesAgree(a: PropertyValue, o: PropertyValue, rule: AttributeRule): boolean {
  if (rule.numericTolerance !== undefined) {
    const x = parseNumber(a);
    const y = parseNumber(o);
    return x !== null && y !== null && Math.abs(x - y) <= rule.numericTolerance;
  }
  const norm = (v: PropertyValue) => (typeof v === 'string' ? v.trim() : v);
  return norm(a) === norm(o);
}

/**
 * Resolves one output attribute. `osmIsNewer` says whether the OSM feature's date is later than
 * the authoritative one's. Returns null when there is nothing to output (neither side has a
 * usable value). An OSM value of a numeric rule that does not parse never wins: it is rejected
 * when the authoritative side has a value, and ignored otherwise.
 */
export function resolveAttribute(
  a: PropertyValue | undefined,
  o: PropertyValue | undefined,
  rule: AttributeRule,
  osmIsNewer: boolean,
): Resolution | null {
  const numeric = rule.numericTolerance !== undefined;
  const osmNumber = numeric && !isAbsent(o) ? parseNumber(o) : null;
  const osmUsable = !isAbsent(o) && (!numeric || osmNumber !== null);
  const osmValue: PropertyValue = numeric ? osmNumber : (o ?? null);
  const parsed = numeric && typeof o === 'string' ? { parsedNumber: true } : {};
  if (isAbsent(a)) return osmUsable ? { operation: 'added', from: 'osm', value: osmValue, ...parsed } : null;
  if (isAbsent(o)) return { operation: 'kept', from: 'authoritative', value: a };
  if (osmUsable && valuesAgree(a, o, rule)) return { operation: 'kept', from: 'authoritative', value: a };
  if (osmUsable && rule.policy === 'newer' && osmIsNewer) {
    return { operation: 'updated', from: 'osm', value: osmValue, oldValue: a, ...parsed };
  }
  return { operation: 'kept', from: 'authoritative', value: a, rejectedValue: o };
}
