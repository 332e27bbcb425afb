import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../codec/bytes.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../crypto/ed25519.ts';
import { Mempool } from './mempool.ts';
import { encodeTx, type SignedTx, signTx, txHash } from './transaction.ts';

const CHAIN = 'test-chain';
const alice = generateSigningKeyPair();
const bob = generateSigningKeyPair();

function tx(key: SigningKeyPair, nonce: number, payload = 'x', chainId = CHAIN): SignedTx {
  return signTx(
    { chainId, sender: key.publicKey, nonce, kind: 'kv.put', payload: utf8(payload) },
    key.secretKey,
  );
}

function pool(committed: Record<string, number> = {}, extra = {}) {
  return new Mempool({ chainId: CHAIN, committedNonce: (s) => committed[toHex(s)] ?? 0, ...extra });
}

describe('Mempool', () => {
  it('accepts a valid transaction once and reports duplicates as not added', () => {
    const m = pool();
    expect(m.add(tx(alice, 0))).toBe(true);
    expect(m.add(tx(alice, 0))).toBe(false);
    expect(m.size).toBe(1);
  });

  it('keeps its own copy of a transaction that arrived as a view into a larger frame', () => {
    const m = pool();
    const signed = tx(alice, 0);
    const encoded = encodeTx(signed);
    const frame = new Uint8Array(encoded.length + 10_000);
    frame.set(encoded, 5_000);
    m.add(signed, frame.subarray(5_000, 5_000 + encoded.length), txHash(signed.body));
    const pooled = m.get(toHex(txHash(signed.body)))!;
    expect(pooled.encoded).toEqual(encoded);
    expect(pooled.encoded.buffer.byteLength).toBe(encoded.length); // the frame is not kept alive
    frame.fill(0);
    expect(pooled.encoded).toEqual(encoded);
  });

  it('rejects wrong chain, bad signature, used nonce, far-future nonce and a conflicting nonce with typed codes', () => {
    const m = pool({ [toHex(alice.publicKey)]: 5 });
    expect(() => m.add(tx(alice, 5, 'x', 'other-chain'))).toThrow(
      expect.objectContaining({ code: 'TX_WRONG_CHAIN' }),
    );
    const forged = { ...tx(alice, 5), signature: tx(bob, 5).signature };
    expect(() => m.add(forged)).toThrow(expect.objectContaining({ code: 'TX_BAD_SIGNATURE' }));
    expect(() => m.add(tx(alice, 4))).toThrow(expect.objectContaining({ code: 'TX_NONCE_TOO_LOW' }));
    expect(() => m.add(tx(alice, 5 + 1024))).toThrow(expect.objectContaining({ code: 'TX_NONCE_TOO_HIGH' }));
    m.add(tx(alice, 5, 'a'));
    expect(() => m.add(tx(alice, 5, 'b'))).toThrow(expect.objectContaining({ code: 'TX_NONCE_CONFLICT' }));
  });

  it('refuses new transactions with MEMPOOL_FULL when a bound is reached, and keeps what it has', () => {
    const m = pool({}, { maxCount: 2 });
    m.add(tx(alice, 0));
    m.add(tx(bob, 0));
    expect(() => m.add(tx(alice, 1))).toThrow(expect.objectContaining({ code: 'MEMPOOL_FULL' }));
    expect(m.size).toBe(2);
  });

  it('selects only gap-free nonce runs, round-robin across senders, within count and byte limits', () => {
    const m = pool();
    for (const n of [0, 1, 3]) m.add(tx(alice, n)); // 3 has a gap
    for (const n of [0, 1, 2]) m.add(tx(bob, n));
    const batch = m.selectBatch({ maxCount: 100, maxBytes: 1e9 });
    const picked = batch.map(
      (p) => `${p.senderHex === toHex(alice.publicKey) ? 'a' : 'b'}${p.tx.body.nonce}`,
    );
    expect(picked).toEqual(['a0', 'b0', 'a1', 'b1', 'b2']);
    expect(m.selectBatch({ maxCount: 3, maxBytes: 1e9 })).toHaveLength(3);
    const oneTx = batch[0]!.encoded.length;
    expect(m.selectBatch({ maxCount: 100, maxBytes: oneTx * 2 })).toHaveLength(2);
  });

  it('skips transactions already in in-flight ancestors and starts from the speculative nonce', () => {
    const m = pool();
    const t0 = tx(alice, 0);
    m.add(t0);
    m.add(tx(alice, 1));
    const inFlight = new Set([m.selectBatch({ maxCount: 1, maxBytes: 1e9 })[0]!.hashHex]);
    const batch = m.selectBatch({ maxCount: 10, maxBytes: 1e9, exclude: inFlight });
    expect(batch.map((p) => p.tx.body.nonce)).toEqual([1]);
    const spec = m.selectBatch({ maxCount: 10, maxBytes: 1e9, nextNonce: () => 1 });
    expect(spec.map((p) => p.tx.body.nonce)).toEqual([1]);
  });

  it('removes committed transactions and drops ones whose nonce is now stale', () => {
    const committed: Record<string, number> = {};
    const m = pool(committed);
    m.add(tx(alice, 0));
    m.add(tx(alice, 1));
    const first = m.selectBatch({ maxCount: 1, maxBytes: 1e9 })[0]!;
    committed[toHex(alice.publicKey)] = 2; // both nonces consumed (one by a block from elsewhere)
    m.removeCommitted([first.hashHex]);
    expect(m.size).toBe(0);
    expect(m.bytes).toBe(0);
  });

  it('any batch it selects is executable in order: per sender, nonces are consecutive from the next nonce', () => {
    const keys = [alice, bob, generateSigningKeyPair()];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 8 })), { maxLength: 40 }),
        fc.integer({ min: 1, max: 20 }),
        (adds, maxCount) => {
          const m = pool();
          for (const [k, n] of adds) {
            try {
              m.add(tx(keys[k]!, n));
            } catch {
              // conflicting nonces are expected here
            }
          }
          const batch = m.selectBatch({ maxCount, maxBytes: 1e9 });
          expect(batch.length).toBeLessThanOrEqual(maxCount);
          const next = new Map<string, number>();
          for (const p of batch) {
            expect(p.tx.body.nonce).toBe(next.get(p.senderHex) ?? 0);
            next.set(p.senderHex, p.tx.body.nonce + 1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the verified-signature memory', () => {
  it('vouches for a body only with the exact signature that was verified', () => {
    const m = pool();
    const good = tx(alice, 0);
    m.add(good);
    const hashHex = m.selectBatch({ maxCount: 1, maxBytes: 1e9 })[0]!.hashHex;
    expect(m.hasVerified(hashHex, good.signature)).toBe(true);
    const other = good.signature.slice();
    other[0]! ^= 1;
    expect(m.hasVerified(hashHex, other)).toBe(false);
  });

  it('remembers a transaction until a committed block carries it, pooled here or not', () => {
    const m = pool();
    const pooled = tx(alice, 0);
    m.add(pooled);
    const pooledHex = toHex(txHash(pooled.body));
    const seenInProposal = tx(bob, 0);
    const proposalHex = toHex(txHash(seenInProposal.body));
    m.markVerified(proposalHex, seenInProposal.signature);
    const pending = tx(alice, 1);
    m.add(pending);
    const pendingHex = toHex(txHash(pending.body));

    m.removeCommitted([pooledHex, proposalHex]);
    expect(m.hasVerified(pooledHex, pooled.signature)).toBe(false);
    expect(m.hasVerified(proposalHex, seenInProposal.signature)).toBe(false);
    expect(m.hasVerified(pendingHex, pending.signature)).toBe(true);
  });
});

describe('batch budgets', () => {
  it('stops a sender at the first transaction over the budget and fills the rest from others', () => {
    const m = pool();
    for (const n of [0, 1, 2]) m.add(tx(alice, n, n === 1 ? 'heavy' : 'x'));
    for (const n of [0, 1]) m.add(tx(bob, n));
    const cost = (p: { tx: { body: { payload: Uint8Array } } }) =>
      new TextDecoder().decode(p.tx.body.payload) === 'heavy' ? 100 : 1;
    const batch = m.selectBatch({ maxCount: 100, maxBytes: 1e9, budget: { limit: 10, cost } });
    const picked = batch.map(
      (p) => `${p.senderHex === toHex(alice.publicKey) ? 'a' : 'b'}${p.tx.body.nonce}`,
    );
    expect(picked).toEqual(['a0', 'b0', 'b1']);
  });
});

describe('Mempool ready transactions', () => {
  const keys = [alice, bob, generateSigningKeyPair()];
  // Signed once: signing dominates otherwise.
  const signed = keys.map((key) => Array.from({ length: 8 }, (_, nonce) => tx(key, nonce, `p${nonce}`)));
  const step = fc.oneof(
    fc.record({ add: fc.tuple(fc.nat(2), fc.nat(7)) }),
    // A block commits sender s up to nonce n (carrying transactions this pool may not hold).
    fc.record({ commit: fc.tuple(fc.nat(2), fc.nat(8)) }),
  );

  it('counts exactly the pooled transactions with no nonce gap before them (any adds and commits)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const committed: Record<string, number> = {};
        const m = pool(committed);
        for (const s of steps) {
          if ('add' in s) {
            const [k, nonce] = s.add;
            try {
              m.add(signed[k]![nonce]!);
            } catch {
              // below the committed nonce or a conflict: refused, as the pool's rules say
            }
          } else {
            const [k, upTo] = s.commit;
            const sender = toHex(keys[k]!.publicKey);
            if ((committed[sender] ?? 0) >= upTo) continue;
            const hashes = signed[k]!.slice(committed[sender] ?? 0, upTo).map((t) => toHex(txHash(t.body)));
            committed[sender] = upTo;
            m.removeCommitted(
              hashes,
              hashes.map(() => keys[k]!.publicKey),
            );
          }
          // Brute force: per sender, pooled nonces from the committed one up to the first gap.
          let count = 0;
          let bytes = 0;
          keys.forEach((key, k) => {
            for (let n = committed[toHex(key.publicKey)] ?? 0; n < 8; n++) {
              const pooled = m.get(toHex(txHash(signed[k]![n]!.body)));
              if (!pooled) break;
              count++;
              bytes += pooled.encoded.length;
            }
          });
          expect(m.readyCount).toBe(count);
          expect(m.readyBytes).toBe(bytes);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('Mempool gapped transactions', () => {
  it('drops only transactions that waited behind a nonce gap longer than gapTtlMs', () => {
    const clock = { ms: 0 };
    const m = pool({}, { gapTtlMs: 1_000, now: () => clock.ms });
    m.add(tx(alice, 0)); // ready
    m.add(tx(alice, 2)); // behind the missing nonce 1
    clock.ms = 600;
    m.add(tx(bob, 5)); // behind bob's missing 0..4, younger
    expect(m.expireGapped()).toBe(0);
    clock.ms = 1_200;
    expect(m.expireGapped()).toBe(1); // alice's nonce 2 only
    expect(m.size).toBe(2);
    expect(m.readyCount).toBe(1);
    clock.ms = 5_000; // the ready transaction stays however old
    expect(m.expireGapped()).toBe(1);
    expect(m.size).toBe(1);
    expect(m.readyCount).toBe(1);
    // The gap can be filled later: nonce 1 then 2 again, all ready.
    m.add(tx(alice, 1));
    m.add(tx(alice, 2));
    expect(m.readyCount).toBe(3);
  });
});
