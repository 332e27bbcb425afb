import { beforeAll, describe, expect, it } from 'vitest';
import { contractCodeHash } from './code-hash.ts';
import { CALL_GAS, TICK_GAS } from './gas.ts';
import { MAX_GAS_LIMIT } from './limits.ts';
import { MemoryContractHost } from './memory-host.ts';
import { ContractSandbox } from './sandbox.ts';
import { ALICE, BOB, contextOf, type Replica, replicas, run } from './testing.ts';
import type { ContractHost, JsonValue } from './types.ts';

const BANK = `
export function deposit(ctx, args) {
  const key = 'balance/' + ctx.caller;
  const balance = (ctx.state.get(key) ?? 0) + args.amount;
  ctx.state.put(key, balance);
  ctx.emit('Deposited', { who: ctx.caller, amount: args.amount });
  return balance;
}
export function balanceOf(ctx, args) { return ctx.state.get('balance/' + args.who) ?? 0; }
export function readYourWrites(ctx) {
  ctx.state.put('a', { n: 1 });
  const first = ctx.state.get('a');
  first.n = 99; // a copy: does not change the buffered value
  ctx.state.del('b');
  return { a: ctx.state.get('a'), b: ctx.state.has('b') };
}
export function scanAll(ctx, args) { return ctx.state.scan(args.prefix, args.options); }
export function whoami(ctx) {
  return { contract: ctx.contract, caller: ctx.caller, origin: ctx.origin, roles: ctx.roles,
    clerk: ctx.hasRole('clerk'), block: ctx.block, readOnly: ctx.readOnly };
}
export function callOther(ctx, args) { return ctx.call(args.contract, args.method, args.args); }
export function tryCall(ctx, args) {
  ctx.state.put('before', 1);
  ctx.emit('Before');
  try { return ctx.call(args.contract, args.method, args.args); }
  catch (e) { ctx.state.put('caught', e.code); return { caught: e.code, message: e.message }; }
}
export function put(ctx, args) { ctx.state.put(args.key, args.value); }
export function nothing() {}
`;

const LEDGER = `
export function record(ctx, args) {
  ctx.state.put('entry/' + args.id, { by: ctx.caller, origin: ctx.origin, roles: ctx.roles });
  ctx.emit('Recorded', { id: args.id });
  return ctx.state.get('entry/' + args.id);
}
export function recordThenFail(ctx, args) {
  ctx.state.put('entry/' + args.id, 1);
  ctx.emit('Recorded', { id: args.id });
  ctx.revert('ledger refuses ' + args.id);
}
export function peek(ctx, args) { return ctx.state.get(args.key) ?? null; }
`;

describe('ContractSandbox', () => {
  let replica: Replica;
  beforeAll(async () => {
    [replica] = (await replicas(1, { bank: BANK, ledger: LEDGER })) as [Replica];
  });

  it('runs a method and returns its result, events, sorted writes and gas in the receipt', async () => {
    const receipt = await run(replica, 'bank', 'deposit', { amount: 5 });
    expect(receipt).toMatchObject({
      contract: 'bank',
      method: 'deposit',
      args: { amount: 5 },
      caller: ALICE,
      codeHash: contractCodeHash(BANK),
      readOnly: false,
      status: 'ok',
      result: 5,
      events: [{ contract: 'bank', name: 'Deposited', data: { who: ALICE, amount: 5 } }],
      writes: [{ contract: 'bank', key: `balance/${ALICE}`, value: 5 }],
    });
    expect(receipt.gasUsed).toBeGreaterThan(CALL_GAS);
    expect((await run(replica, 'bank', 'deposit', { amount: 2 })).result).toBe(7);
    expect((await run(replica, 'bank', 'balanceOf', { who: ALICE })).result).toBe(7);
  });

  it('charges the same gas for the same call (ticks count executed code, not time)', async () => {
    const a = await replica.sandbox.query(replica.host, {
      contract: 'bank',
      method: 'balanceOf',
      args: { who: ALICE },
      context: contextOf(),
    });
    const b = await replica.sandbox.query(replica.host, {
      contract: 'bank',
      method: 'balanceOf',
      args: { who: ALICE },
      context: contextOf(),
    });
    expect(a.gasUsed).toBe(b.gasUsed);
  });

  it('lets a call read its own writes, and hands out copies', async () => {
    replica.host.set('bank', 'b', 'present');
    const receipt = await run(replica, 'bank', 'readYourWrites');
    expect(receipt.result).toEqual({ a: { n: 1 }, b: false });
    expect(receipt.writes).toEqual([
      { contract: 'bank', key: 'a', value: { n: 1 } },
      { contract: 'bank', key: 'b', value: null },
    ]);
    expect(replica.host.readState('bank', 'b')).toBeUndefined();
  });

  it('scans committed and buffered entries in key order, with paging', async () => {
    for (const key of ['s/3', 's/1', 's/5', 't/1']) replica.host.set('bank', key, key);
    const page = await run(replica, 'bank', 'scanAll', { prefix: 's/', options: { limit: 2 } });
    expect(page.result).toEqual([
      { key: 's/1', value: 's/1' },
      { key: 's/3', value: 's/3' },
    ]);
    const next = await run(replica, 'bank', 'scanAll', { prefix: 's/', options: { after: 's/3' } });
    expect(next.result).toEqual([{ key: 's/5', value: 's/5' }]);
  });

  it('passes identity, roles and consensus time; nested callers are the calling contract', async () => {
    const context = contextOf(BOB, ['clerk'], 42, 1_234);
    const direct = await run(replica, 'bank', 'whoami', null, context);
    expect(direct.result).toEqual({
      contract: 'bank',
      caller: BOB,
      origin: BOB,
      roles: ['clerk'],
      clerk: true,
      block: { height: 42, timestampMs: 1_234 },
      readOnly: false,
    });
    const nested = await run(
      replica,
      'bank',
      'callOther',
      { contract: 'ledger', method: 'record', args: { id: 'x' } },
      context,
    );
    expect(nested.status).toBe('ok');
    expect(nested.result).toEqual({ by: 'contract:bank', origin: BOB, roles: [] });
    expect(nested.events).toEqual([{ contract: 'ledger', name: 'Recorded', data: { id: 'x' } }]);
    expect(nested.writes).toEqual([
      { contract: 'ledger', key: 'entry/x', value: { by: 'contract:bank', origin: BOB, roles: [] } },
    ]);
  });

  it('discards a failed callee’s writes and events but lets the caller catch the failure', async () => {
    const receipt = await run(replica, 'bank', 'tryCall', {
      contract: 'ledger',
      method: 'recordThenFail',
      args: { id: 'y' },
    });
    expect(receipt.status).toBe('ok');
    expect(receipt.result).toEqual({
      caught: 'REVERTED',
      message: 'ledger.recordThenFail: ledger refuses y',
    });
    expect(receipt.events.map((e) => e.name)).toEqual(['Before']);
    expect(receipt.writes).toEqual([
      { contract: 'bank', key: 'before', value: 1 },
      { contract: 'bank', key: 'caught', value: 'REVERTED' },
    ]);
    const missing = await run(replica, 'bank', 'tryCall', { contract: 'nobody', method: 'x', args: null });
    expect(missing.result).toMatchObject({ caught: 'CONTRACT_NOT_FOUND' });
  });

  it('fails the whole call when an uncaught callee failure propagates', async () => {
    const receipt = await run(replica, 'bank', 'callOther', {
      contract: 'ledger',
      method: 'recordThenFail',
      args: { id: 'z' },
    });
    expect(receipt).toMatchObject({ status: 'error', events: [], writes: [] });
    expect(receipt.error).toEqual({ code: 'REVERTED', message: 'ledger.recordThenFail: ledger refuses z' });
  });

  it('returns null for a method that returns nothing', async () => {
    expect((await run(replica, 'bank', 'nothing')).result).toBeNull();
  });

  it('makes queries read-only', async () => {
    const request = { contract: 'bank', method: 'put', args: { key: 'q', value: 1 }, context: contextOf() };
    const receipt = await replica.sandbox.query(replica.host, request);
    expect(receipt).toMatchObject({
      readOnly: true,
      status: 'error',
      writes: [],
      error: { code: 'READ_ONLY' },
    });
    const read = await replica.sandbox.query(replica.host, {
      ...request,
      method: 'balanceOf',
      args: { who: ALICE },
    });
    expect(read).toMatchObject({ status: 'ok', result: 7, writes: [] });
  });

  it('refuses malformed requests with BAD_REQUEST / BAD_ARGS receipts and charges nothing', async () => {
    const context = contextOf();
    const bad = [
      { contract: 'Bank', method: 'deposit' },
      { contract: 'bank', method: 'not-an-identifier' },
      { contract: 'bank', method: 'deposit', gasLimit: MAX_GAS_LIMIT + 1 },
      { contract: 'bank', method: 'deposit', gasLimit: 0 },
    ];
    for (const request of bad) {
      const receipt = await replica.sandbox.call(replica.host, { ...request, context });
      expect(receipt).toMatchObject({ status: 'error', gasUsed: 0, error: { code: 'BAD_REQUEST' } });
    }
    let deep: JsonValue = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    const args = await replica.sandbox.call(replica.host, {
      contract: 'bank',
      method: 'deposit',
      args: deep,
      context,
    });
    expect(args).toMatchObject({ status: 'error', error: { code: 'BAD_ARGS' } });
    const nan = await replica.sandbox.call(replica.host, {
      contract: 'bank',
      method: 'deposit',
      args: { amount: Number.NaN },
      context,
    });
    expect(nan.error?.code).toBe('BAD_ARGS');
  });

  it('reports unknown contracts and methods', async () => {
    const context = contextOf();
    const noContract = await replica.sandbox.call(replica.host, { contract: 'ghost', method: 'x', context });
    expect(noContract).toMatchObject({
      status: 'error',
      codeHash: null,
      error: { code: 'CONTRACT_NOT_FOUND' },
    });
    const noMethod = await replica.sandbox.call(replica.host, { contract: 'bank', method: 'steal', context });
    expect(noMethod.error?.code).toBe('METHOD_NOT_FOUND');
  });

  it('throws, instead of producing a receipt, when the executor passes a malformed context', async () => {
    const bad = { caller: '', roles: [], height: 1, timestampMs: 1 };
    await expect(
      replica.sandbox.call(replica.host, { contract: 'bank', method: 'nothing', context: bad }),
    ).rejects.toMatchObject({
      code: 'BAD_CALL_CONTEXT',
    });
    const fractional = { caller: ALICE, roles: [], height: 1.5, timestampMs: 1 };
    await expect(
      replica.sandbox.call(replica.host, { contract: 'bank', method: 'nothing', context: fractional }),
    ).rejects.toMatchObject({ code: 'BAD_CALL_CONTEXT' });
  });

  it('rethrows a host failure instead of recording it, and keeps working afterwards', async () => {
    const failing: ContractHost = {
      resolveContract: (name) => replica.host.resolveContract(name),
      readState: () => {
        throw new Error('disk on fire');
      },
      scanState: () => [],
    };
    await expect(
      replica.sandbox.call(failing, {
        contract: 'bank',
        method: 'balanceOf',
        args: { who: ALICE },
        context: contextOf(),
      }),
    ).rejects.toThrow('disk on fire');
    expect((await run(replica, 'bank', 'balanceOf', { who: ALICE })).result).toBe(7);
  });

  it('refuses code whose hash does not match, and code that does not parse', async () => {
    const host = new MemoryContractHost();
    host.deploy('bank', BANK);
    const tampered: ContractHost = {
      readState: (c, k) => host.readState(c, k),
      scanState: (c, p, a, l) => host.scanState(c, p, a, l),
      resolveContract: () => ({
        code: BANK.replace('+ args.amount', '+ 2 * args.amount'),
        codeHash: contractCodeHash(BANK),
      }),
    };
    const receipt = await replica.sandbox.call(tampered, {
      contract: 'bank',
      method: 'deposit',
      args: { amount: 1 },
      context: contextOf(),
    });
    expect(receipt.error).toMatchObject({
      code: 'BAD_CONTRACT',
      message: expect.stringContaining('code hash'),
    });
    host.deploy('broken', 'export function f( {');
    const broken = await replica.sandbox.call(host, {
      contract: 'broken',
      method: 'f',
      context: contextOf(),
    });
    expect(broken.error).toMatchObject({
      code: 'BAD_CONTRACT',
      message: expect.stringContaining('does not parse'),
    });
  });

  it('inspects code at deploy time: lists methods, refuses imports and top-level await', async () => {
    expect(await replica.sandbox.inspect(LEDGER)).toEqual({ methods: ['peek', 'record', 'recordThenFail'] });
    const withImport = await replica.sandbox.inspect('import x from "fs"; export function f() { return x; }');
    expect(withImport).toMatchObject({ error: { code: 'BAD_CONTRACT' } });
    const withAwait = await replica.sandbox.inspect('export const x = await 1; export function f() {}');
    expect(withAwait).toMatchObject({
      error: { code: 'BAD_CONTRACT', message: expect.stringContaining('top-level await') },
    });
    const throwing = await replica.sandbox.inspect('throw new Error("no"); export function f() {}');
    expect(throwing).toMatchObject({ error: { code: 'BAD_CONTRACT' } });
  });

  it('runs calls one at a time in the order they were made', async () => {
    const sandbox = await ContractSandbox.create();
    const host = new MemoryContractHost();
    host.deploy('bank', BANK);
    const context = contextOf();
    const receipts = await Promise.all(
      [1, 2, 3].map((amount) =>
        sandbox.call(host, { contract: 'bank', method: 'deposit', args: { amount }, context }),
      ),
    );
    // All three read the same committed state (nothing was applied in between).
    expect(receipts.map((r) => r.result)).toEqual([1, 2, 3]);
  });

  it('charges one tick per 10 000 interpreter polls', async () => {
    const host = new MemoryContractHost();
    host.deploy(
      'spin',
      'export function spin(ctx, args) { let s = 0; for (let i = 0; i < args.n; i++) s += i; }',
    );
    const gas = async (n: number) =>
      (
        await replica.sandbox.call(host, {
          contract: 'spin',
          method: 'spin',
          args: { n },
          context: contextOf(),
        })
      ).gasUsed;
    // Same argument size, so only the ticks differ: at least one poll per loop iteration.
    const small = await gas(100_000);
    const large = await gas(900_000);
    expect((large - small) % TICK_GAS).toBe(0);
    expect(large - small).toBeGreaterThanOrEqual(80 * TICK_GAS);
    expect(await gas(900_000)).toBe(large);
  });
});
