/**
 * Hostile contracts run THROUGH THE CHAIN: deployed by governance, called with
 * `contract.call` transactions inside blocks by `executeBlock`, re-executed by
 * independent replicas. Each attack must end in an error receipt with its
 * specific code, the block must carry on (an honest call after every attack
 * succeeds), nothing the attacker wrote may land, and every replica must agree
 * on the state root and the receipts root of every block.
 *
 * Also: callers without the right to act (unknown key, suspended
 * organisation, wrong role) are refused, and a deployment without a quorum
 * does nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeTx } from '../../chain/transaction.ts';
import { fromUtf8, utf8 } from '../../codec/bytes.ts';
import { compileContract } from '../../contracts/compile.ts';
import { MAX_GAS_LIMIT } from '../../contracts/limits.ts';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { moduleKey } from '../../exec/keys.ts';
import type { Receipt } from '../../exec/receipt.ts';
import { eventsOf, resultOf, TestChain } from '../membership/testing.ts';
import { blockGasReservation, MAX_BLOCK_CONTRACT_GAS } from './contract-module.ts';

const HOSTILE = `
export function loopForever() { for (;;) {} }
export function catchTheInterrupt() { for (;;) { try { for (;;) {} } catch (e) {} } }
export function allocate() { const a = []; for (;;) a.push('x'.repeat(1 << 20) + a.length); }
export function allocateObjects() { const a = []; for (let i = 0; ; i++) a.push({ i }); }
export function recurse() { function f(n) { return f(n + 1) + 1; } return f(0); }
export function dateNow() { return Date.now(); }
export function newDate() { return new Date().getTime(); }
export function mathRandom() { return Math.random(); }
export function globalFunction() { return Function('return this')().process; }
export function constructorEscape(ctx) { return ctx.state.get.constructor('return globalThis')(); }
export function globalEval() { return globalThis.eval('1 + 1'); }
export function hostGlobals() {
  return ['process', 'require', 'console', 'fetch', 'setTimeout', 'hostCall', 'WebAssembly'].filter((n) => n in globalThis);
}
export function pollute(ctx) {
  Object.prototype.polluted = 'yes';
  Array.prototype.push = function () { throw new Error('poisoned'); };
  JSON.stringify = () => '"forged"';
  ctx.state.put('pollution', { clean: true });
  return ctx.call('victim', 'inspect');
}
export function tamperWithHostApi(ctx) { ctx.state.put = () => 0; ctx.state.put('k', 1); }
export function pollutePrototypeOfHostApi(ctx) {
  Object.getPrototypeOf(ctx.state).put = () => 0;
  Object.prototype.get = () => 'forged';
  ctx.state.put('real', 1);
  return ctx.state.get('real');
}
export function hugeEvent(ctx) { ctx.emit('big', 'x'.repeat(5000)); }
export function manyEvents(ctx) { for (let i = 0; i < 65; i++) ctx.emit('e', i); }
export function callSelf(ctx) { return ctx.call('hostile', 'callSelf'); }
export function callVictimBack(ctx) { return ctx.call('victim', 'callBack'); }
export function catchReentrancy(ctx) { try { ctx.call('hostile', 'hostGlobals'); } catch (e) {} return 'escaped'; }
export function escapeNamespace(ctx) {
  ctx.state.put('../victim/secret', 'stolen');
  ctx.state.put('/state/victim/secret', 'stolen');
  ctx.state.put('victim/secret', 'stolen');
  return ctx.state.get('../victim/secret');
}
export function writeThenRevert(ctx) { ctx.state.put('ghost', 1); ctx.emit('ghost', 1); ctx.revert('changed my mind'); }
`;

const VICTIM = `
export function inspect() {
  return { polluted: ({}).polluted ?? null, push: [1].concat([2]).length, json: JSON.stringify([1]) };
}
export function callBack(ctx) { return ctx.call('hostile', 'hostGlobals'); }
export function setSecret(ctx, value) { ctx.state.put('secret', value); return value; }
export function secret(ctx) { return ctx.state.get('secret') ?? null; }
export function bump(ctx) { const n = (ctx.state.get('n') ?? 0) + 1; ctx.state.put('n', n); ctx.emit('bumped', n); return n; }
`;

/** Attack, expected receipt code, gas limit. */
const ATTACKS: [string, string, number?][] = [
  ['loopForever', 'OUT_OF_GAS', 300_000],
  ['catchTheInterrupt', 'OUT_OF_GAS', 300_000],
  ['allocate', 'OUT_OF_MEMORY', MAX_GAS_LIMIT],
  ['allocateObjects', 'OUT_OF_MEMORY', MAX_GAS_LIMIT],
  ['recurse', 'STACK_OVERFLOW', 2_000_000],
  ['dateNow', 'FORBIDDEN'],
  ['newDate', 'FORBIDDEN'],
  ['mathRandom', 'FORBIDDEN'],
  ['globalFunction', 'FORBIDDEN'],
  ['constructorEscape', 'FORBIDDEN'],
  ['globalEval', 'FORBIDDEN'],
  ['tamperWithHostApi', 'CONTRACT_ERROR'],
  ['hugeEvent', 'EVENT_TOO_LARGE'],
  ['manyEvents', 'TOO_MANY_EVENTS', 2_000_000],
  ['callSelf', 'REENTRANCY'],
  ['callVictimBack', 'REENTRANCY'],
  ['catchReentrancy', 'REENTRANCY'],
  ['writeThenRevert', 'REVERTED'],
];

let hostile: string;
let victim: string;

beforeAll(async () => {
  hostile = (await compileContract(HOSTILE, 'js')).code;
  victim = (await compileContract(VICTIM, 'js')).code;
});

async function arena(): Promise<TestChain> {
  const chain = TestChain.create({ memberOrganizations: 3 });
  await chain.deploy('hostile', hostile);
  await chain.deploy('victim', victim);
  await chain.send(chain.organizations[1]!.admin, 'contract.call', {
    name: 'victim',
    method: 'setSecret',
    args: 'kept',
  });
  return chain;
}

function contractState(chain: TestChain, contract: string, key: string): unknown {
  const raw = chain.state.get(moduleKey('contract', utf8(`state/${contract}/${key}`)));
  return raw === undefined ? undefined : JSON.parse(fromUtf8(raw));
}

async function expectReplicasAgree(chain: TestChain): Promise<void> {
  for (let replica = 0; replica < 2; replica++) {
    const replayed = await chain.replay();
    expect(replayed.stateRoot).toBe(chain.root);
    expect(replayed.receiptsRoots).toEqual(chain.receiptsRoots);
  }
}

describe('hostile contracts through the chain', () => {
  it('every attack fails with its own code, the block carries on, and replicas agree', async () => {
    const chain = await arena();
    const attacker = chain.organizations[0]!.admin;
    const honest = chain.organizations[1]!.admin;
    // Each attack followed by an honest call, packed into as few blocks as the block budget allows
    // (what a proposer using blockGasReservation would do).
    const pairs = ATTACKS.map(([method, , gasLimit]) => [
      chain.tx(attacker, 'contract.call', { name: 'hostile', method, ...(gasLimit ? { gasLimit } : {}) }),
      chain.tx(honest, 'contract.call', { name: 'victim', method: 'bump', gasLimit: 100_000 }),
    ]);
    const blocks: Uint8Array[][] = [[]];
    let reserved = 0;
    for (const pair of pairs) {
      const cost = pair.reduce((sum, encoded) => {
        const tx = decodeTx(encoded);
        return sum + blockGasReservation(tx.body.kind, tx.body.payload);
      }, 0);
      if (reserved + cost > MAX_BLOCK_CONTRACT_GAS) {
        blocks.push([]);
        reserved = 0;
      }
      blocks.at(-1)!.push(...pair);
      reserved += cost;
    }
    expect(blocks.length).toBeLessThan(ATTACKS.length);
    const receipts: Receipt[] = [];
    for (const txs of blocks) receipts.push(...(await chain.run(txs)).receipts);
    ATTACKS.forEach(([method, code], i) => {
      const attack = receipts[2 * i]!;
      expect([method, attack.status, attack.errorCode]).toEqual([method, 'error', code]);
      expect(attack.events).toEqual([]);
      expect(attack.gasUsed).toBeGreaterThan(0);
      const bump = receipts[2 * i + 1]!;
      expect(bump.status).toBe('ok');
      expect(resultOf(bump)).toMatchObject({ result: i + 1 });
    });
    // Out-of-gas charges the whole limit it was given.
    expect(receipts[0]!.gasUsed).toBe(300_000);
    // Nothing an attack wrote before failing landed.
    expect(contractState(chain, 'hostile', 'ghost')).toBeUndefined();
    expect(contractState(chain, 'victim', 'n')).toBe(ATTACKS.length);
    await expectReplicasAgree(chain);
  }, 120_000);

  it('the same attacks spread over separate blocks give every replica the same roots', async () => {
    const chain = await arena();
    const attacker = chain.organizations[0]!.admin;
    for (const [method, code, gasLimit] of ATTACKS) {
      const receipt = await chain.send(attacker, 'contract.call', {
        name: 'hostile',
        method,
        ...(gasLimit ? { gasLimit } : {}),
      });
      expect([method, receipt.errorCode]).toEqual([method, code]);
    }
    await expectReplicasAgree(chain);
  }, 120_000);

  it('prototype pollution stays inside the polluting activation; the next call sees clean built-ins', async () => {
    const chain = await arena();
    const attacker = chain.organizations[0]!.admin;
    const polluted = await chain.send(attacker, 'contract.call', { name: 'hostile', method: 'pollute' });
    expect(polluted.status).toBe('ok');
    expect(resultOf(polluted)).toMatchObject({ result: { polluted: null, push: 2, json: '[1]' } });
    expect(contractState(chain, 'hostile', 'pollution')).toEqual({ clean: true });
    // Polluting the prototypes behind the host API does not change what the API does.
    const api = await chain.send(attacker, 'contract.call', {
      name: 'hostile',
      method: 'pollutePrototypeOfHostApi',
    });
    expect(resultOf(api)).toMatchObject({ result: 1 });
    expect(contractState(chain, 'hostile', 'real')).toBe(1);
    const after = await chain.send(attacker, 'contract.call', { name: 'victim', method: 'inspect' });
    expect(resultOf(after)).toMatchObject({ result: { polluted: null, push: 2, json: '[1]' } });
    expect(
      resultOf(await chain.send(attacker, 'contract.call', { name: 'hostile', method: 'hostGlobals' })),
    ).toMatchObject({ result: [] });
    await expectReplicasAgree(chain);
  }, 60_000);

  it('a contract cannot write outside its own namespace, whatever its keys look like', async () => {
    const chain = await arena();
    const receipt = await chain.send(chain.organizations[0]!.admin, 'contract.call', {
      name: 'hostile',
      method: 'escapeNamespace',
    });
    expect(receipt.status).toBe('ok');
    expect(contractState(chain, 'victim', 'secret')).toBe('kept');
    expect(contractState(chain, 'hostile', '../victim/secret')).toBe('stolen');
    expect(contractState(chain, 'hostile', '/state/victim/secret')).toBe('stolen');
    // And nothing outside the contract module's namespace changed.
    const secret = await chain.send(chain.organizations[1]!.admin, 'contract.call', {
      name: 'victim',
      method: 'secret',
    });
    expect(resultOf(secret)).toMatchObject({ result: 'kept' });
    await expectReplicasAgree(chain);
  }, 60_000);
});

describe('unauthorised callers', () => {
  it('unknown keys, suspended organisations and wrong roles are refused before or inside the contract', async () => {
    const chain = await arena();
    const stranger = generateSigningKeyPair();
    expect(await chain.send(stranger, 'contract.call', { name: 'victim', method: 'bump' })).toMatchObject({
      errorCode: 'NOT_A_MEMBER',
    });

    const admin = await chain.admit('short-lived');
    const user = await chain.addUser(admin, 'short-lived', ['member']);
    expect((await chain.send(user, 'contract.call', { name: 'victim', method: 'bump' })).status).toBe('ok');
    await chain.send(chain.regulator, 'membership.suspendOrganization', { id: 'short-lived' });
    expect(await chain.send(user, 'contract.call', { name: 'victim', method: 'bump' })).toMatchObject({
      errorCode: 'ORGANIZATION_SUSPENDED',
    });

    // A member without an agency role cannot approve in the agency contract (the contract checks ctx.roles).
    const roleGated = await compileContract(
      `export function approve(ctx) { ctx.require(ctx.hasRole('agency:planning'), 'only the planning agency'); return 'approved'; }`,
      'js',
    );
    await chain.deploy('gated', roleGated.code);
    const member = chain.organizations[0]!.admin;
    expect(await chain.send(member, 'contract.call', { name: 'gated', method: 'approve' })).toMatchObject({
      errorCode: 'REVERTED',
    });
    const planning = await chain.admit('planning', ['agency:planning']);
    const officer = await chain.addUser(planning, 'planning', ['agency:planning']);
    expect(
      resultOf(await chain.send(officer, 'contract.call', { name: 'gated', method: 'approve' })),
    ).toMatchObject({ result: 'approved' });
    await expectReplicasAgree(chain);
  }, 60_000);

  it('a deployment without a quorum does nothing', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const { code, codeHash } = await compileContract('export function f() { return 1; }', 'js');
    const proposed = await chain.send(chain.organizations[0]!.admin, 'governance.propose', {
      action: { type: 'deployContract', name: 'unagreed', code, codeHash },
    });
    await chain.send(chain.organizations[1]!.admin, 'governance.vote', {
      id: resultOf<{ id: number }>(proposed).id,
      approve: true,
      codeHash,
    });
    // Two of three members agree, but the regulator has not: still open, nothing deployed.
    expect(await chain.query('contract', 'list')).toEqual([]);
    expect(
      await chain.send(chain.organizations[0]!.admin, 'contract.call', { name: 'unagreed', method: 'f' }),
    ).toMatchObject({
      errorCode: 'CONTRACT_NOT_FOUND',
    });
    expect(eventsOf(proposed).map((e) => e.name)).not.toContain('contract.deployed');
  });
});
