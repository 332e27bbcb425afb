/**
 * Size limits of the trie and its proofs. Every byte string that reaches the
 * trie or a proof verifier from outside is checked against these before it is
 * used; each is listed in docs/limits.md.
 */

/** Longest key the trie accepts (bytes). A key of n bytes is a path of 2n nibbles. */
export const MAX_TRIE_KEY_BYTES = 1024;

/** Largest value the trie accepts (bytes). Trie values are hashes, records and account states. */
export const MAX_TRIE_VALUE_BYTES = 64 * 1024;

/**
 * Most nodes in a single-key proof or in the path of a subtree proof: one
 * hash-referenced node per nibble of the longest key, plus the root.
 */
export const MAX_PROOF_NODES = 2 * MAX_TRIE_KEY_BYTES + 1;

/** Largest total size of the nodes of one proof (bytes). */
export const MAX_PROOF_BYTES = 2 * 1024 * 1024;

/** Most (key, value) entries in one subtree proof. */
export const MAX_SUBTREE_ENTRIES = 100_000;

/** Largest serialised subtree proof (RLP bytes, or hex digits / 2 of the JSON form). */
export const MAX_SUBTREE_PROOF_BYTES = 64 * 1024 * 1024;

/** Default number of decoded nodes kept in a trie's node cache. */
export const DEFAULT_NODE_CACHE_SIZE = 10_000;

/** Largest serialised single-key proof (RLP bytes). */
export const MAX_KEY_PROOF_ENCODED_BYTES = MAX_PROOF_BYTES + 64 * 1024;

/** Largest JSON text of a single-key proof (hex doubles the bytes; the rest is syntax). */
export const MAX_KEY_PROOF_JSON_CHARS = 3 * MAX_KEY_PROOF_ENCODED_BYTES;

/** Largest JSON text of a subtree proof. */
export const MAX_SUBTREE_PROOF_JSON_CHARS = 3 * MAX_SUBTREE_PROOF_BYTES;
