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
 * Encoding: RLP, compact because every anchored URI has one (its bytes are hashed into the state
 * trie at every block that touches it): `anchored` = `[hash, version, height, owner, [blocks...]]`
 * (32-byte hash and key, minimal big-endian integers), `path` = the empty list. Decoding accepts
 * canonical RLP only, so a state has exactly one encoding. `provenance.latest` and verifiers
 * show it decoded (`AnchorState`, hex strings).
 */
import { fromHexFixed, toHex, utf8 } from '../../codec/bytes.ts';
import { decodeRlpItem } from '../../codec/rlp.ts';
import { bytes, encode, type Infer, list, struct, uint } from '../../codec/schema.ts';
import { DecodeError, MeridianError } from '../../errors.ts';
import { moduleKey } from '../../exec/keys.ts';
import { MAX_VERSION } from './entry.ts';
import { MAX_URI_BYTES, parentUri } from './uri.ts';

/** The module's name: transactions `provenance.<method>`, state keys `provenance/<uri>`. */
export const PROVENANCE_MODULE = 'provenance';

/** Most heights in one URI's `blocks` list (anchorings of it or of anything below it). */
export const MAX_ANCHOR_BLOCKS = 2048;

/**
 * Largest encoded anchor state: the `blocks` list at its limit (a height is at most 8 bytes of
 * RLP) plus the fixed fields (under the trie's 64 KiB value limit).
 */
export const MAX_ANCHOR_STATE_BYTES = 8 * MAX_ANCHOR_BLOCKS + 128;

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

/** The RLP of an `anchored` state (field order is the wire format: never reorder). */
const ANCHORED = struct({
  hash: bytes({ length: 32 }),
  version: uint,
  height: uint,
  owner: bytes({ length: 32 }),
  blocks: list(uint, MAX_ANCHOR_BLOCKS),
});
/** The RLP of a `path` state: the empty list. */
const PATH_BYTES = Uint8Array.of(0xc0);

/** The key inside the module's namespace. */
export function anchorStateKey(uri: string): Uint8Array {
  return utf8(uri);
}

/** The full world-state key (`provenance/<uri>`), as a state proof names it. */
export function anchorWorldStateKey(uri: string): Uint8Array {
  return moduleKey(PROVENANCE_MODULE, anchorStateKey(uri));
}

/** The RLP bytes of a state (see the header); `hash` and `owner` must be 0x + 64 lowercase hex digits. */
export function encodeAnchorState(state: AnchorState): Uint8Array {
  if (state.kind === 'path') return PATH_BYTES.slice();
  return encode(ANCHORED, {
    hash: fromHexFixed(state.hash, 32, 'anchor hash'),
    version: state.version,
    height: state.height,
    owner: fromHexFixed(state.owner, 32, 'anchor owner'),
    blocks: [...state.blocks],
  });
}

function invalid(message: string): never {
  throw new DecodeError('ANCHOR_STATE_INVALID', `provenance anchor state: ${message}`, {
    hint: 'the value under provenance/<uri> was not written by the provenance module; check the key and the node',
  });
}

/**
 * The fields of an `anchored` state value, or undefined for a `path` one; every RLP or field-shape
 * failure is reported as `ANCHOR_STATE_INVALID`.
 */
function decodeFields(value: Uint8Array): Infer<typeof ANCHORED> | undefined {
  try {
    const item = decodeRlpItem(value, MAX_ANCHOR_STATE_BYTES, 'anchor state');
    if (Array.isArray(item) && item.length === 0) return undefined;
    return ANCHORED.decode(item, 'anchor state');
  } catch (error) {
    if (error instanceof MeridianError) invalid(error.message);
    throw error;
  }
}

/**
 * Decodes and checks a state value (from a verified state proof, or from the module's own
 * state). Throws `DecodeError` code `ANCHOR_STATE_INVALID` on anything else.
 */
export function decodeAnchorState(value: Uint8Array): AnchorState {
  if (value.length > MAX_ANCHOR_STATE_BYTES) invalid(`${value.length} bytes, over MAX_ANCHOR_STATE_BYTES`);
  const anchored = decodeFields(value);
  if (anchored === undefined) return { kind: 'path' };
  const { version, height, blocks } = anchored;
  if (version < 1 || version > MAX_VERSION) invalid(`version ${version} is out of range`);
  if (height < 1) invalid('height is not a positive integer');
  if (blocks.length === 0) invalid(`blocks must list 1..${MAX_ANCHOR_BLOCKS} heights`);
  for (let i = 1; i < blocks.length; i++) {
    if (blocks[i]! <= blocks[i - 1]!) invalid('blocks must be strictly ascending heights');
  }
  if (!blocks.includes(height)) invalid('blocks must include the height of the latest version');
  return {
    kind: 'anchored',
    hash: toHex(anchored.hash),
    version,
    height,
    owner: toHex(anchored.owner),
    blocks,
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
