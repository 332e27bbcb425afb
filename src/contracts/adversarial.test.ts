/**
 * Hostile contracts. Each case must fail cleanly with its specific code, the
 * host must keep working, and a normal call afterwards must produce exactly the
 * receipt a fresh sandbox produces (nothing leaked from the hostile call).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_CALL_DEPTH, MAX_GAS_LIMIT, MAX_STATE_KEY_BYTES } from './limits.ts';
import { MemoryContractHost, receiptDigest } from './memory-host.ts';
import { ContractSandbox } from './sandbox.ts';
import { contextOf } from './testing.ts';
import type { CallReceipt, CallRequest, JsonValue } from './types.ts';

const ADVERSARY = `
export function loopForever() { for (;;) {} }
export function catchTheInterrupt() { for (;;) { try { for (;;) {} } catch (e) {} } }
export function swallowOutOfGas(ctx) { try { for (;;) ctx.state.get('k'); } catch (e) {} return 'escaped'; }
export function amplifyIndexOf() { const s = 'x'.repeat(1 << 20); let n = 0; for (;;) n += s.indexOf('y'); }
export function repeatBomb() { for (;;) 'x'.repeat(1 << 22); }
export function allocateStrings() { const a = []; for (;;) a.push('x'.repeat(1 << 20) + a.length); }
export function allocateObjects() { const a = []; for (let i = 0; ; i++) a.push({ i }); }
function fill(chunk = 1 << 16) {
  const hog = [];
  try { for (;;) hog.push('y'.repeat(chunk) + hog.length); } catch (e) {}
  try { for (;;) hog.push({ i: hog.length }); } catch (e) {}
  return hog;
}
export function fillInChunks(ctx, args) { const hog = fill(args.chunk); ctx.emit('filled', hog.length); return hog.length; }
export function fillThenRead(ctx) { const hog = fill(); return [hog.length, ctx.state.get('big')]; }
export function fillThenScan(ctx) { const hog = fill(); return [hog.length, ctx.state.scan('big').length]; }
export function fillThenCall(ctx) { const hog = fill(); return [hog.length, ctx.call('victim', 'inspect')]; }
export function fillThenReturn(ctx) { globalThis.hog = fill(); return 'z'.repeat(60000); }
export function recurse() { function f(n) { return f(n + 1) + 1; } return f(0); }
export function recurseThroughToString() { const o = { toString() { return String(this); } }; return String(o); }
export function deepArrayToString() { let a = []; for (let i = 0; i < 100000; i++) a = [a]; return String(a).length; }
export function deepJsonParse() { return JSON.parse('['.repeat(100000)); }
export function deepJsonStringify() { let a = []; for (let i = 0; i < 100000; i++) a = [a]; return JSON.stringify(a).length; }
export function returnDeep() { let a = []; for (let i = 0; i < 100; i++) a = [a]; return a; }
export function dateNow() { return Date.now(); }
export function newDate() { return new Date().getTime(); }
export function mathRandom() { return Math.random(); }
export function evalCode() { return eval('1 + 1'); }
export function functionConstructor() { return Function('return this')(); }
export function constructorConstructor(ctx) { return ctx.state.get.constructor('return this')(); }
export function generatorConstructor() { return Object.getPrototypeOf(function* () {}).constructor('yield 1'); }
export function asyncConstructor() { return (async function () {}).constructor('return 1'); }
export function globals() { return Object.getOwnPropertyNames(globalThis).sort(); }
export function thisIsNotTheHost() { return [typeof this, typeof (function () { return this; })()]; }
export function pollute(ctx) {
  Object.prototype.polluted = 'yes';
  Array.prototype.push = function () { throw new Error('poisoned push'); };
  JSON.stringify = () => '"forged"';
  JSON.parse = () => 'forged';
  String.prototype.indexOf = () => 42;
  ctx.state.put('pollution', { clean: true });
  return ctx.call('victim', 'inspect');
}
export function tamperWithCtx(ctx) { ctx.state.put = () => 0; }
export function redefineCaller(ctx) { Object.defineProperty(ctx, 'caller', { value: 'someone else' }); }
export function hugeEvent(ctx) { ctx.emit('big', 'x'.repeat(5000)); }
export function tooManyEvents(ctx) { for (let i = 0; i < 65; i++) ctx.emit('e', i); }
export function badEventName(ctx) { ctx.emit('no spaces allowed', 1); }
export function hugeReturn() { return 'x'.repeat(70000); }
export function hugeValue(ctx) { ctx.state.put('k', 'x'.repeat(20000)); }
export function tooManyWrites(ctx) { for (let i = 0; i < 257; i++) ctx.state.put('w/' + i, i); }
export function rewriteOneKey(ctx) { for (let i = 0; i < 600; i++) ctx.state.put('same', i); return ctx.state.get('same'); }
export function callSelf(ctx) { return ctx.call('adversary', 'callSelf'); }
export function catchReentrancy(ctx) { try { ctx.call('adversary', 'globals'); } catch (e) {} return 'escaped'; }
export function callVictimBack(ctx) { return ctx.call('victim', 'callBack'); }
export function escapeNamespace(ctx) { ctx.state.put('../victim/secret', 'stolen'); ctx.state.put('victim/secret', 'stolen'); return ctx.state.get('../victim/secret'); }
export function nulKey(ctx) { ctx.state.put('a\\u0000b', 1); }
export function loneSurrogateKey(ctx) { ctx.state.put('a\\ud800', 1); }
export function longKey(ctx) { ctx.state.put('k'.repeat(${MAX_STATE_KEY_BYTES + 1}), 1); }
export function numberKey(ctx) { ctx.state.put(42, 1); }
export function objectKey(ctx) { ctx.state.get({ toString() { return 'k'; } }); }
export function catchBadKeyThenWrite(ctx) { try { ctx.state.put('\\u0001', 1); } catch (e) {} ctx.state.put('ok', 1); return 1; }
export function putUndefined(ctx) { ctx.state.put('k', undefined); }
export function putBigInt(ctx) { ctx.state.put('k', 1n); }
export function putCycle(ctx) { const o = {}; o.self = o; ctx.state.put('k', o); }
export function write(ctx) { ctx.state.put('k', 'changed'); }
export function emit(ctx) { ctx.emit('e', 1); }
export async function asyncMethod() { return 1; }
export function forgeFatalCode() { const e = new Error('not really out of gas'); e.code = 'OUT_OF_GAS'; throw e; }
export function throwNonError() { throw { toString() { return 'plain object'; } }; }
export function probe(ctx) {
  return {
    polluted: ({}).polluted === undefined,
    push: [1].concat([2]).length,
    json: JSON.stringify({ a: [1] }),
    indexOf: 'abc'.indexOf('c'),
    k: ctx.state.get('k') ?? null,
    globals: Object.getOwnPropertyNames(globalThis).length,
    date: typeof Date,
  };
}
`;

const VICTIM = `
export function inspect(ctx) {
  return { polluted: ({}).polluted ?? null, push: typeof [].push, json: JSON.stringify([1]), indexOf: 'abc'.indexOf('c') };
}
export function callBack(ctx) { return ctx.call('adversary', 'globals'); }
export function secret(ctx) { return ctx.state.get('secret') ?? null; }
`;

/** Each hop burns stack, then calls the next; the last one loads code nested 100 parentheses deep. */
const HOP = `
export function hop(ctx, args) {
  // 'plain' burns stack in JavaScript frames; 'native' through String() -> toString() recursion,
  // which costs the most host stack per byte of QuickJS stack of all paths measured.
  function burn(n) {
    if (n === 0) return next();
    if (args.mode !== 'native') return burn(n - 1);
    let depth = n;
    const o = { toString() { return depth-- === 0 ? String(next()) : String(this); } };
    return String(o);
  }
  function next() {
    if (args.next.length === 0) return ctx.call('parens', 'f');
    return ctx.call(args.next[0], 'hop', { next: args.next.slice(1), burn: args.burn });
  }
  return burn(args.burn);
}
`;
const PARENS = `export function f() { return ${'('.repeat(100)}1${')'.repeat(100)}; }`;
const HOPS = Array.from({ length: MAX_CALL_DEPTH + 1 }, (_, i) => `hop-${i}`);

function newHost(): MemoryContractHost {
  const host = new MemoryContractHost();
  host.deploy('adversary', ADVERSARY);
  host.deploy('victim', VICTIM);
  host.deploy('parens', PARENS);
  host.deploy(
    'hoarder',
    "const hog = []; try { for (;;) hog.push('y'.repeat(1 << 16) + hog.length); } catch (e) {} export function f() { return hog.length; }",
  );
  for (const name of HOPS) host.deploy(name, HOP);
  host.set('adversary', 'k', 'original');
  host.set('adversary', 'big', 'x'.repeat(16_000));
  host.set('victim', 'secret', 'kept');
  return host;
}

const PROBE: CallRequest = { contract: 'adversary', method: 'probe', context: contextOf() };

describe('hostile contracts', () => {
  let sandbox: ContractSandbox;
  let host: MemoryContractHost;
  let reference: string;

  beforeAll(async () => {
    sandbox = await ContractSandbox.create();
    host = newHost();
    const fresh = await ContractSandbox.create();
    const probe = await fresh.call(newHost(), PROBE);
    expect(probe.status).toBe('ok');
    reference = receiptDigest(probe);
  });

  async function attack(
    method: string,
    extra: Partial<CallRequest> = {},
    contract = 'adversary',
  ): Promise<CallReceipt> {
    const receipt = await sandbox.call(host, {
      contract,
      method,
      context: contextOf(),
      gasLimit: 300_000,
      ...extra,
    });
    expect(sandbox.crashReason).toBeUndefined();
    // Nothing leaks into the next call: it matches a fresh sandbox exactly (gas included).
    expect(receiptDigest(await sandbox.call(host, PROBE))).toBe(reference);
    return receipt;
  }

  async function expectFailure(
    method: string,
    code: string,
    extra: Partial<CallRequest> = {},
  ): Promise<CallReceipt> {
    const receipt = await attack(method, extra);
    expect(receipt.error?.code, `${method}: ${receipt.error?.message}`).toBe(code);
    expect(receipt).toMatchObject({ status: 'error', events: [], writes: [] });
    return receipt;
  }

  it('stops infinite loops, even ones that catch, with OUT_OF_GAS charging the whole limit', async () => {
    for (const method of ['loopForever', 'catchTheInterrupt', 'swallowOutOfGas']) {
      const receipt = await expectFailure(method, 'OUT_OF_GAS');
      expect(receipt.gasUsed).toBe(300_000);
    }
  });

  it('meters native built-ins whose work grows with their operands', async () => {
    await expectFailure('amplifyIndexOf', 'OUT_OF_GAS', { gasLimit: 2_000_000 });
    await expectFailure('repeatBomb', 'OUT_OF_GAS', { gasLimit: 2_000_000 });
  });

  it('stops unbounded allocation with OUT_OF_MEMORY', async () => {
    await expectFailure('allocateStrings', 'OUT_OF_MEMORY', { gasLimit: MAX_GAS_LIMIT });
    await expectFailure('allocateObjects', 'OUT_OF_MEMORY', { gasLimit: MAX_GAS_LIMIT });
  });

  it('fails cleanly when a contract fills memory and then needs the host (the binding gets room first)', async () => {
    for (const method of ['fillThenRead', 'fillThenScan', 'fillThenCall', 'fillThenReturn']) {
      await expectFailure(method, 'OUT_OF_MEMORY', { gasLimit: MAX_GAS_LIMIT });
    }
    for (const chunk of [1 << 10, 1 << 14, 1 << 20]) {
      await expectFailure('fillInChunks', 'OUT_OF_MEMORY', { gasLimit: MAX_GAS_LIMIT, args: { chunk } });
    }
    // A contract whose top level fills memory while loading.
    const hoarder = await attack('f', { gasLimit: MAX_GAS_LIMIT }, 'hoarder');
    expect(hoarder.error?.code).toBe('OUT_OF_MEMORY');
  });

  it('stops deep recursion, in JavaScript and in native code, with STACK_OVERFLOW', async () => {
    for (const method of ['recurse', 'recurseThroughToString', 'deepArrayToString', 'deepJsonParse']) {
      await expectFailure(method, 'STACK_OVERFLOW', { gasLimit: 2_000_000 });
    }
  });

  it('bounds JSON nesting: JSON.stringify refuses it, and a deep return value fails the call', async () => {
    const own = await expectFailure('deepJsonStringify', 'CONTRACT_ERROR', { gasLimit: 2_000_000 });
    expect(own.error?.message).toContain('nested deeper than 64');
    await expectFailure('returnDeep', 'JSON_TOO_DEEP');
  });

  it('forbids clocks, randomness and dynamic code', async () => {
    for (const method of [
      'dateNow',
      'newDate',
      'mathRandom',
      'evalCode',
      'functionConstructor',
      'constructorConstructor',
      'generatorConstructor',
      'asyncConstructor',
    ]) {
      await expectFailure(method, 'FORBIDDEN');
    }
  });

  it('gives contracts a bare global object: nothing of the host is reachable', async () => {
    const receipt = await attack('globals');
    const names = receipt.result as string[];
    for (const hostThing of [
      'process',
      'require',
      'module',
      'console',
      'setTimeout',
      'fetch',
      'hostGet',
      'hostCall',
    ]) {
      expect(names).not.toContain(hostThing);
    }
    for (const removed of [
      'WeakRef',
      'FinalizationRegistry',
      'SharedArrayBuffer',
      'Atomics',
      'ArrayBuffer',
    ]) {
      expect(names).not.toContain(removed);
    }
    expect((await attack('thisIsNotTheHost')).result).toEqual(['undefined', 'undefined']);
  });

  it('keeps prototype pollution inside the polluting activation', async () => {
    const receipt = await attack('pollute');
    expect(receipt.status).toBe('ok');
    // The callee runs in a fresh context: it sees clean built-ins.
    expect(receipt.result).toEqual({ polluted: null, push: 'function', json: '[1]', indexOf: 2 });
    // The polluter's own write went through the host untouched by its forged JSON.stringify.
    expect(receipt.writes).toEqual([{ contract: 'adversary', key: 'pollution', value: { clean: true } }]);
  });

  it('freezes ctx', async () => {
    for (const method of ['tamperWithCtx', 'redefineCaller']) {
      const receipt = await expectFailure(method, 'CONTRACT_ERROR');
      expect(receipt.error?.message).toMatch(/TypeError/);
    }
  });

  it('limits events, return values, state values and writes', async () => {
    await expectFailure('hugeEvent', 'EVENT_TOO_LARGE');
    await expectFailure('tooManyEvents', 'TOO_MANY_EVENTS', { gasLimit: 2_000_000 });
    await expectFailure('badEventName', 'BAD_EVENT');
    await expectFailure('hugeReturn', 'RETURN_TOO_LARGE', { gasLimit: 2_000_000 });
    await expectFailure('hugeValue', 'VALUE_TOO_LARGE');
    await expectFailure('tooManyWrites', 'TOO_MANY_WRITES', { gasLimit: MAX_GAS_LIMIT });
    const rewrites = await attack('rewriteOneKey', { gasLimit: MAX_GAS_LIMIT });
    expect(rewrites).toMatchObject({
      status: 'ok',
      result: 599,
      writes: [{ contract: 'adversary', key: 'same', value: 599 }],
    });
  });

  it('rejects re-entrancy (direct and through another contract) and catching it does not help', async () => {
    await expectFailure('callSelf', 'REENTRANCY');
    await expectFailure('callVictimBack', 'REENTRANCY');
    await expectFailure('catchReentrancy', 'REENTRANCY');
  });

  it(`rejects call chains deeper than ${MAX_CALL_DEPTH}`, async () => {
    const receipt = await attack(
      'hop',
      { args: { next: HOPS.slice(1), burn: 0 }, gasLimit: 2_000_000 },
      HOPS[0],
    );
    expect(receipt.error?.code).toBe('CALL_DEPTH_EXCEEDED');
  });

  it('survives a stack-hungry chain of nested calls that ends in parsing deeply nested code', async () => {
    for (const mode of ['plain', 'native']) {
      for (const burn of [0, 5, 15, 40, 200]) {
        const chain = HOPS.slice(1, MAX_CALL_DEPTH - 1);
        const receipt = await attack(
          'hop',
          { args: { next: chain, burn, mode }, gasLimit: 5_000_000 },
          HOPS[0],
        );
        // Either it fits or QuickJS reports the overflow; the host's own stack never overflows.
        if (receipt.status === 'ok') expect(String(receipt.result)).toBe('1');
        else expect(receipt.error?.code).toBe('STACK_OVERFLOW');
      }
    }
  });

  it('keeps every key inside the contract’s own namespace', async () => {
    const receipt = await attack('escapeNamespace');
    expect(receipt.status).toBe('ok');
    expect(receipt.writes).toEqual([
      { contract: 'adversary', key: '../victim/secret', value: 'stolen' },
      { contract: 'adversary', key: 'victim/secret', value: 'stolen' },
    ]);
    const check = new MemoryContractHost();
    check.deploy('victim', VICTIM);
    check.set('victim', 'secret', 'kept');
    check.apply(receipt);
    const secret = await sandbox.call(check, { contract: 'victim', method: 'secret', context: contextOf() });
    expect(secret.result).toBe('kept');
    for (const method of [
      'nulKey',
      'loneSurrogateKey',
      'longKey',
      'numberKey',
      'objectKey',
      'catchBadKeyThenWrite',
    ]) {
      await expectFailure(method, 'BAD_KEY');
    }
  });

  it('refuses values JSON cannot express', async () => {
    for (const method of ['putUndefined', 'putBigInt', 'putCycle']) await expectFailure(method, 'NOT_JSON');
  });

  it('makes queries unable to write or emit', async () => {
    for (const method of ['write', 'emit']) {
      const receipt = await sandbox.query(host, { contract: 'adversary', method, context: contextOf() });
      expect(receipt).toMatchObject({
        status: 'error',
        error: { code: 'READ_ONLY' },
        writes: [],
        events: [],
      });
    }
    expect(host.readState('adversary', 'k')).toBe('original');
  });

  it('refuses asynchronous methods', async () => {
    await expectFailure('asyncMethod', 'ASYNC_NOT_SUPPORTED');
  });

  it('does not let a contract forge a fatal failure code', async () => {
    const forged = await expectFailure('forgeFatalCode', 'CONTRACT_ERROR');
    expect(forged.gasUsed).toBeLessThan(300_000);
    await expectFailure('throwNonError', 'CONTRACT_ERROR');
  });

  it('gives every replica the same receipts for the same hostile calls', async () => {
    const methods = ['loopForever', 'allocateObjects', 'recurse', 'pollute', 'tooManyWrites', 'mathRandom'];
    const digests = async () => {
      const replica = await ContractSandbox.create();
      const replicaHost = newHost();
      const out: string[] = [];
      for (const method of methods) {
        const request = {
          contract: 'adversary',
          method,
          context: contextOf(),
          gasLimit: MAX_GAS_LIMIT,
          args: null as JsonValue,
        };
        out.push(receiptDigest(await replica.call(replicaHost, request)));
      }
      return out;
    };
    const [a, b] = [await digests(), await digests()];
    expect(a).toEqual(b);
  });
});
