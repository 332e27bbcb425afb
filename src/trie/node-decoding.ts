/**
 * Decoding of RLP trie nodes into `TrieNode`s, with the shape rules of a
 * canonical Ethereum trie: a node is a list of 2 (leaf / extension) or 17
 * (branch) items; a child reference is empty, a 32-byte hash, or an embedded
 * node shorter than 32 bytes; a leaf value is non-empty; an extension path is
 * non-empty; a branch has at least two occupied slots (children plus value).
 * Anything else is a `DecodeError` with code `TRIE_NODE_INVALID` (or `RLP_INVALID`
 * / `BAD_HEX_PREFIX` from the layers below).
 *
 * Decoded nodes keep views into the input buffer: never mutate it afterwards.
 */

import { newCursor, type RlpCursor, readItem } from '../codec/rlp-reader.ts';
import { DecodeError } from '../errors.ts';
import { hexPrefixDecodeRange } from './nibbles.ts';
import {
  BranchNode,
  type ChildRef,
  ExtensionNode,
  emptyChildren,
  HashRef,
  LeafNode,
  type TrieNode,
} from './node.ts';

function fail(message: string): never {
  throw new DecodeError('TRIE_NODE_INVALID', message);
}

/** Offsets of the items of one node list. */
interface NodeItems {
  count: number;
  starts: number[];
  ends: number[];
  isList: boolean[];
  /** Where the payload of each string item begins (after its header). */
  payloadStarts: number[];
}

/**
 * Splits the node list at `buffer[start..end)` into its items. Reusable by the
 * proof verifier; `items` is overwritten.
 */
export function readNodeItems(
  buffer: Uint8Array,
  start: number,
  end: number,
  items: NodeItems,
  cursor: RlpCursor,
): void {
  readItem(buffer, start, end, cursor);
  if (!cursor.isList) fail('a trie node must be an RLP list, got a byte string');
  if (cursor.end !== end) fail('trailing bytes after the trie node');
  let pos = cursor.payloadStart;
  let count = 0;
  while (pos < end) {
    if (count === 17) fail('a trie node has at most 17 items');
    readItem(buffer, pos, end, cursor);
    items.starts[count] = pos;
    items.ends[count] = cursor.end;
    items.isList[count] = cursor.isList;
    items.payloadStarts[count] = cursor.payloadStart;
    count++;
    pos = cursor.end;
  }
  if (count !== 2 && count !== 17) fail(`a trie node has 2 or 17 items, got ${count}`);
  items.count = count;
}

export function newNodeItems(): NodeItems {
  return { count: 0, starts: [], ends: [], isList: [], payloadStarts: [] };
}

const sharedCursor = newCursor();

/** Decodes one node from `buffer[start..end)` (the whole node must be there, nothing else). */
export function decodeNodeRange(buffer: Uint8Array, start: number, end: number): TrieNode {
  const items = newNodeItems();
  readNodeItems(buffer, start, end, items, sharedCursor);
  if (items.count === 2) {
    if (items.isList[0]) fail('the path of a leaf or extension must be a byte string');
    const { path, isLeaf } = hexPrefixDecodeRange(buffer, items.payloadStarts[0]!, items.ends[0]!);
    if (isLeaf) {
      if (items.isList[1]) fail('a leaf value must be a byte string');
      const value = buffer.subarray(items.payloadStarts[1]!, items.ends[1]!);
      if (value.length === 0) fail('a leaf value must not be empty');
      return new LeafNode(path, value);
    }
    if (path.length === 0) fail('an extension path must not be empty');
    const child = decodeChild(buffer, items, 1);
    if (child === undefined) fail('an extension must have a child');
    if (child.kind === 'leaf' || child.kind === 'extension') fail('an extension must point to a branch');
    return new ExtensionNode(path, child);
  }
  const children = emptyChildren();
  let occupied = 0;
  for (let i = 0; i < 16; i++) {
    const child = decodeChild(buffer, items, i);
    if (child !== undefined) occupied++;
    children[i] = child;
  }
  if (items.isList[16]) fail('a branch value must be a byte string');
  const valueStart = items.payloadStarts[16]!;
  const valueEnd = items.ends[16]!;
  const value = valueEnd > valueStart ? buffer.subarray(valueStart, valueEnd) : undefined;
  if (value !== undefined) occupied++;
  if (occupied < 2) fail('a branch must have at least two occupied slots (children and value)');
  return new BranchNode(children, value);
}

function decodeChild(buffer: Uint8Array, items: NodeItems, index: number): ChildRef | undefined {
  const start = items.starts[index]!;
  const end = items.ends[index]!;
  if (items.isList[index]) {
    if (end - start >= 32) fail('an embedded node must be shorter than 32 bytes');
    const node = decodeNodeRange(buffer, start, end);
    node.encoded = buffer.subarray(start, end);
    return node;
  }
  const length = end - items.payloadStarts[index]!;
  if (length === 0) return undefined;
  if (length !== 32)
    fail(`a child reference must be empty, 32 bytes, or an embedded node; got ${length} bytes`);
  return new HashRef(buffer.subarray(items.payloadStarts[index]!, end));
}

/**
 * Decodes a node's full RLP encoding. The result's `encoded` cache is set to `bytes`
 * (the caller fills `hash` and `persisted` when it knows them).
 */
export function decodeNode(bytes: Uint8Array): TrieNode {
  const node = decodeNodeRange(bytes, 0, bytes.length);
  node.encoded = bytes;
  return node;
}
