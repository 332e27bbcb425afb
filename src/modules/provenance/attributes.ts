/**
 * Attribute values of provenance records (PROV "attribute-value pairs") in the canonical form
 * entries are hashed in:
 * - a value is a JSON string, a finite number, a boolean, a typed literal `{ $, type }` or a
 *   language-tagged string `{ $, lang }`;
 * - a multi-valued attribute is an array of at least two distinct values sorted by their
 *   canonical JSON (PROV attribute values are a set: order carries no meaning, so it must not
 *   change the hash); a single value is never wrapped in an array;
 * - typed literals carry a canonical type name (see names.ts); `xsd:QName` literals carry a
 *   canonical name as their value; plain strings are never written as `xsd:string` literals.
 */

import { utf8 } from '../../codec/bytes.ts';
import { canonicalJson } from '../../codec/canonical-json.ts';
import { ValidationError } from '../../errors.ts';
import { validateName } from './names.ts';

/** Most attributes on one node or relation. */
export const MAX_ATTRIBUTES_PER_RECORD = 64;
/** Most values of one multi-valued attribute. */
export const MAX_VALUES_PER_ATTRIBUTE = 32;
/** Longest string inside a literal (UTF-8 bytes). */
export const MAX_LITERAL_BYTES = 4096;

export interface TypedLiteral {
  $: string;
  type: string;
}
export interface LangLiteral {
  $: string;
  lang: string;
}
export type Literal = string | number | boolean | TypedLiteral | LangLiteral;
export type AttributeValue = Literal | Literal[];
export type Attributes = Record<string, AttributeValue>;

/** The `xsd:QName` type: the literal's value is itself a (canonical) name. */
export const QNAME_TYPE = 'xsd:QName';

const LANG_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

function literalError(what: string, problem: string, hint: string): never {
  throw new ValidationError('BAD_LITERAL', `${what} ${problem}`, { hint });
}

function checkText(text: string, what: string): void {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short texts need no encoding to be measured.
  if (text.length * 3 > MAX_LITERAL_BYTES && utf8(text).length > MAX_LITERAL_BYTES) {
    throw new ValidationError('LITERAL_TOO_LONG', `${what} is longer than ${MAX_LITERAL_BYTES} bytes`, {
      hint: 'store large values off the record and keep their hash (limit MAX_LITERAL_BYTES)',
    });
  }
}

/** Validates one literal in canonical form. */
export function validateLiteral(value: unknown, what: string): Literal {
  if (typeof value === 'string') {
    checkText(value, what);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) literalError(what, 'is not a finite number', 'use a finite number');
    if (Object.is(value, -0)) literalError(what, 'is -0', 'write 0');
    return value;
  }
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    literalError(
      what,
      'is not a string, number, boolean or {"$", "type"|"lang"} literal',
      'see PROV-JSON §3',
    );
  }
  const keys = Object.keys(value).sort();
  const record = value as Record<string, unknown>;
  if (typeof record.$ !== 'string')
    literalError(what, 'has no string "$"', 'typed literals are {"$": "text", "type": ...}');
  checkText(record.$, what);
  if (keys.length === 2 && keys[1] === 'type') {
    const type = validateName(record.type, `${what} type`);
    if (type === 'xsd:string') {
      literalError(what, 'is an xsd:string typed literal', 'write plain strings as JSON strings');
    }
    if (type === QNAME_TYPE) validateName(record.$, `${what} value`);
    return { $: record.$, type };
  }
  if (keys.length === 2 && keys[1] === 'lang') {
    if (typeof record.lang !== 'string' || !LANG_TAG.test(record.lang)) {
      literalError(what, 'has a malformed language tag', 'use a BCP 47 tag such as "en" or "zh-Hans"');
    }
    return { $: record.$, lang: record.lang };
  }
  return literalError(what, 'must have exactly "$" and one of "type" or "lang"', 'see PROV-JSON §3');
}

function sortKey(value: Literal): string {
  return canonicalJson(value);
}

/**
 * Validates an attribute map in canonical form. `reserved` lists names the caller manages itself
 * (structural fields of an entry) and that must not appear here.
 */
export function validateAttributes(
  value: unknown,
  what: string,
  reserved: ReadonlySet<string> = new Set(),
): Attributes {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('BAD_ATTRIBUTES', `${what} must be an object`, { hint: 'map names to values' });
  }
  const names = Object.keys(value);
  if (names.length > MAX_ATTRIBUTES_PER_RECORD) {
    throw new ValidationError('TOO_MANY_ATTRIBUTES', `${what} has ${names.length} attributes`, {
      hint: `at most MAX_ATTRIBUTES_PER_RECORD = ${MAX_ATTRIBUTES_PER_RECORD}`,
    });
  }
  const record = value as Record<string, unknown>;
  for (const name of names) {
    validateName(name, `${what} attribute name`);
    if (reserved.has(name)) {
      throw new ValidationError('RESERVED_ATTRIBUTE', `${what} uses the reserved attribute ${name}`, {
        hint: 'this attribute is a structural field of the entry; set the field instead',
      });
    }
    const v = record[name];
    const label = `${what} attribute ${name}`;
    if (!Array.isArray(v)) {
      validateLiteral(v, label);
      continue;
    }
    if (v.length < 2 || v.length > MAX_VALUES_PER_ATTRIBUTE) {
      throw new ValidationError('BAD_ATTRIBUTES', `${label} has ${v.length} values`, {
        hint: `a multi-valued attribute has 2..${MAX_VALUES_PER_ATTRIBUTE} values; write a single value without an array`,
      });
    }
    let previous: string | null = null;
    for (const item of v) {
      const key = sortKey(validateLiteral(item, label));
      if (previous !== null && !(previous < key)) {
        throw new ValidationError('ENTRY_NOT_CANONICAL', `${label} values are not sorted and distinct`, {
          hint: 'build entries with the make* functions, which normalise attribute values',
        });
      }
      previous = key;
    }
  }
  return value as Attributes;
}

/**
 * Canonical form of attribute values given by a builder: arrays sorted and deduplicated,
 * one-element arrays unwrapped, `-0` written as `0`. Does not validate.
 */
export function normalizeAttributes(attributes: Readonly<Record<string, AttributeValue>>): Attributes {
  const out: Attributes = {};
  for (const name of Object.keys(attributes)) {
    const value = attributes[name]!;
    const fixed = Array.isArray(value) ? normalizeValues(value) : normalizeLiteral(value);
    Object.defineProperty(out, name, { value: fixed, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function normalizeLiteral(value: Literal): Literal {
  return Object.is(value, -0) ? 0 : value;
}

function normalizeValues(values: readonly Literal[]): AttributeValue {
  const byKey = new Map<string, Literal>();
  for (const v of values) {
    const n = normalizeLiteral(v);
    byKey.set(sortKey(n), n);
  }
  const sorted = [...byKey.keys()].sort().map((k) => byKey.get(k)!);
  return sorted.length === 1 ? sorted[0]! : sorted;
}

/** All values of an attribute as an array (empty if absent). */
export function attributeValues(attributes: Attributes, name: string): Literal[] {
  const v = Object.hasOwn(attributes, name) ? attributes[name] : undefined;
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** A `xsd:QName` literal naming `name`. */
export function qname(name: string): TypedLiteral {
  return { $: name, type: QNAME_TYPE };
}
