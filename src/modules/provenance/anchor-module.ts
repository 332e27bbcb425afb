/**
 * The `provenance` chain module: anchors provenance entry hashes (seed 001: full records off
 * chain, hashes on chain).
 *
 * `provenance.anchor { entries: [{ uri, hash, version? }] }` — up to `MAX_ANCHOR_ENTRIES_PER_TX`
 * entries. For each entry, in URI order (so an entity comes before the entries under it):
 * - the hash goes into this block's provenance trie (`call.anchorProvenance`: key = URI bytes,
 *   value = the 32-byte entry hash), whose root is the header's `provenanceRoot`;
 * - the world state `provenance/<uri>` becomes the latest version (anchor-state.ts): version =
 *   previous + 1 (1 the first time), this height, the owner, and this height appended to `blocks`;
 * - every anchored ancestor (`pathAncestors`) gets this height appended to its `blocks`, and an
 *   ancestor never anchored is marked `path`.
 *
 * Refused (the whole transaction fails, nothing is anchored):
 * `PROVENANCE_DUPLICATE_URI` (a URI twice in one transaction), `PROVENANCE_VERSION_MISMATCH`
 * (`version` given and not the next one), `PROVENANCE_NOT_OWNER` (a new version by another
 * account), `PROVENANCE_ANCHORED_IN_BLOCK` (a URI anchored twice in one block: the block's trie
 * holds one value per key, so the earlier version would be unprovable), `PROVENANCE_DESCENDANTS_FIRST`
 * (a URI anchored after entries below it), `PROVENANCE_TOO_MANY_BLOCKS`, and malformed payloads.
 * An entry whose hash equals the URI's latest anchored hash is skipped (`unchanged`): re-sending
 * a batch after a timeout anchors nothing twice.
 *
 * Query `latest { uri }` → the URI's anchor state (or null), from the committed head.
 */
import { fromHexFixed } from '../../codec/bytes.ts';
import { ValidationError } from '../../errors.ts';
import { expectObject, type JsonValue, parseJsonPayload } from '../../exec/json.ts';
import type { Module, ModuleCall, ModuleState } from '../../exec/module.ts';
import { MAX_TRIE_VALUE_BYTES } from '../../trie/limits.ts';
import {
  type AnchoredState,
  type AnchorState,
  anchorStateKey,
  decodeAnchorState,
  encodeAnchorState,
  MAX_ANCHOR_BLOCKS,
  PROVENANCE_MODULE,
  pathAncestors,
} from './anchor-state.ts';
import { MAX_VERSION } from './entry.ts';
import { validateUri } from './uri.ts';

/** Most entries one `provenance.anchor` transaction may carry. */
export const MAX_ANCHOR_ENTRIES_PER_TX = 4096;
/**
 * Largest `provenance.anchor` payload (about 350 entries). A block's transactions trie stores each
 * encoded transaction as a trie value, so a transaction must stay under `MAX_TRIE_VALUE_BYTES`
 * (64 KiB) even though the API admits up to `MAX_TX_BYTES`: a larger one makes the proposer's
 * execution throw. 2 KiB are left for the transaction envelope (ids, nonce, kind, signature).
 */
export const MAX_ANCHOR_PAYLOAD_BYTES = MAX_TRIE_VALUE_BYTES - 2048;

export interface AnchorRequest {
  readonly uri: string;
  /** 0x-hex SHA-256 entry hash (lowercase). */
  readonly hash: string;
  /** The version this anchoring must become (checked when given). */
  readonly version?: number;
}

const HASH_HEX = /^0x[0-9a-f]{64}$/;

function bad(code: string, message: string, hint: string, details?: Record<string, unknown>): never {
  throw new ValidationError(code, message, { hint, ...(details ? { details } : {}) });
}

/** Parses and checks the payload's entries; returns them sorted by URI. */
export function parseAnchorPayload(payload: Uint8Array): AnchorRequest[] {
  const args = expectObject(parseJsonPayload(payload, MAX_ANCHOR_PAYLOAD_BYTES, 'provenance.anchor payload'));
  for (const key of Object.keys(args)) {
    if (key !== 'entries')
      bad('PAYLOAD_INVALID', `unknown field "${key}"`, 'the payload is { "entries": [...] }');
  }
  const entries = args.entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ANCHOR_ENTRIES_PER_TX) {
    bad(
      'PAYLOAD_INVALID',
      `"entries" must be an array of 1 to ${MAX_ANCHOR_ENTRIES_PER_TX} items`,
      'split large batches over several transactions (MAX_ANCHOR_ENTRIES_PER_TX)',
    );
  }
  const parsed = entries.map((raw, i): AnchorRequest => {
    const item = expectObject(raw as JsonValue, `entries[${i}]`);
    for (const key of Object.keys(item)) {
      if (key !== 'uri' && key !== 'hash' && key !== 'version')
        bad(
          'PAYLOAD_INVALID',
          `entries[${i}] has an unknown field "${key}"`,
          'an entry is { uri, hash, version? }',
        );
    }
    const uri = validateUri(item.uri, `entries[${i}].uri`);
    const hash = item.hash;
    if (typeof hash !== 'string' || !HASH_HEX.test(hash)) {
      bad(
        'PAYLOAD_INVALID',
        `entries[${i}].hash must be 0x + 64 lowercase hex digits`,
        'send toHex(entryHash(entry))',
      );
    }
    const version = item.version;
    if (
      version !== undefined &&
      (!Number.isSafeInteger(version) || (version as number) < 1 || (version as number) > MAX_VERSION)
    )
      bad(
        'PAYLOAD_INVALID',
        `entries[${i}].version must be an integer 1..${MAX_VERSION}`,
        'omit it or send entry.version',
      );
    return version === undefined ? { uri, hash } : { uri, hash, version: version as number };
  });
  parsed.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  for (let i = 1; i < parsed.length; i++) {
    if (parsed[i]!.uri === parsed[i - 1]!.uri) {
      bad(
        'PROVENANCE_DUPLICATE_URI',
        `${parsed[i]!.uri} appears twice in one transaction`,
        'anchor one version per URI per block',
        {
          uri: parsed[i]!.uri,
        },
      );
    }
  }
  return parsed;
}

/** Reads and buffers anchor states for one transaction; writes the changed ones at the end. */
class AnchorStates {
  readonly #cache = new Map<string, AnchorState | undefined>();
  readonly #dirty = new Set<string>();

  constructor(private readonly state: ModuleState) {}

  get(uri: string): AnchorState | undefined {
    if (this.#cache.has(uri)) return this.#cache.get(uri);
    const raw = this.state.get(anchorStateKey(uri));
    const value = raw === undefined ? undefined : decodeAnchorState(raw);
    this.#cache.set(uri, value);
    return value;
  }

  set(uri: string, value: AnchorState): void {
    this.#cache.set(uri, value);
    this.#dirty.add(uri);
  }

  flush(): void {
    for (const uri of this.#dirty)
      this.state.put(anchorStateKey(uri), encodeAnchorState(this.#cache.get(uri)!));
  }
}

function withHeight(blocks: readonly number[], height: number, uri: string): number[] {
  if (blocks[blocks.length - 1] === height) return [...blocks];
  if (blocks.length >= MAX_ANCHOR_BLOCKS) {
    bad(
      'PROVENANCE_TOO_MANY_BLOCKS',
      `${uri} and the entries below it were anchored in ${MAX_ANCHOR_BLOCKS} blocks already`,
      'anchor new data under a new dataset URI (MAX_ANCHOR_BLOCKS)',
      { uri },
    );
  }
  return [...blocks, height];
}

function anchorOne(call: ModuleCall, states: AnchorStates, request: AnchorRequest): boolean {
  const { uri, hash } = request;
  const current = states.get(uri);
  if (current?.kind === 'path') {
    bad(
      'PROVENANCE_DESCENDANTS_FIRST',
      `entries below ${uri} were anchored before ${uri} itself`,
      'anchor an entity before (or in the same transaction as) the entries under it; use a new URI for this one',
      { uri },
    );
  }
  if (current !== undefined && current.hash === hash) return false;
  if (current !== undefined && current.height === call.height) {
    bad(
      'PROVENANCE_ANCHORED_IN_BLOCK',
      `${uri} was already anchored in block ${call.height}`,
      'send the next version in a later transaction once this block has committed',
      { uri },
    );
  }
  if (current !== undefined && current.owner !== call.senderHex) {
    bad(
      'PROVENANCE_NOT_OWNER',
      `${uri} was first anchored by ${current.owner}`,
      'only the account that anchored version 1 may append versions',
      {
        uri,
        owner: current.owner,
      },
    );
  }
  const version = (current?.version ?? 0) + 1;
  if (request.version !== undefined && request.version !== version) {
    bad(
      'PROVENANCE_VERSION_MISMATCH',
      `${uri} would become version ${version}, the entry says ${request.version}`,
      'build the entry with nextVersion(entry, latest anchored entry)',
      { uri, expected: version, got: request.version },
    );
  }
  const next: AnchoredState = {
    kind: 'anchored',
    hash,
    version,
    height: call.height,
    owner: current?.owner ?? call.senderHex,
    blocks: withHeight(current?.blocks ?? [], call.height, uri),
  };
  states.set(uri, next);
  markAncestors(states, uri, call.height);
  call.anchorProvenance(uri, fromHexFixed(hash, 32, 'entry hash'));
  return true;
}

/**
 * Records an anchoring at `height` below each ancestor of `uri` (`pathAncestors`, nearest first):
 * an anchored one gets `height` in its `blocks`, a missing one becomes `path`. Stops at the first
 * anchored ancestor whose `blocks` already ends with `height`: that height got there only through
 * an anchoring at or below it in this block, which marked every ancestor above it already.
 */
function markAncestors(states: AnchorStates, uri: string, height: number): void {
  for (const ancestor of pathAncestors(uri)) {
    const above = states.get(ancestor);
    if (above === undefined) states.set(ancestor, { kind: 'path' });
    else if (above.kind === 'anchored') {
      if (above.blocks[above.blocks.length - 1] === height) return;
      states.set(ancestor, { ...above, blocks: withHeight(above.blocks, height, ancestor) });
    }
  }
}

export const provenanceModule: Module = {
  name: PROVENANCE_MODULE,
  queries: {
    /** `{ uri }` → the URI's anchor state (`anchored` or `path`), or null when nothing was anchored there. */
    latest(context, params) {
      const uri = validateUri(expectObject(params, 'params').uri, 'uri');
      const raw = context.get(anchorStateKey(uri));
      return raw === undefined ? null : (decodeAnchorState(raw) as unknown as JsonValue);
    },
  },
  execute(call, method, payload): JsonValue {
    if (method !== 'anchor') {
      bad('UNKNOWN_METHOD', `provenance has no method "${method}"`, 'use provenance.anchor');
    }
    const requests = parseAnchorPayload(payload);
    const states = new AnchorStates(call.state);
    let anchored = 0;
    for (const request of requests) if (anchorOne(call, states, request)) anchored++;
    states.flush();
    call.emit('anchored', { entries: anchored, height: call.height });
    return { anchored, unchanged: requests.length - anchored, height: call.height };
  },
};
