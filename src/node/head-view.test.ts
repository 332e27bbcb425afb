import { describe, expect, it } from 'vitest';
import { encodeRlpItem } from '../codec/rlp.ts';
import { uint } from '../codec/schema.ts';
import { accountNonceKey } from '../exec/keys.ts';
import { MerklePatriciaTrie } from '../trie/index.ts';
import { HeadView } from './head-view.ts';

const alice = new Uint8Array(32).fill(1);
const bob = new Uint8Array(32).fill(2);

function stateWithNonces(nonces: [Uint8Array, number][]): MerklePatriciaTrie {
  const trie = new MerklePatriciaTrie();
  for (const [sender, nonce] of nonces) trie.put(accountNonceKey(sender), encodeRlpItem(uint.encode(nonce)));
  return trie;
}

describe('HeadView', () => {
  it("reads a sender's nonce from its state once, 0 for a sender never seen", () => {
    const view = new HeadView(stateWithNonces([[alice, 3]]));
    expect(view.nonce(alice)).toBe(3);
    expect(view.nonce(bob)).toBe(0);
  });

  it('passes on the nonces of senders the block did not touch, and reads the others afresh', () => {
    const parent = new HeadView(
      stateWithNonces([
        [alice, 3],
        [bob, 5],
      ]),
    );
    expect(parent.nonce(alice)).toBe(3);
    expect(parent.nonce(bob)).toBe(5);
    // The next state, built by hand so that a carried nonce is told apart from a re-read one:
    // a real block that did not touch alice would leave her nonce at 3.
    const next = parent.next(
      stateWithNonces([
        [alice, 99],
        [bob, 6],
      ]),
      [bob],
    );
    expect(next.nonce(bob)).toBe(6);
    expect(next.nonce(alice)).toBe(3);
    // Nothing known at the parent: read from the new state.
    const fresh = new HeadView(stateWithNonces([])).next(stateWithNonces([[alice, 7]]), []);
    expect(fresh.nonce(alice)).toBe(7);
  });
});
