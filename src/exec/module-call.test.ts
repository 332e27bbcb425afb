/**
 * The parts of `ModuleCall` that system modules compose with: prefix scans
 * that see the transaction's own writes, gas reported in receipts, and
 * internal calls (`invoke`) whose effects vanish when they fail.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTx, signTx, verifyTxSignature } from '../chain/transaction.ts';
import { fromUtf8, utf8 } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { ValidationError } from '../errors.ts';
import { MerklePatriciaTrie } from '../trie/index.ts';
import { type ExecutionEnvironment, executeBlock, MAX_INVOKE_DEPTH } from './execute.ts';
import { moduleKey } from './keys.ts';
import type { Module } from './module.ts';
import { StateOverlay } from './overlay.ts';

const CHAIN = 'module-call-test';
const sender = generateSigningKeyPair();
const ctx = (height: number) => ({ chainId: CHAIN, height, timestampMs: 1_700_000_000_000 + height });

/** `store.op {ops: [[op, key, value?]...]}`: puts and deletes, then returns a scan; `store.fail` does the same, then throws. */
const store: Module = {
  name: 'store',
  async execute(call, method, payload) {
    const args = JSON.parse(fromUtf8(payload)) as {
      ops?: [string, string, string?][];
      prefix?: string;
      after?: string;
      limit?: number;
      gas?: number;
    };
    if (args.gas !== undefined) call.chargeGas(args.gas);
    for (const [op, key, value] of args.ops ?? []) {
      if (op === 'put') call.state.put(utf8(key), utf8(value ?? ''));
      else call.state.del(utf8(key));
    }
    call.emit('done', { ops: (args.ops ?? []).length });
    if (method === 'fail') throw new ValidationError('STORE_FAILED', 'asked to fail');
    const scanned = call.scan(
      utf8(args.prefix ?? ''),
      args.limit ?? 1000,
      args.after === undefined ? undefined : utf8(args.after),
    );
    return scanned.map(([k, v]) => [fromUtf8(k), fromUtf8(v)]);
  },
};

/** `outer.run {target, method, payload, catch}`: invokes another module, optionally catching its failure. */
const outer: Module = {
  name: 'outer',
  async execute(call, method, payload) {
    const args = JSON.parse(fromUtf8(payload)) as {
      target: string;
      method: string;
      inner: unknown;
      catch?: boolean;
    };
    call.state.put(utf8('before'), utf8('1'));
    if (method === 'self') return (await call.invoke('outer', 'self', payload)) ?? null;
    try {
      const result = await call.invoke(args.target, args.method, utf8(JSON.stringify(args.inner)));
      return { invokedBy: call.invokedBy ?? null, result: result ?? null };
    } catch (error) {
      if (!args.catch) throw error;
      return { caught: (error as ValidationError).code };
    }
  },
};

/** Records who invoked it. */
const witness: Module = {
  name: 'witness',
  execute(call) {
    call.state.put(utf8('invokedBy'), utf8(call.invokedBy ?? 'none'));
    call.emit('seen', { by: call.invokedBy ?? null });
    return call.invokedBy ?? null;
  },
};

const env: ExecutionEnvironment = {
  modules: new Map([store, outer, witness].map((m) => [m.name, m])),
  isSignatureValid: (tx) => verifyTxSignature(tx),
};

function tx(nonce: number, kind: string, payload: unknown): Uint8Array {
  return encodeTx(
    signTx(
      { chainId: CHAIN, sender: sender.publicKey, nonce, kind, payload: utf8(JSON.stringify(payload)) },
      sender.secretKey,
    ),
  );
}

const resultOf = (receipt: { result: Uint8Array }) => JSON.parse(fromUtf8(receipt.result)) as unknown;

describe('ModuleCall.scan', () => {
  it('merges committed state, earlier transactions of the block and the own writes, in key order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.tuple(
              fc.constantFrom('put', 'del'),
              fc.stringMatching(/^[a-c]{1,3}$/),
              fc.stringMatching(/^[a-z]{1,4}$/),
            ),
            { maxLength: 8 },
          ),
          { minLength: 1, maxLength: 4 },
        ),
        fc.stringMatching(/^[a-c]{0,2}$/),
        fc.option(fc.stringMatching(/^[a-c]{1,3}$/), { nil: undefined }),
        async (blocks, prefix, after) => {
          // The model: a plain map updated by every operation.
          const model = new Map<string, string>();
          let parent = new MerklePatriciaTrie();
          let nonce = 0;
          for (const [index, ops] of blocks.entries()) {
            // Split each block's operations over two transactions so the scan crosses both overlays.
            const half = Math.floor(ops.length / 2);
            const txs = [
              tx(nonce++, 'store.op', { ops: ops.slice(0, half) }),
              tx(nonce++, 'store.op', {
                ops: ops.slice(half),
                prefix,
                ...(after === undefined ? {} : { after }),
              }),
            ];
            for (const [op, key, value] of ops) {
              if (op === 'put') model.set(key, value);
              else model.delete(key);
            }
            const executed = await executeBlock(parent, ctx(index + 1), txs, env);
            const expected = [...model.entries()]
              .filter(([k]) => k.startsWith(prefix) && (after === undefined || k > after))
              .sort(([a], [b]) => (a < b ? -1 : 1));
            expect(resultOf(executed.receipts[1]!)).toEqual(expected);
            parent = executed.state;
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('stops at the limit', async () => {
    const ops = ['a', 'b', 'c', 'd'].map((k) => ['put', k, k]);
    const executed = await executeBlock(
      new MerklePatriciaTrie(),
      ctx(1),
      [tx(0, 'store.op', { ops, limit: 2 })],
      env,
    );
    expect(resultOf(executed.receipts[0]!)).toEqual([
      ['a', 'a'],
      ['b', 'b'],
    ]);
  });

  it('never sees another module namespace', async () => {
    const executed = await executeBlock(
      new MerklePatriciaTrie(),
      ctx(1),
      [tx(0, 'witness.run', {}), tx(1, 'store.op', { ops: [['put', 'x', '1']] })],
      env,
    );
    expect(resultOf(executed.receipts[1]!)).toEqual([['x', '1']]);
  });

  it('an overlay scan over a base that cannot scan is a bug, not a silent empty answer', () => {
    const overlay = new StateOverlay({ get: () => undefined });
    expect(() => [...overlay.entriesWithPrefix(utf8(''))]).toThrow(/invariant/);
  });
});

describe('gas in receipts', () => {
  it('reports what the call charged, also when it then fails', async () => {
    const executed = await executeBlock(
      new MerklePatriciaTrie(),
      ctx(1),
      [tx(0, 'store.op', { gas: 1234 }), tx(1, 'store.fail', { gas: 77 }), tx(2, 'store.op', {})],
      env,
    );
    expect(executed.receipts.map((r) => [r.status, r.gasUsed])).toEqual([
      ['ok', 1234],
      ['error', 77],
      ['ok', 0],
    ]);
  });
});

describe('ModuleCall.invoke', () => {
  it('runs the target module in its own namespace, told who invoked it, with its events kept', async () => {
    const executed = await executeBlock(
      new MerklePatriciaTrie(),
      ctx(1),
      [tx(0, 'outer.run', { target: 'witness', method: 'run', inner: {} })],
      env,
    );
    const [receipt] = executed.receipts;
    expect(receipt!.status).toBe('ok');
    expect(resultOf(receipt!)).toEqual({ invokedBy: null, result: 'outer' });
    expect(receipt!.events.map((e) => `${e.module}.${e.name}`)).toEqual(['witness.seen']);
    expect(fromUtf8(executed.state.get(moduleKey('witness', utf8('invokedBy')))!)).toBe('outer');
    expect(executed.state.get(moduleKey('outer', utf8('before')))).toBeDefined();
  });

  it('a failed internal call leaves no writes and no events; a caught failure lets the caller go on', async () => {
    const executed = await executeBlock(
      new MerklePatriciaTrie(),
      ctx(1),
      [
        tx(0, 'outer.run', { target: 'store', method: 'fail', inner: { gas: 5 }, catch: true }),
        tx(1, 'outer.run', { target: 'store', method: 'fail', inner: {}, catch: false }),
      ],
      env,
    );
    const [caught, uncaught] = executed.receipts;
    expect(caught!.status).toBe('ok');
    expect(resultOf(caught!)).toEqual({ caught: 'STORE_FAILED' });
    expect(caught!.events).toEqual([]);
    expect(caught!.gasUsed).toBe(5);
    expect(uncaught).toMatchObject({ status: 'error', errorCode: 'STORE_FAILED' });
    // The caught one kept the caller's own write; the uncaught one's write vanished with the transaction.
    expect(executed.state.get(moduleKey('outer', utf8('before')))).toBeDefined();
  });

  it('an internal call that wrote and emitted, then failed, keeps none of it', async () => {
    const executed = await executeBlock(
      new MerklePatriciaTrie(),
      ctx(1),
      [
        tx(0, 'outer.run', {
          target: 'store',
          method: 'fail',
          inner: { ops: [['put', 'x', '1']] },
          catch: true,
        }),
        tx(1, 'outer.run', { target: 'nope', method: 'x', inner: {}, catch: true }),
      ],
      env,
    );
    expect(resultOf(executed.receipts[0]!)).toEqual({ caught: 'STORE_FAILED' });
    expect(executed.receipts[0]!.events).toEqual([]);
    expect(executed.state.get(moduleKey('store', utf8('x')))).toBeUndefined();
    expect(resultOf(executed.receipts[1]!)).toEqual({ caught: 'UNKNOWN_MODULE' });
  });

  it(`nests at most ${MAX_INVOKE_DEPTH} deep`, async () => {
    const executed = await executeBlock(new MerklePatriciaTrie(), ctx(1), [tx(0, 'outer.self', {})], env);
    expect(executed.receipts[0]).toMatchObject({ status: 'error', errorCode: 'INVOKE_TOO_DEEP' });
  });
});
