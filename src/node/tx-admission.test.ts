import { describe, expect, it } from 'vitest';
import { Mempool } from '../chain/mempool.ts';
import { encodeTx, signTx } from '../chain/transaction.ts';
import { utf8 } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { LogLimiter } from './log-limiter.ts';
import { createLogger } from './logger.ts';
import { NodeMetrics } from './metrics.ts';
import {
  ADMIT_SLICE_MS,
  BACKLOG_SECONDS,
  MAX_QUEUED_BYTES,
  MAX_QUEUED_TXS,
  MIN_BACKLOG,
  TxAdmission,
} from './tx-admission.ts';
import type { TxGossip } from './tx-gossip.ts';

const CHAIN = 'admission-test';
const senders = Array.from({ length: 4 }, () => generateSigningKeyPair());
let next = 0;

/** A fresh, valid, signed transaction (a new sender/nonce pair each time). */
function freshTx(): Uint8Array {
  const i = next++;
  const sender = senders[i % senders.length]!;
  const body = {
    chainId: CHAIN,
    sender: sender.publicKey,
    nonce: Math.floor(i / senders.length),
    kind: 'kv.put',
    payload: utf8(JSON.stringify({ key: `k${i}`, value: 'v' })),
  };
  return encodeTx(signTx(body, sender.secretKey));
}

function admissionAt(clock: { ms: number }) {
  next = 0;
  const mempool = new Mempool({ chainId: CHAIN, committedNonce: () => 0 });
  const gossip = { add() {} } as unknown as TxGossip;
  const log = new LogLimiter(createLogger({ name: 'admission-test', level: 'silent' }));
  const admission = new TxAdmission(
    mempool,
    gossip,
    new NodeMetrics(),
    log,
    () => {},
    () => {},
    () => clock.ms,
  );
  return { mempool, admission };
}

describe('TxAdmission back-pressure', () => {
  it('refuses clients with MEMPOOL_FULL past MIN_BACKLOG waiting while nothing commits; peers still get in', () => {
    const clock = { ms: 1_000_000 };
    const { mempool, admission } = admissionAt(clock);
    for (let i = 0; i < MIN_BACKLOG; i++) admission.admit(freshTx(), false);
    expect(mempool.size).toBe(MIN_BACKLOG);
    expect(() => admission.admit(freshTx(), false)).toThrow(
      expect.objectContaining({ code: 'MEMPOOL_FULL' }),
    );
    expect(admission.admit(freshTx(), true).status).toBe('pending');
    expect(mempool.size).toBe(MIN_BACKLOG + 1);
  });

  it('throws one refusal while the backlog stays full, and a new one once the limit moves', () => {
    const clock = { ms: 1_000_000 };
    const { mempool, admission } = admissionAt(clock);
    for (let i = 0; i < MIN_BACKLOG; i++) admission.admit(freshTx(), false);
    const refusal = () => {
      try {
        admission.admit(freshTx(), false);
      } catch (error) {
        return error;
      }
      throw new Error('admitted past the backlog limit');
    };
    const first = refusal();
    expect(refusal()).toBe(first);
    expect(first).toMatchObject({
      code: 'MEMPOOL_FULL',
      message: expect.stringContaining(String(MIN_BACKLOG)),
    });
    // The network commits 1,000 tx/s for 5 s: the limit rises to 3,000 and clients get in again.
    for (let t = 0; t < 50; t++) {
      clock.ms += 100;
      admission.observeCommitted([], clock.ms);
    }
    for (let t = 0; t < 50; t++)
      admission.observeCommitted(
        Array.from({ length: 100 }, (_, i) => `${t}-${i}`),
        clock.ms,
      );
    expect(admission.admit(freshTx(), false).status).toBe('pending');
    while (mempool.readyCount < admission.backlogLimit()) admission.admit(freshTx(), false);
    const second = refusal();
    expect(second).not.toBe(first);
    expect(second).toMatchObject({
      code: 'MEMPOOL_FULL',
      message: expect.stringContaining(String(BACKLOG_SECONDS * 1_000)),
    });
  });

  it(`follows the recent commit rate: ${BACKLOG_SECONDS} s of commits may wait, and the rate ages out`, () => {
    const clock = { ms: 1_000_000 };
    const { admission } = admissionAt(clock);
    expect(admission.backlogLimit()).toBe(MIN_BACKLOG);
    // 5 s of blocks committing 2,000 tx/s: 6,000 may wait.
    for (let t = 0; t < 50; t++) {
      clock.ms += 100;
      admission.observeCommitted(
        Array.from({ length: 200 }, (_, i) => `0x${t}-${i}`),
        clock.ms,
      );
    }
    expect(admission.backlogLimit()).toBe(BACKLOG_SECONDS * 2_000);
    clock.ms += 10_000; // nothing committed since: back to the floor
    expect(admission.backlogLimit()).toBe(MIN_BACKLOG);
  });
});

describe('TxAdmission in line (admitFairly)', () => {
  it(`admits for at most ${ADMIT_SLICE_MS} ms per turn of the event loop however many sources offer at once`, async () => {
    // A clock that moves 1 ms at every reading: each admission costs 1 ms to the line.
    const clock = {
      value: 0,
      get ms() {
        return this.value++;
      },
    };
    const { mempool, admission } = admissionAt(clock);
    // 12 sources (gossip frames) of 40 transactions each, all offered in one turn.
    const offers = Array.from({ length: 12 * 40 }, () => freshTx());
    const sizes: number[] = [];
    let done = false;
    const sample = () => {
      sizes.push(mempool.size);
      if (!done) setImmediate(sample);
    };
    setImmediate(sample);
    const results = await Promise.all(offers.map((tx) => admission.admitFairly(tx, true)));
    done = true;
    await new Promise((resolve) => setImmediate(resolve)); // the last sample
    expect(results.every((r) => r.status === 'pending')).toBe(true);
    expect(sizes.at(-1)).toBe(offers.length);
    const growth = sizes.map((size, i) => size - (sizes[i - 1] ?? 0));
    expect(Math.max(...growth)).toBeLessThanOrEqual(ADMIT_SLICE_MS);
  });

  it('refuses clients whose transaction would wait past the backlog, counting those in line', async () => {
    const { mempool, admission } = admissionAt({ ms: 1_000_000 });
    for (let i = 0; i < MIN_BACKLOG - 10; i++) admission.admit(freshTx(), false);
    const inLine = Array.from({ length: 10 }, () => admission.admitFairly(freshTx(), false));
    await expect(admission.admitFairly(freshTx(), false)).rejects.toMatchObject({ code: 'MEMPOOL_FULL' });
    const peer = admission.admitFairly(freshTx(), true); // peers are not held to the backlog
    await Promise.all([...inLine, peer]);
    expect(mempool.size).toBe(MIN_BACKLOG + 1);
  });

  it(`bounds the line at ${MAX_QUEUED_TXS} transactions and ${MAX_QUEUED_BYTES} bytes, for peers too`, async () => {
    // A clock that moves 100 ms at every reading: one admission uses up a turn, the rest wait in line.
    const clock = {
      value: 0,
      get ms() {
        this.value += 100;
        return this.value;
      },
    };
    const { admission } = admissionAt(clock);
    // Garbage is enough: the bound applies before decoding; each settles with its decode error later.
    const garbage = () => admission.admitFairly(new Uint8Array(1), true);
    const byCount = [garbage(), ...Array.from({ length: MAX_QUEUED_TXS }, garbage)];
    await expect(garbage()).rejects.toMatchObject({
      code: 'MEMPOOL_FULL',
      message: expect.stringContaining('waiting here to be admitted'),
    });
    expect((await Promise.allSettled(byCount)).every((r) => r.status === 'rejected')).toBe(true);

    // The line drained: offers are taken again.
    await expect(admission.admitFairly(freshTx(), true)).resolves.toMatchObject({ status: 'pending' });

    const fresh = admissionAt(clock).admission;
    const first = fresh.admitFairly(new Uint8Array(1), true); // runs at once and uses up the turn
    const big = new Uint8Array(MAX_QUEUED_BYTES / 4);
    const byBytes = Array.from({ length: 4 }, () => fresh.admitFairly(big, true));
    await expect(fresh.admitFairly(new Uint8Array(1), true)).rejects.toMatchObject({ code: 'MEMPOOL_FULL' });
    await Promise.allSettled([first, ...byBytes]);
  });
});
