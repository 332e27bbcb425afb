/**
 * The per-block tries whose roots go in the header: transactions and receipts
 * (keyed by RLP(index), as Ethereum does, valued by the keccak-256 of the
 * encoded item), and provenance (keyed by entity URI bytes, value = entry
 * hash). All are built in one pass with the bulk builder.
 *
 * The indexed tries hold hashes, not the items: a transaction may be 512 KiB
 * and a receipt several MiB, far over the trie's value limit, and a leaf that
 * holds the item's hash commits to it just as well (an inclusion proof then
 * carries the item beside the path).
 */
import { utf8 } from '../codec/bytes.ts';
import { encodeRlpItem } from '../codec/rlp.ts';
import { uint } from '../codec/schema.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { MerklePatriciaTrie } from '../trie/index.ts';

export function indexKey(index: number): Uint8Array {
  return encodeRlpItem(uint.encode(index));
}

/** Trie of index -> keccak-256 of the encoded item. */
export function indexedTrie(items: readonly Uint8Array[]): MerklePatriciaTrie {
  return MerklePatriciaTrie.fromEntries(items.map((item, i) => [indexKey(i), keccak256(item)]));
}

/**
 * Both the consensus core (checking a PRE-PREPARE) and the executor ask for the
 * root of the same batch array; remember it per array (arrays of a block are
 * never mutated once built).
 */
const transactionsRoots = new WeakMap<readonly Uint8Array[], Uint8Array>();

/** Root of the transactions trie of a batch of encoded transactions. */
export function transactionsRoot(encodedTxs: readonly Uint8Array[]): Uint8Array {
  let root = transactionsRoots.get(encodedTxs);
  if (root === undefined) {
    root = indexedTrie(encodedTxs).root();
    transactionsRoots.set(encodedTxs, root);
  }
  return root;
}

/**
 * Trie of URI -> entry hash; later anchors of the same URI in a block replace earlier ones.
 * Given `beside` (the block's state), it commits to the same node store.
 */
export function provenanceTrie(
  anchors: readonly { uri: string; entryHash: Uint8Array }[],
  beside?: MerklePatriciaTrie,
): MerklePatriciaTrie {
  const entries = anchors.map((a): [Uint8Array, Uint8Array] => [utf8(a.uri), a.entryHash]);
  return beside ? beside.withEntries(entries) : MerklePatriciaTrie.fromEntries(entries);
}
