/**
 * The world-state record the `provenance` chain module keeps per URI (key `provenance/<uri>`),
 * written by anchor-module.ts and read back by verifiers through state proofs. Browser-safe.
 *
 * Two kinds:
 * - `anchored`: the URI's latest anchored version: its entry `hash`, `version`, the `height` of the
 *   block that anchored it, the `owner` (the account that anchored version 1; only it may append
 *   versions), and `blocks`: every height, ascending, at which this URI OR any URI below it
 *   (`uri + "/"...`) was anchored. `blocks` is what lets a verifier prove a dataset's whole
 *   subtree even when it was anchored over several blocks and re-anchored later: one subtree proof
 *   per listed block, and no block can be left out, because the list itself is proven.
 * - `path`: the URI was never anchored but something below it was. Anchoring it later is refused
 *   (its `blocks` would miss those earlier heights): an entity is anchored before, or in the same
 *   transaction as, the entries under it.
 *
 * Encoding: canonical JSON (sorted keys), so `meridian state get provenance/<uri>` shows it as is.
 */
import { fromUtf8, utf8 } from '../../codec/bytes.ts';
import { DecodeError } from '../../errors.ts';
import { moduleKey } from '../../exec/keys.ts';
import { MAX_VERSION } from './entry.ts';
import { MAX_URI_BYTES, parentUri } from './uri.ts';

/** The module's name: transactions `provenance.<method>`, state keys `provenance/<uri>`. */
export const PROVENANCE_MODULE = 'provenance';

/** Most heights in one URI's `blocks` list (anchorings of it or of anything below it). */
export const MAX_ANCHOR_BLOCKS = 2048;

/** Largest encoded anchor state: the `blocks` list at its limit plus the fixed fields (under the trie's 64 KiB value limit). */
export const MAX_ANCHOR_STATE_BYTES = 17 * MAX_ANCHOR_BLOCKS + 512;

export interface AnchoredState {
  readonly kind: 'anchored';
  /** 0x-hex SHA-256 entry hash of the latest version. */
  readonly hash: string;
  readonly version: number;
  /** Height of the block that anchored the latest version. */
  readonly height: number;
  /** 0x-hex public key of the account that anchored version 1. */
  readonly owner: string;
  /** Ascending heights at which this URI or a URI below it was anchored; includes `height`. */
  readonly blocks: readonly number[];
}

export interface PathState {
  readonly kind: 'path';
}

export type AnchorState = AnchoredState | PathState;

const HASH_HEX = /^0x[0-9a-f]{64}$/;
const KEY_HEX = /^0x[0-9a-f]{64}$/;

/** The key inside the module's namespace. */
export function anchorStateKey(uri: string): Uint8Array {
  return utf8(uri);
}

/** The full world-state key (`provenance/<uri>`), as a state proof names it. */
export function anchorWorldStateKey(uri: string): Uint8Array {
  return moduleKey(PROVENANCE_MODULE, anchorStateKey(uri));
}

/** Canonical JSON bytes (keys in sorted order by construction). */
export function encodeAnchorState(state: AnchorState): Uint8Array {
  if (state.kind === 'path') return utf8('{"kind":"path"}');
  return utf8(
    JSON.stringify({
      blocks: state.blocks,
      hash: state.hash,
      height: state.height,
      kind: 'anchored',
      owner: state.owner,
      version: state.version,
    }),
  );
}

function invalid(message: string): never {
  throw new DecodeError('ANCHOR_STATE_INVALID', `provenance anchor state: ${message}`, {
    hint: 'the value under provenance/<uri> was not written by the provenance module; check the key and the node',
  });
}

function isHeight(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Decodes and checks a state value (from a verified state proof, or from the module's own
 * state). Throws `DecodeError` code `ANCHOR_STATE_INVALID` on anything else.
 */
export function decodeAnchorState(bytes: Uint8Array): AnchorState {
  if (bytes.length > MAX_ANCHOR_STATE_BYTES) invalid(`${bytes.length} bytes, over MAX_ANCHOR_STATE_BYTES`);
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes, 'anchor state'));
  } catch {
    invalid('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('not an object');
  const v = value as Record<string, unknown>;
  if (v.kind === 'path') {
    if (Object.keys(v).length !== 1) invalid('a path state has only "kind"');
    return { kind: 'path' };
  }
  if (v.kind !== 'anchored') invalid(`unknown kind ${JSON.stringify(v.kind)}`);
  if (Object.keys(v).length !== 6)
    invalid('an anchored state has exactly blocks, hash, height, kind, owner, version');
  const { hash, version, height, owner, blocks } = v;
  if (typeof hash !== 'string' || !HASH_HEX.test(hash)) invalid('hash is not 0x + 64 lowercase hex digits');
  if (typeof owner !== 'string' || !KEY_HEX.test(owner)) invalid('owner is not a 0x-hex public key');
  if (!Number.isSafeInteger(version) || (version as number) < 1 || (version as number) > MAX_VERSION)
    invalid(`version ${String(version)} is out of range`);
  if (!isHeight(height) || height < 1) invalid('height is not a positive integer');
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > MAX_ANCHOR_BLOCKS)
    invalid(`blocks must list 1..${MAX_ANCHOR_BLOCKS} heights`);
  for (let i = 0; i < blocks.length; i++) {
    if (!isHeight(blocks[i]) || (i > 0 && blocks[i] <= blocks[i - 1]))
      invalid('blocks must be strictly ascending heights');
  }
  if (!blocks.includes(height)) invalid('blocks must include the height of the latest version');
  return {
    kind: 'anchored',
    hash,
    version: version as number,
    height,
    owner,
    blocks: blocks as number[],
  };
}

/**
 * The hierarchical ancestors of a URI, nearest first (`.../ds/f/a` → `.../ds/f`, `.../ds`,
 * `https://host`): what `parentUri` gives, repeatedly. Bounded by the URI's length.
 */
export function pathAncestors(uri: string): string[] {
  const out: string[] = [];
  let current = parentUri(uri);
  while (current !== null && out.length < MAX_URI_BYTES) {
    out.push(current);
    current = parentUri(current);
  }
  return out;
}
