/**
 * Admission's view of one committed head state: what every incoming transaction asks of it (the
 * sender's next nonce; the membership registry's version, which `trieReader` remembers) is
 * computed once per head instead of once per transaction. A head state never changes, so nothing
 * here goes stale; the chain state starts a new view when the head moves (`next`), which carries
 * over the nonces of every sender the committed block did not touch: only a transaction's
 * execution moves its sender's nonce.
 */
import { bytesKey } from '../codec/bytes.ts';
import { remember } from '../exec/bounded-memo.ts';
import { readNonce } from '../exec/execute.ts';
import type { StateReader } from '../exec/overlay.ts';
import { trieReader } from '../exec/trie-reader.ts';
import type { MerklePatriciaTrie } from '../trie/index.ts';

/** Remembered nonces per view; past it the memo starts over (a flood of new senders). */
const MAX_REMEMBERED = 100_000;

export class HeadView implements StateReader {
  readonly #reader: StateReader;
  readonly #nonces = new Map<string, number>();

  constructor(
    private readonly state: MerklePatriciaTrie,
    /** Nonces known at the parent head, and the senders (`bytesKey`) whose nonce moved since. */
    private readonly carried?: {
      readonly nonces: ReadonlyMap<string, number>;
      readonly moved: ReadonlySet<string>;
    },
  ) {
    this.#reader = trieReader(state);
  }

  /** The view of the next head, `state`, reached by a block whose transactions' senders are `senders`. */
  next(state: MerklePatriciaTrie, senders: Iterable<Uint8Array>): HeadView {
    const moved = new Set<string>();
    for (const sender of senders) moved.add(bytesKey(sender));
    return new HeadView(state, { nonces: this.#nonces, moved });
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.state.get(key);
  }

  entriesWithPrefix(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    return this.#reader.entriesWithPrefix!(prefix);
  }

  prefixVersion(prefix: Uint8Array): object | null {
    return this.#reader.prefixVersion!(prefix);
  }

  /** The next nonce this state expects from `sender` (0 for a new sender). */
  nonce(sender: Uint8Array): number {
    const key = bytesKey(sender);
    return remember(this.#nonces, key, MAX_REMEMBERED, () => {
      const carried = this.carried?.moved.has(key) === false ? this.carried.nonces.get(key) : undefined;
      return carried ?? readNonce(this.state, sender);
    });
  }
}
