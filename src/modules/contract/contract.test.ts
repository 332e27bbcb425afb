/**
 * Contracts on chain: deployed through governance, called by members with
 * their on-chain roles, every call leaving a receipt with its gas, result and
 * events. The example is the five-agency approval contract.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../codec/bytes.ts';
import { compileContract } from '../../contracts/compile.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../../crypto/ed25519.ts';
import { eventsOf, resultOf, TestChain } from '../membership/testing.ts';
import { CHUNK_BYTES } from './chunks.ts';
import { blockGasReservation, CALL_OVERHEAD_GAS, MAX_BLOCK_CONTRACT_GAS } from './contract-module.ts';

const STEPS = ['development-reform', 'planning', 'environment', 'housing', 'transport'];
const DOCUMENTS = `0x${'d0c5'.repeat(16)}`;
let agency: { code: string; codeHash: string };

beforeAll(async () => {
  const { code, codeHash } = await compileContract(
    readFileSync(new URL('../../../examples/contracts/agency-approval.ts', import.meta.url), 'utf8'),
  );
  agency = { code, codeHash };
});

interface World {
  chain: TestChain;
  officers: Map<string, SigningKeyPair>;
  applicant: SigningKeyPair;
}

/** A chain with the contract deployed, the five agencies admitted (each with an officer holding its role) and an applicant. */
async function agencyWorld(): Promise<World> {
  const chain = TestChain.create({ memberOrganizations: 3 });
  await chain.deploy('agency-approval', agency.code);
  const officers = new Map<string, SigningKeyPair>();
  for (const step of STEPS) {
    const admin = await chain.admit(step, [`agency:${step}`]);
    officers.set(step, await chain.addUser(admin, step, [`agency:${step}`]));
  }
  const developerAdmin = await chain.admit('riverside-developer');
  const applicant = await chain.addUser(developerAdmin, 'riverside-developer', ['member']);
  return { chain, officers, applicant };
}

const call = (name: string, method: string, args: unknown, extra: object = {}) => ({
  name,
  method,
  args,
  ...extra,
});

describe('deploying through governance', () => {
  it('a deploy proposal carries code and hash; yes-votes must name the hash; the passing vote deploys it', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const [org0, org1] = chain.organizations;
    const proposed = await chain.send(org0!.admin, 'governance.propose', {
      action: { type: 'deployContract', name: 'agency-approval', ...agency },
    });
    expect(resultOf(proposed)).toMatchObject({ id: 1, status: 'open' });
    expect(await chain.query('governance', 'proposal', { id: 1 })).toMatchObject({
      action: {
        type: 'deployContract',
        name: 'agency-approval',
        codeHash: agency.codeHash,
        codeBytes: agency.code.length,
      },
    });
    expect(await chain.query('governance', 'action', { id: 1 })).toMatchObject({ code: agency.code });
    expect(await chain.send(chain.regulator, 'governance.vote', { id: 1, approve: true })).toMatchObject({
      errorCode: 'CODE_HASH_MISMATCH',
    });
    expect(
      await chain.send(chain.regulator, 'governance.vote', {
        id: 1,
        approve: true,
        codeHash: `0x${'00'.repeat(32)}`,
      }),
    ).toMatchObject({
      errorCode: 'CODE_HASH_MISMATCH',
    });
    await chain.send(chain.regulator, 'governance.vote', { id: 1, approve: true, codeHash: agency.codeHash });
    const passing = await chain.send(org1!.admin, 'governance.vote', {
      id: 1,
      approve: true,
      codeHash: agency.codeHash,
    });
    expect(resultOf(passing)).toMatchObject({
      status: 'passed',
      outcome: { name: 'agency-approval', version: 1 },
    });
    expect(eventsOf(passing).map((e) => e.name)).toEqual([
      'governance.voteCast',
      'contract.deployed',
      'governance.proposalPassed',
    ]);
    expect(await chain.query('contract', 'list')).toEqual([
      {
        name: 'agency-approval',
        version: 1,
        codeHash: agency.codeHash,
        codeBytes: agency.code.length,
        status: 'active',
        methods: ['approve', 'awaiting', 'get', 'list', 'reject', 'submit'],
      },
    ]);
    expect(await chain.query('contract', 'code', { codeHash: agency.codeHash })).toEqual({
      codeHash: agency.codeHash,
      code: agency.code,
    });
  });

  it('refuses code that does not load, at proposal time', async () => {
    const chain = TestChain.create();
    const bad = await compileContract('export function f() { return 1 }\nthrow new Error("top level")', 'js');
    const receipt = await chain.send(chain.organizations[0]!.admin, 'governance.propose', {
      action: { type: 'deployContract', name: 'bad', code: bad.code, codeHash: bad.codeHash },
    });
    expect(receipt).toMatchObject({ errorCode: 'CONTRACT_CODE_INVALID' });
  });

  it('stores code larger than one trie value in chunks', async () => {
    const chain = TestChain.create();
    const filler = `// ${'x'.repeat(3 * CHUNK_BYTES)}\n`;
    const big = await compileContract(`${filler}export function size() { return ${3 * CHUNK_BYTES}; }`, 'js');
    await chain.deploy('big', big.code);
    const caller = chain.organizations[0]!.admin;
    expect(resultOf(await chain.send(caller, 'contract.call', call('big', 'size', null)))).toMatchObject({
      result: 3 * CHUNK_BYTES,
    });
    expect(await chain.query('contract', 'code', { codeHash: big.codeHash })).toEqual({
      codeHash: big.codeHash,
      code: big.code,
    });
  });
});

describe('calling contracts', () => {
  it('runs an application through all five agencies with their on-chain roles; every call is a receipt with gas and events', async () => {
    const { chain, officers, applicant } = await agencyWorld();

    const submitted = await chain.send(
      applicant,
      'contract.call',
      call('agency-approval', 'submit', {
        projectName: 'Riverside school',
        location: 'Wuchang',
        documentsHash: DOCUMENTS,
      }),
    );
    expect(submitted.status).toBe('ok');
    expect(submitted.gasUsed).toBeGreaterThan(0);
    expect(resultOf(submitted)).toMatchObject({
      contract: 'agency-approval',
      method: 'submit',
      version: 1,
      codeHash: agency.codeHash,
      result: 'APP-000001',
    });
    expect(eventsOf(submitted)).toEqual([
      {
        name: 'contract.ApplicationSubmitted',
        data: {
          contract: 'agency-approval',
          data: {
            id: 'APP-000001',
            applicant: toHex(applicant.publicKey),
            projectName: 'Riverside school',
            documentsHash: DOCUMENTS,
          },
        },
      },
    ]);

    // Out of turn: the planning officer cannot decide before development & reform.
    const early = await chain.send(
      officers.get('planning')!,
      'contract.call',
      call('agency-approval', 'approve', { id: 'APP-000001', comment: 'ok' }),
    );
    expect(early).toMatchObject({ status: 'error', errorCode: 'REVERTED', events: [] });
    expect(early.errorMessage).toMatch(/turn of development-reform/);
    expect(early.gasUsed).toBeGreaterThan(0);

    // The applicant holds no agency role: it cannot approve its own application.
    expect(
      await chain.send(
        applicant,
        'contract.call',
        call('agency-approval', 'approve', { id: 'APP-000001', comment: 'self' }),
      ),
    ).toMatchObject({
      errorCode: 'REVERTED',
    });

    // What each agency sees waiting for it (the contract scans its queue in chain state).
    const awaiting = (step: string) =>
      chain.query<{ result: string[] }>('contract', 'query', {
        name: 'agency-approval',
        method: 'awaiting',
        caller: toHex(officers.get(step)!.publicKey),
      });
    expect((await awaiting('development-reform')).result).toEqual(['APP-000001']);
    expect((await awaiting('planning')).result).toEqual([]);

    for (const step of STEPS) {
      const receipt = await chain.send(
        officers.get(step)!,
        'contract.call',
        call('agency-approval', 'approve', { id: 'APP-000001', comment: `${step} agrees` }),
      );
      expect(receipt.status, receipt.errorMessage).toBe('ok');
      expect(eventsOf(receipt)[0]).toMatchObject({ name: 'contract.StepApproved', data: { data: { step } } });
    }
    const application = await chain.query<{
      result: { status: string; history: { action: string; step: string | null; by: string }[] };
    }>('contract', 'query', {
      name: 'agency-approval',
      method: 'get',
      args: { id: 'APP-000001' },
      caller: toHex(applicant.publicKey),
    });
    expect(application.result.status).toBe('approved');
    expect(application.result.history.map((h) => [h.action, h.step])).toEqual([
      ['submitted', null],
      ...STEPS.map((s) => ['approved', s]),
    ]);
    expect(application.result.history[2]!.by).toBe(toHex(officers.get('planning')!.publicKey));

    // Queries cannot write, and read restrictions apply to the claimed caller.
    await expect(
      chain.query('contract', 'query', {
        name: 'agency-approval',
        method: 'submit',
        args: { projectName: 'p', location: 'l', documentsHash: DOCUMENTS },
        caller: toHex(applicant.publicKey),
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'READ_ONLY' }));
    const outsider = toHex(generateSigningKeyPair().publicKey);
    await expect(
      chain.query('contract', 'query', {
        name: 'agency-approval',
        method: 'get',
        args: { id: 'APP-000001' },
        caller: outsider,
      }),
    ).rejects.toThrow(/not authorised/);

    // Every replica that re-executes these blocks agrees.
    expect(await chain.replayRoot()).toBe(chain.root);
  });

  it('only members call contracts; unknown contracts and methods fail cleanly', async () => {
    const chain = TestChain.create();
    await chain.deploy('agency-approval', agency.code);
    const stranger = generateSigningKeyPair();
    expect(await chain.send(stranger, 'contract.call', call('agency-approval', 'list', null))).toMatchObject({
      errorCode: 'NOT_A_MEMBER',
    });
    const member = chain.organizations[0]!.admin;
    expect(await chain.send(member, 'contract.call', call('nope', 'list', null))).toMatchObject({
      errorCode: 'CONTRACT_NOT_FOUND',
    });
    expect(await chain.send(member, 'contract.call', call('agency-approval', 'missing', null))).toMatchObject(
      { errorCode: 'METHOD_NOT_FOUND' },
    );
    expect(
      await chain.send(
        member,
        'contract.call',
        call('agency-approval', 'list', null, { gasLimit: 10 ** 12 }),
      ),
    ).toMatchObject({
      errorCode: 'BAD_GAS_LIMIT',
    });
  });

  it('upgrades keep state and the history of code hashes; disable stops calls; enable resumes them', async () => {
    const chain = TestChain.create();
    const v1 = await compileContract(
      'export function put(ctx, a) { ctx.state.put("k", a); return 1; }\nexport function get(ctx) { return ctx.state.get("k") ?? null; }',
      'js',
    );
    const v2 = await compileContract(
      'export function put(ctx, a) { ctx.state.put("k", a); return 2; }\nexport function get(ctx) { return { v2: ctx.state.get("k") ?? null }; }',
      'js',
    );
    await chain.deploy('store', v1.code);
    const member = chain.organizations[0]!.admin;
    await chain.send(member, 'contract.call', call('store', 'put', 'kept'));

    const upgraded = await chain.pass({
      type: 'upgradeContract',
      name: 'store',
      code: v2.code,
      codeHash: v2.codeHash,
    });
    expect(resultOf(upgraded)).toMatchObject({
      status: 'passed',
      outcome: { version: 2, codeHash: v2.codeHash },
    });
    expect(eventsOf(upgraded).find((e) => e.name === 'contract.upgraded')?.data).toMatchObject({
      previousCodeHash: v1.codeHash,
      version: 2,
    });
    expect(resultOf(await chain.send(member, 'contract.call', call('store', 'get', null)))).toMatchObject({
      version: 2,
      result: { v2: 'kept' },
    });

    await chain.pass({ type: 'disableContract', name: 'store' });
    expect(await chain.send(member, 'contract.call', call('store', 'get', null))).toMatchObject({
      errorCode: 'CONTRACT_DISABLED',
    });
    await chain.pass({ type: 'enableContract', name: 'store' });
    expect((await chain.send(member, 'contract.call', call('store', 'get', null))).status).toBe('ok');

    const info = await chain.query<{
      history: { action: string; version: number; codeHash: string; proposal: number }[];
    }>('contract', 'info', {
      name: 'store',
    });
    expect(info.history.map((h) => [h.action, h.version, h.codeHash])).toEqual([
      ['deploy', 1, v1.codeHash],
      ['upgrade', 2, v2.codeHash],
      ['disable', 2, v2.codeHash],
      ['enable', 2, v2.codeHash],
    ]);
    expect(info.history.map((h) => h.proposal)).toEqual([1, 2, 3, 4]);
    // The old version's code stays retrievable by its hash.
    expect(await chain.query('contract', 'code', { codeHash: v1.codeHash })).toMatchObject({ code: v1.code });
  });

  it(`bounds the contract work of one block: calls reserve gas limit + ${CALL_OVERHEAD_GAS} of ${MAX_BLOCK_CONTRACT_GAS}`, async () => {
    const chain = TestChain.create();
    const spin = await compileContract(
      'export function spin() { for (;;) {} }\nexport function noop() { return 1; }',
      'js',
    );
    await chain.deploy('spin', spin.code);
    const member = chain.organizations[0]!.admin;
    const perCall = 9_000_000;
    const spinning = () =>
      chain.tx(member, 'contract.call', call('spin', 'spin', null, { gasLimit: perCall }));
    const noop = (gasLimit: number) =>
      chain.tx(member, 'contract.call', call('spin', 'noop', null, { gasLimit }));
    // Four 9 M calls reserve 37.6 M; a fifth does not fit, nor does a small call reserving more
    // than the 2.4 M left, but one reserving less does.
    const executed = await chain.run([
      ...Array.from({ length: 5 }, spinning),
      noop(2_100_000),
      noop(1_000_000),
    ]);
    expect(
      executed.receipts.slice(0, 4).every((r) => r.errorCode === 'OUT_OF_GAS' && r.gasUsed === perCall),
    ).toBe(true);
    expect(executed.receipts[4]).toMatchObject({ errorCode: 'BLOCK_GAS_EXHAUSTED', gasUsed: 0 });
    expect(executed.receipts[5]).toMatchObject({ errorCode: 'BLOCK_GAS_EXHAUSTED', gasUsed: 0 });
    expect(executed.receipts[6]!.status).toBe('ok');
    // What a proposer would reserve for each of them: exactly what the executor checks.
    const reserved = executed.txs.map((tx) => blockGasReservation(tx.body.kind, tx.body.payload));
    expect(reserved).toEqual([
      ...Array(5).fill(perCall + CALL_OVERHEAD_GAS),
      2_100_000 + CALL_OVERHEAD_GAS,
      1_000_000 + CALL_OVERHEAD_GAS,
    ]);
    expect(blockGasReservation('kv.put', new Uint8Array())).toBe(0);
    // A fresh block has its own budget.
    expect(
      (await chain.send(member, 'contract.call', call('spin', 'spin', null, { gasLimit: perCall })))
        .errorCode,
    ).toBe('OUT_OF_GAS');
  }, 120_000);

  it('many typical calls in one block: exactly as many run as their reservations fit', async () => {
    const chain = TestChain.create();
    const counter = await compileContract(
      'export function inc(ctx) { const n = (ctx.state.get("n") ?? 0) + 1; ctx.state.put("n", n); return n; }',
      'js',
    );
    await chain.deploy('counter', counter.code);
    const member = chain.organizations[0]!.admin;
    const gasLimit = 100_000;
    const fits = Math.floor(MAX_BLOCK_CONTRACT_GAS / (gasLimit + CALL_OVERHEAD_GAS));
    const executed = await chain.run(
      Array.from({ length: fits + 5 }, () =>
        chain.tx(member, 'contract.call', call('counter', 'inc', null, { gasLimit })),
      ),
    );
    const codes = executed.receipts.map((r) => r.errorCode);
    expect(codes.slice(0, fits).every((c) => c === '')).toBe(true);
    expect(codes.slice(fits)).toEqual(Array(5).fill('BLOCK_GAS_EXHAUSTED'));
  }, 120_000);
});
