/**
 * Reading a provenance proof bundle (`meridian-prov-bundle/1`, schema in
 * api/schemas-provenance.ts) from outside: size-limited, every field's type and count checked
 * before anything is hashed. Browser-safe. A well-formed bundle still has to be verified
 * (provenance-verify.ts); this only says it is safe to try.
 */
import type { ProvenanceBundleJson } from '../api/schemas-provenance.ts';
import { MAX_VALIDATORS } from '../chain/validator-set.ts';
import { DecodeError } from '../errors.ts';
import { MAX_ANCHOR_BLOCKS } from '../modules/provenance/anchor-state.ts';
import { MAX_ENTRY_BYTES, MAX_RELATIONS_PER_ENTRY } from '../modules/provenance/entry.ts';
import { MAX_URI_BYTES } from '../modules/provenance/uri.ts';
import { MAX_PROOF_NODES, MAX_SUBTREE_ENTRIES } from '../trie/limits.ts';

export const BUNDLE_FORMAT = 'meridian-prov-bundle/1';

/** Largest bundle text accepted (a 100,000-entry dataset with its records fits). */
export const MAX_PROVENANCE_BUNDLE_CHARS = 256 * 1024 * 1024;

function bad(message: string): never {
  throw new DecodeError('BUNDLE_INVALID', `proof bundle: ${message}`, {
    hint: 'a bundle is what `meridian prov export <uri> --proof <file>` writes (format meridian-prov-bundle/1)',
  });
}

function object(value: unknown, what: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(`${what} must be an object`);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!fields.includes(key)) bad(`${what} has an unknown field "${key}"`);
  for (const key of fields) if (!(key in o)) bad(`${what} lacks "${key}"`);
  return o;
}

function array(value: unknown, what: string, max: number): unknown[] {
  if (!Array.isArray(value)) bad(`${what} must be an array`);
  if (value.length > max) bad(`${what} has ${value.length} items, more than ${max}`);
  return value;
}

function string(value: unknown, what: string, maxChars: number): string {
  if (typeof value !== 'string') bad(`${what} must be a string`);
  if (value.length > maxChars) bad(`${what} is longer than ${maxChars} characters`);
  return value;
}

function height(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) bad(`${what} must be a block height`);
  return value as number;
}

/** A `0x` string of at most `maxBytes` bytes; its digits are checked where it is decoded (`fromHex`). */
function hex(value: unknown, what: string, maxBytes: number): string {
  const text = string(value, what, 2 + 2 * maxBytes);
  if (!text.startsWith('0x') || text.length % 2 !== 0) bad(`${what} must be 0x-hex bytes`);
  return text;
}

function nodes(value: unknown, what: string): string[] {
  return array(value, what, MAX_PROOF_NODES).map((n, i) => hex(n, `${what}[${i}]`, 64 * 1024));
}

function records(value: unknown, what: string, max: number): { uri: string; record: string }[] {
  return array(value, what, max).map((r, i) => {
    const o = object(r, `${what}[${i}]`, ['uri', 'record']);
    return {
      uri: string(o.uri, `${what}[${i}].uri`, MAX_URI_BYTES),
      record: string(o.record, `${what}[${i}].record`, MAX_ENTRY_BYTES),
    };
  });
}

function signedHeader(value: unknown, i: number): ProvenanceBundleJson['headers'][number] {
  const o = object(value, `headers[${i}]`, ['header', 'certificate']);
  const header = object(o.header, `headers[${i}].header`, [
    'hash',
    'chainId',
    'height',
    'parentHash',
    'timestampMs',
    'proposer',
    'view',
    'transactionsRoot',
    'stateRoot',
    'receiptsRoot',
    'provenanceRoot',
    'validatorSetHash',
  ]);
  for (const key of [
    'hash',
    'parentHash',
    'proposer',
    'transactionsRoot',
    'stateRoot',
    'receiptsRoot',
    'provenanceRoot',
    'validatorSetHash',
  ])
    hex(header[key], `headers[${i}].header.${key}`, 32);
  string(header.chainId, `headers[${i}].header.chainId`, 64);
  for (const key of ['height', 'timestampMs', 'view']) height(header[key], `headers[${i}].header.${key}`);
  const certificate = object(o.certificate, `headers[${i}].certificate`, [
    'view',
    'height',
    'headerHash',
    'signatures',
  ]);
  height(certificate.view, `headers[${i}].certificate.view`);
  height(certificate.height, `headers[${i}].certificate.height`);
  hex(certificate.headerHash, `headers[${i}].certificate.headerHash`, 32);
  array(certificate.signatures, `headers[${i}].certificate.signatures`, MAX_VALIDATORS).forEach((s, j) => {
    const signature = object(s, `headers[${i}].certificate.signatures[${j}]`, ['validator', 'signature']);
    hex(signature.validator, `headers[${i}].certificate.signatures[${j}].validator`, 32);
    hex(signature.signature, `headers[${i}].certificate.signatures[${j}].signature`, 64);
  });
  return o as unknown as ProvenanceBundleJson['headers'][number];
}

/** Checks the shape and limits of a bundle value (e.g. from the API); returns it typed. Throws `BUNDLE_INVALID`. */
export function checkProvenanceBundle(value: unknown): ProvenanceBundleJson {
  const o = object(value, 'the bundle', [
    'format',
    'kind',
    'uri',
    'chain',
    'headers',
    'state',
    'keyProof',
    'subtrees',
    'records',
    'linked',
  ]);
  if (o.format !== BUNDLE_FORMAT) bad(`format must be "${BUNDLE_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.kind !== 'single' && o.kind !== 'comprehensive') bad('kind must be "single" or "comprehensive"');
  string(o.uri, 'uri', MAX_URI_BYTES);
  const chain = object(o.chain, 'chain', ['chainId', 'genesisHash', 'genesis']);
  string(chain.chainId, 'chain.chainId', 64);
  hex(chain.genesisHash, 'chain.genesisHash', 32);
  array(o.headers, 'headers', MAX_ANCHOR_BLOCKS + 2).forEach(signedHeader);
  const state = object(o.state, 'state', ['height', 'value', 'nodes']);
  height(state.height, 'state.height');
  if (state.value !== null) hex(state.value, 'state.value', 64 * 1024);
  nodes(state.nodes, 'state.nodes');
  const keyProof = object(o.keyProof, 'keyProof', ['height', 'nodes']);
  height(keyProof.height, 'keyProof.height');
  nodes(keyProof.nodes, 'keyProof.nodes');
  array(o.subtrees, 'subtrees', MAX_ANCHOR_BLOCKS).forEach((s, i) => {
    const subtree = object(s, `subtrees[${i}]`, ['height', 'nodes', 'entries']);
    height(subtree.height, `subtrees[${i}].height`);
    nodes(subtree.nodes, `subtrees[${i}].nodes`);
    array(subtree.entries, `subtrees[${i}].entries`, MAX_SUBTREE_ENTRIES).forEach((e, j) => {
      const pair = array(e, `subtrees[${i}].entries[${j}]`, 2);
      if (pair.length !== 2) bad(`subtrees[${i}].entries[${j}] must be a [key, value] pair`);
      hex(pair[0], `subtrees[${i}].entries[${j}][0]`, MAX_URI_BYTES);
      hex(pair[1], `subtrees[${i}].entries[${j}][1]`, 32);
    });
  });
  records(o.records, 'records', MAX_SUBTREE_ENTRIES + 1);
  records(o.linked, 'linked', MAX_RELATIONS_PER_ENTRY);
  return o as unknown as ProvenanceBundleJson;
}

/** Parses a bundle's JSON text (size-checked first) and checks its shape. */
export function parseProvenanceBundle(text: string): ProvenanceBundleJson {
  if (typeof text !== 'string') bad('the bundle must be JSON text');
  if (text.length > MAX_PROVENANCE_BUNDLE_CHARS) {
    throw new DecodeError(
      'BUNDLE_TOO_LARGE',
      `the bundle is ${text.length} characters; the limit is ${MAX_PROVENANCE_BUNDLE_CHARS}`,
      {
        hint: 'verify a feature instead of the whole dataset (MAX_PROVENANCE_BUNDLE_CHARS)',
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError('BUNDLE_INVALID', `the bundle is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return checkProvenanceBundle(value);
}
