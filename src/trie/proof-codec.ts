/**
 * Serialised forms of both proof kinds, for export, transport and offline checks:
 *
 * - RLP: key proof = [key, [node...]]; subtree proof = [prefix, [node...], [[key, value]...]].
 * - JSON (0x-hex byte strings):
 *   `{"type":"trie-proof","key":"0x..","nodes":["0x.."]}` and
 *   `{"type":"trie-subtree-proof","prefix":"0x..","nodes":[..],"entries":[["0x..","0x.."]]}`.
 *   An optional `"root"` field is allowed and returned, but it is NOT authenticated:
 *   verify against a root you trust (a block header checked by its certificate).
 *
 * Decoders check sizes before parsing (`MAX_KEY_PROOF_ENCODED_BYTES`,
 * `MAX_SUBTREE_PROOF_BYTES`, the JSON char limits) and the shape and per-field
 * limits after; they throw `DecodeError` (codes `RLP_*`, `PROOF_JSON_INVALID`,
 * `PROOF_TOO_LARGE`). A decoded proof still has to be verified.
 */
import { fromHex, toHex } from '../codec/bytes.ts';
import { bytes, type Codec, decode, encode, list, struct } from '../codec/schema.ts';
import { DecodeError } from '../errors.ts';
import {
  MAX_KEY_PROOF_ENCODED_BYTES,
  MAX_KEY_PROOF_JSON_CHARS,
  MAX_PROOF_NODES,
  MAX_SUBTREE_ENTRIES,
  MAX_SUBTREE_PROOF_BYTES,
  MAX_SUBTREE_PROOF_JSON_CHARS,
  MAX_TRIE_KEY_BYTES,
  MAX_TRIE_VALUE_BYTES,
} from './limits.ts';
import type { Entry, SubtreeProof } from './subtree-proof.ts';

/** A single-key proof with the key it is about. */
export interface KeyProof {
  readonly key: Uint8Array;
  readonly nodes: readonly Uint8Array[];
}

const nodesCodec = list(bytes({ maxLength: MAX_KEY_PROOF_ENCODED_BYTES }), MAX_PROOF_NODES);

const keyProofCodec: Codec<{ key: Uint8Array; nodes: Uint8Array[] }> = struct({
  key: bytes({ maxLength: MAX_TRIE_KEY_BYTES }),
  nodes: nodesCodec,
});

const entryCodec: Codec<Entry> = {
  encode: ([key, value]) => [key, value],
  decode(item, path) {
    const [key, value] = list(bytes(), 2).decode(item, path);
    if (key === undefined || value === undefined) {
      throw new DecodeError('RLP_SCHEMA', `${path}: an entry is a [key, value] pair`);
    }
    bytes({ maxLength: MAX_TRIE_KEY_BYTES }).decode(key, `${path}.key`);
    bytes({ maxLength: MAX_TRIE_VALUE_BYTES }).decode(value, `${path}.value`);
    return [key, value];
  },
};

const subtreeProofCodec: Codec<{ prefix: Uint8Array; nodes: Uint8Array[]; entries: Entry[] }> = struct({
  prefix: bytes({ maxLength: MAX_TRIE_KEY_BYTES }),
  nodes: nodesCodec,
  entries: list(entryCodec, MAX_SUBTREE_ENTRIES),
});

export function encodeKeyProof(proof: KeyProof): Uint8Array {
  return encode(keyProofCodec, { key: proof.key, nodes: [...proof.nodes] });
}

export function decodeKeyProof(input: Uint8Array): KeyProof {
  return decode(keyProofCodec, input, 'key proof', MAX_KEY_PROOF_ENCODED_BYTES);
}

export function encodeSubtreeProof(proof: SubtreeProof): Uint8Array {
  return encode(subtreeProofCodec, {
    prefix: proof.prefix,
    nodes: [...proof.nodes],
    entries: [...proof.entries],
  });
}

export function decodeSubtreeProof(input: Uint8Array): SubtreeProof {
  return decode(subtreeProofCodec, input, 'subtree proof', MAX_SUBTREE_PROOF_BYTES);
}

export interface KeyProofJson {
  type: 'trie-proof';
  root?: string;
  key: string;
  nodes: string[];
}

export interface SubtreeProofJson {
  type: 'trie-subtree-proof';
  root?: string;
  prefix: string;
  nodes: string[];
  entries: [string, string][];
}

/** The JSON form; `root`, if given, is carried along for the reader's convenience (unauthenticated). */
export function keyProofToJson(proof: KeyProof, root?: Uint8Array): KeyProofJson {
  return {
    type: 'trie-proof',
    ...(root === undefined ? {} : { root: toHex(root) }),
    key: toHex(proof.key),
    nodes: proof.nodes.map(toHex),
  };
}

export function subtreeProofToJson(proof: SubtreeProof, root?: Uint8Array): SubtreeProofJson {
  return {
    type: 'trie-subtree-proof',
    ...(root === undefined ? {} : { root: toHex(root) }),
    prefix: toHex(proof.prefix),
    nodes: proof.nodes.map(toHex),
    entries: proof.entries.map(([k, v]) => [toHex(k), toHex(v)]),
  };
}

function jsonFail(message: string): never {
  throw new DecodeError('PROOF_JSON_INVALID', message, {
    hint: 'a proof JSON is what `meridian trie prove` prints: {"type":"trie-proof","key":"0x..","nodes":["0x.."]}',
  });
}

function hexField(value: unknown, what: string, maxBytes: number): Uint8Array {
  if (typeof value !== 'string') jsonFail(`${what} must be a 0x-hex string`);
  if (value.length > 2 + 2 * maxBytes) jsonFail(`${what} is over ${maxBytes} bytes`);
  return fromHex(value, what);
}

function arrayField(value: unknown, what: string, maxItems: number): unknown[] {
  if (!Array.isArray(value)) jsonFail(`${what} must be an array`);
  if (value.length > maxItems) jsonFail(`${what} has ${value.length} items; the limit is ${maxItems}`);
  return value;
}

function objectOf(value: unknown, type: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    jsonFail('a proof must be a JSON object');
  const object = value as Record<string, unknown>;
  if (object.type !== type) jsonFail(`"type" must be "${type}", got ${JSON.stringify(object.type)}`);
  for (const name of Object.keys(object)) {
    if (name !== 'type' && name !== 'root' && !fields.includes(name)) jsonFail(`unknown field "${name}"`);
  }
  return object;
}

function parseText(text: string, maxChars: number): unknown {
  if (typeof text !== 'string') jsonFail('proof JSON must be text');
  if (text.length > maxChars) {
    throw new DecodeError(
      'PROOF_TOO_LARGE',
      `proof JSON is ${text.length} characters; the limit is ${maxChars}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new DecodeError('PROOF_JSON_INVALID', `proof is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}

function nodesField(value: unknown): Uint8Array[] {
  let total = 0;
  return arrayField(value, '"nodes"', MAX_PROOF_NODES).map((node, i) => {
    const bytes = hexField(node, `"nodes"[${i}]`, MAX_KEY_PROOF_ENCODED_BYTES);
    total += bytes.length;
    if (total > MAX_SUBTREE_PROOF_BYTES) jsonFail('"nodes" are over MAX_SUBTREE_PROOF_BYTES in total');
    return bytes;
  });
}

/** Parses and validates a key proof's JSON text. Returns the proof and the unauthenticated `root` if present. */
export function parseKeyProofJson(text: string): KeyProof & { root?: Uint8Array } {
  const object = objectOf(parseText(text, MAX_KEY_PROOF_JSON_CHARS), 'trie-proof', ['key', 'nodes']);
  return {
    ...(object.root === undefined ? {} : { root: hexField(object.root, '"root"', 32) }),
    key: hexField(object.key, '"key"', MAX_TRIE_KEY_BYTES),
    nodes: nodesField(object.nodes),
  };
}

/** Parses and validates a subtree proof's JSON text. */
export function parseSubtreeProofJson(text: string): SubtreeProof & { root?: Uint8Array } {
  const object = objectOf(parseText(text, MAX_SUBTREE_PROOF_JSON_CHARS), 'trie-subtree-proof', [
    'prefix',
    'nodes',
    'entries',
  ]);
  const entries = arrayField(object.entries, '"entries"', MAX_SUBTREE_ENTRIES).map((entry, i): Entry => {
    const pair = arrayField(entry, `"entries"[${i}]`, 2);
    if (pair.length !== 2) jsonFail(`"entries"[${i}] must be a [key, value] pair`);
    return [
      hexField(pair[0], `"entries"[${i}][0]`, MAX_TRIE_KEY_BYTES),
      hexField(pair[1], `"entries"[${i}][1]`, MAX_TRIE_VALUE_BYTES),
    ];
  });
  return {
    ...(object.root === undefined ? {} : { root: hexField(object.root, '"root"', 32) }),
    prefix: hexField(object.prefix, '"prefix"', MAX_TRIE_KEY_BYTES),
    nodes: nodesField(object.nodes),
    entries,
  };
}

/** Which kind of proof a JSON text holds, without validating the rest. */
export function proofJsonType(text: string): 'trie-proof' | 'trie-subtree-proof' {
  const value = parseText(text, MAX_SUBTREE_PROOF_JSON_CHARS) as { type?: unknown } | null;
  const type = value?.type;
  if (type === 'trie-proof' || type === 'trie-subtree-proof') return type;
  return jsonFail(`"type" must be "trie-proof" or "trie-subtree-proof", got ${JSON.stringify(type)}`);
}
