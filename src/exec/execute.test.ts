import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTx, signTx, verifyTxSignature } from '../chain/transaction.ts';
import { toHex, utf8 } from '../codec/bytes.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../crypto/ed25519.ts';
import { kvModule } from '../modules/kv/kv-module.ts';
import { EMPTY_TRIE_ROOT, MerklePatriciaTrie } from '../trie/index.ts';
import { type ExecutionEnvironment, executeBlock, readNonce } from './execute.ts';
import { moduleKey } from './keys.ts';

const CHAIN = 'exec-test';
const env: ExecutionEnvironment = {
  modules: new Map([['kv', kvModule]]),
  isSignatureValid: (tx) => verifyTxSignature(tx),
};
const ctx = (height: number) => ({ chainId: CHAIN, height, timestampMs: 1_700_000_000_000 + height });
const alice = generateSigningKeyPair();
const bob = generateSigningKeyPair();

function put(key: SigningKeyPair, nonce: number, k: string, v: string, chainId = CHAIN): Uint8Array {
  const payload = utf8(JSON.stringify({ key: k, value: v }));
  return encodeTx(signTx({ chainId, sender: key.publicKey, nonce, kind: 'kv.put', payload }, key.secretKey));
}

describe('executeBlock', () => {
  it('applies valid transactions, advances nonces, and leaves the parent untouched', async () => {
    const parent = new MerklePatriciaTrie();
    const result = await executeBlock(
      parent,
      ctx(1),
      [put(alice, 0, 'a', '1'), put(alice, 1, 'b', '2')],
      env,
    );
    expect(result.receipts.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(readNonce(result.state, alice.publicKey)).toBe(2);
    expect(JSON.parse(new TextDecoder().decode(result.state.get(moduleKey('kv', utf8('b')))))).toMatchObject({
      value: '2',
    });
    expect(toHex(parent.root())).toBe(toHex(EMPTY_TRIE_ROOT));
    expect(toHex(result.stateRoot)).toBe(toHex(result.state.root()));
  });

  it('is deterministic: the same parent and transactions give the same roots, for any batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 })), {
          maxLength: 12,
        }),
        async (pairs) => {
          const txs = pairs.map(([k, v], i) => put(alice, i, k, v || 'x'));
          const a = await executeBlock(new MerklePatriciaTrie(), ctx(1), txs, env);
          const b = await executeBlock(new MerklePatriciaTrie(), ctx(1), txs, env);
          for (const root of ['stateRoot', 'transactionsRoot', 'receiptsRoot', 'provenanceRoot'] as const) {
            expect(toHex(a[root])).toBe(toHex(b[root]));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a failing call gets an error receipt, consumes its nonce, and its writes are discarded', async () => {
    const first = await executeBlock(
      new MerklePatriciaTrie(),
      ctx(1),
      [put(alice, 0, 'owned', 'by alice')],
      env,
    );
    const second = await executeBlock(first.state, ctx(2), [put(bob, 0, 'owned', 'by bob')], env);
    expect(second.receipts[0]).toMatchObject({ status: 'error', errorCode: 'KV_NOT_OWNER' });
    expect(readNonce(second.state, bob.publicKey)).toBe(1);
    expect(new TextDecoder().decode(second.state.get(moduleKey('kv', utf8('owned'))))).toContain('by alice');
  });

  it('refuses blocks with a wrong nonce, a duplicate, a bad signature, another chain or garbage', async () => {
    const parent = new MerklePatriciaTrie();
    const cases: [string, Uint8Array[]][] = [
      ['nonce 1, expected 0', [put(alice, 1, 'a', '1')]],
      ['nonce 0, expected 1', [put(alice, 0, 'a', '1'), put(alice, 0, 'a', '1')]],
      ['for chain "other"', [put(alice, 0, 'a', '1', 'other')]],
      ['does not decode', [Uint8Array.of(1, 2, 3)]],
    ];
    for (const [reason, txs] of cases) {
      await expect(executeBlock(parent, ctx(1), txs, env)).rejects.toThrow(
        expect.objectContaining({ code: 'BLOCK_INVALID', message: expect.stringContaining(reason) }),
      );
    }
    const forged = put(alice, 0, 'a', '1');
    forged[forged.length - 1]! ^= 1;
    await expect(executeBlock(parent, ctx(1), [forged], env)).rejects.toThrow(/bad signature/);
  });

  it('an unknown module or method is an error receipt, not an invalid block', async () => {
    const tx = encodeTx(
      signTx(
        { chainId: CHAIN, sender: alice.publicKey, nonce: 0, kind: 'nope.run', payload: utf8('{}') },
        alice.secretKey,
      ),
    );
    const result = await executeBlock(new MerklePatriciaTrie(), ctx(1), [tx], env);
    expect(result.receipts[0]).toMatchObject({ status: 'error', errorCode: 'UNKNOWN_MODULE' });
  });
});

describe('large transactions and receipts', () => {
  it('a block with a transaction far over the trie value limit executes and gets roots', async () => {
    const big = encodeTx(
      signTx(
        {
          chainId: CHAIN,
          sender: bob.publicKey,
          nonce: 0,
          kind: 'kv.put',
          payload: new Uint8Array(300 * 1024).fill(0x20),
        },
        bob.secretKey,
      ),
    );
    const result = await executeBlock(new MerklePatriciaTrie(), ctx(1), [big], env);
    expect(result.receipts[0]!.status).toBe('error'); // the payload is not a kv object, but the block is fine
    expect(result.transactionsRoot).toHaveLength(32);
  });
});
