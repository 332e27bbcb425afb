/** JSON values as they appear in payloads, results, events and contract state. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
