/** A bounded, validating parser for JSON payloads, and narrowing helpers. */
import { fromUtf8, utf8Length } from '../codec/bytes.ts';
import type { JsonValue } from '../codec/json.ts';
import { ValidationError } from '../errors.ts';

export type { JsonValue };

/** Parses a UTF-8 JSON payload; `what` names it in errors. */
export function parseJsonPayload(payload: Uint8Array, maxBytes: number, what = 'payload'): JsonValue {
  if (payload.length > maxBytes) {
    throw new ValidationError(
      'PAYLOAD_TOO_LARGE',
      `${what} is ${payload.length} bytes; the limit is ${maxBytes}`,
    );
  }
  try {
    return JSON.parse(fromUtf8(payload, what)) as JsonValue;
  } catch (cause) {
    throw new ValidationError('PAYLOAD_NOT_JSON', `${what} is not valid JSON`, {
      cause,
      hint: 'send a UTF-8 JSON object',
    });
  }
}

/** Narrows a parsed payload to an object, or throws `PAYLOAD_INVALID` naming what was expected. */
export function expectObject(value: JsonValue, what = 'payload'): { [key: string]: JsonValue } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('PAYLOAD_INVALID', `${what} must be a JSON object`);
  }
  return value;
}

/** A required string field with a byte-length bound. */
export function expectString(obj: { [key: string]: JsonValue }, field: string, maxLength: number): string {
  const value = obj[field];
  if (typeof value !== 'string')
    throw new ValidationError('PAYLOAD_INVALID', `field "${field}" must be a string`);
  if (value.length === 0 || utf8Length(value) > maxLength) {
    throw new ValidationError('PAYLOAD_INVALID', `field "${field}" must be 1 to ${maxLength} bytes`);
  }
  return value;
}
