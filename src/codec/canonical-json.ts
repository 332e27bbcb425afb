/**
 * RFC 8785 JSON Canonicalization Scheme (JCS) and the content hash of records:
 * SHA-256 over the canonical UTF-8 bytes. Two parties that hold the same record
 * compute the same hash regardless of key order or whitespace.
 */
import canonicalize from 'canonicalize';
import { sha256 } from '../crypto/sha256.ts';
import { ValidationError } from '../errors.ts';
import { utf8 } from './bytes.ts';

/** Canonical JSON text. Rejects values JSON cannot represent (undefined, functions, NaN, cycles, bigint). */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new ValidationError('NOT_CANONICALIZABLE', 'the record cannot be expressed as canonical JSON', {
      cause,
    });
  }
  if (text === undefined) throw new ValidationError('NOT_CANONICALIZABLE', 'the record is undefined');
  return text;
}

/** SHA-256 of the record's RFC 8785 canonical form. */
export function hashRecord(value: unknown): Uint8Array {
  return sha256(utf8(canonicalJson(value)));
}
