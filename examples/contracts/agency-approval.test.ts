/**
 * The multi-agency approval contract, compiled from TypeScript and run in the
 * sandbox against the in-memory host, the way every validator would run it.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileContract } from '../../src/contracts/compile.ts';
import { MemoryContractHost, receiptDigest } from '../../src/contracts/memory-host.ts';
import { ContractSandbox } from '../../src/contracts/sandbox.ts';
import type { CallReceipt, JsonValue } from '../../src/contracts/types.ts';

const CONTRACT = 'agency-approval';
const STEPS = ['development-reform', 'planning', 'environment', 'housing', 'transport'];
const APPLICANT = `0x${'a1'.repeat(32)}`;
const OUTSIDER = `0x${'0e'.repeat(32)}`;
const AUDITOR = `0x${'ad'.repeat(32)}`;
const agencyKey = (step: string) => `0x${(STEPS.indexOf(step) + 1).toString(16).padStart(2, '0').repeat(32)}`;
const DOCUMENTS = `0x${'d0c5'.repeat(16)}`;
const APPLICATION = { projectName: 'Riverside school', location: 'Wuchang, Wuhan', documentsHash: DOCUMENTS };

let code: string;

class Chain {
  readonly host = new MemoryContractHost();
  height = 100;
  constructor(readonly sandbox: ContractSandbox) {
    this.host.deploy(CONTRACT, code);
  }

  /** A transaction: executed, then committed like a block executor would. */
  async send(caller: string, roles: string[], method: string, args: JsonValue): Promise<CallReceipt> {
    this.height += 1;
    const context = {
      caller,
      roles,
      height: this.height,
      timestampMs: 1_700_000_000_000 + this.height * 1000,
    };
    const receipt = await this.sandbox.call(this.host, { contract: CONTRACT, method, args, context });
    this.host.apply(receipt);
    return receipt;
  }

  query(caller: string, roles: string[], method: string, args: JsonValue): Promise<CallReceipt> {
    const context = { caller, roles, height: this.height, timestampMs: 1_700_000_000_000 };
    return this.sandbox.query(this.host, { contract: CONTRACT, method, args, context });
  }

  decide(step: string, method: 'approve' | 'reject', id: string, comment = `${step}: ${method}d`) {
    return this.send(agencyKey(step), [`agency:${step}`], method, { id, comment });
  }
}

async function newChain(): Promise<Chain> {
  return new Chain(await ContractSandbox.create());
}

function expectReverted(receipt: CallReceipt, message: RegExp) {
  expect(receipt.status).toBe('error');
  expect(receipt.error?.code).toBe('REVERTED');
  expect(receipt.error?.message).toMatch(message);
  expect(receipt.writes).toEqual([]);
}

describe('agency approval contract', () => {
  beforeAll(async () => {
    code = (await compileContract(readFileSync(new URL('./agency-approval.ts', import.meta.url), 'utf8')))
      .code;
  });

  it('exposes its methods', async () => {
    const sandbox = await ContractSandbox.create();
    expect(await sandbox.inspect(code)).toEqual({
      methods: ['approve', 'awaiting', 'get', 'list', 'reject', 'submit'],
    });
  });

  it('goes through all five agencies in order and keeps the whole history', async () => {
    const chain = await newChain();
    const submitted = await chain.send(APPLICANT, [], 'submit', APPLICATION);
    expect(submitted.status).toBe('ok');
    expect(submitted.result).toBe('APP-000001');
    expect(submitted.events).toEqual([
      {
        contract: CONTRACT,
        name: 'ApplicationSubmitted',
        data: {
          id: 'APP-000001',
          applicant: APPLICANT,
          projectName: 'Riverside school',
          documentsHash: DOCUMENTS,
        },
      },
    ]);

    for (const [i, step] of STEPS.entries()) {
      const waiting = await chain.query(agencyKey(step), [`agency:${step}`], 'awaiting', null);
      expect(waiting.result).toEqual(['APP-000001']);
      const receipt = await chain.decide(step, 'approve', 'APP-000001');
      expect(receipt.status, receipt.error?.message).toBe('ok');
      const last = i === STEPS.length - 1;
      expect(receipt.events.map((e) => e.name)).toEqual(
        last ? ['StepApproved', 'ApplicationApproved'] : ['StepApproved'],
      );
      expect(receipt.events[0]!.data).toMatchObject({ id: 'APP-000001', step, by: agencyKey(step) });
      if (!last) expect(receipt.events[0]!.data).toMatchObject({ next: STEPS[i + 1] });
    }

    const read = await chain.query(APPLICANT, [], 'get', { id: 'APP-000001' });
    expect(read.status).toBe('ok');
    const application = read.result as { status: string; history: Array<Record<string, JsonValue>> };
    expect(application.status).toBe('approved');
    expect(application.history.map((h) => [h.action, h.step, h.by])).toEqual([
      ['submitted', null, APPLICANT],
      ...STEPS.map((step) => ['approved', step, agencyKey(step)]),
    ]);
    expect(application.history[1]).toMatchObject({ comment: 'development-reform: approved', height: 102 });
    expect(chain.host.readState(CONTRACT, 'queue/transport/APP-000001')).toBeUndefined();
  });

  it('refuses an agency without the role, and callers without any agency role', async () => {
    const chain = await newChain();
    await chain.send(APPLICANT, [], 'submit', APPLICATION);
    const impostor = await chain.send(agencyKey('planning'), ['agency:environment'], 'approve', {
      id: 'APP-000001',
      comment: 'pretending',
    });
    expectReverted(impostor, /turn of development-reform, not environment/);
    expectReverted(
      await chain.send(APPLICANT, [], 'approve', { id: 'APP-000001', comment: 'self-approval' }),
      /only an agency/,
    );
  });

  it('refuses approvals out of order', async () => {
    const chain = await newChain();
    await chain.send(APPLICANT, [], 'submit', APPLICATION);
    expectReverted(await chain.decide('environment', 'approve', 'APP-000001'), /turn of development-reform/);
    await chain.decide('development-reform', 'approve', 'APP-000001');
    expectReverted(await chain.decide('development-reform', 'approve', 'APP-000001'), /turn of planning/);
    expectReverted(await chain.decide('housing', 'approve', 'APP-000001'), /turn of planning/);
    expect((await chain.decide('planning', 'approve', 'APP-000001')).status).toBe('ok');
  });

  it('ends the workflow on a rejection', async () => {
    const chain = await newChain();
    await chain.send(APPLICANT, [], 'submit', APPLICATION);
    await chain.decide('development-reform', 'approve', 'APP-000001');
    const rejected = await chain.decide('planning', 'reject', 'APP-000001', 'violates the zoning plan');
    expect(rejected.status).toBe('ok');
    expect(rejected.events).toEqual([
      {
        contract: CONTRACT,
        name: 'ApplicationRejected',
        data: {
          id: 'APP-000001',
          step: 'planning',
          by: agencyKey('planning'),
          comment: 'violates the zoning plan',
        },
      },
    ]);
    expectReverted(await chain.decide('environment', 'approve', 'APP-000001'), /already rejected/);
    expectReverted(await chain.decide('planning', 'approve', 'APP-000001'), /already rejected/);
    const waiting = await chain.query(agencyKey('environment'), ['agency:environment'], 'awaiting', null);
    expect(waiting.result).toEqual([]);
  });

  it('requires a comment and a well-formed application', async () => {
    const chain = await newChain();
    await chain.send(APPLICANT, [], 'submit', APPLICATION);
    expectReverted(
      await chain.decide('development-reform', 'approve', 'APP-000001', ''),
      /comment is required/,
    );
    expectReverted(
      await chain.send(APPLICANT, [], 'submit', { ...APPLICATION, documentsHash: 'abc' }),
      /documentsHash/,
    );
    expectReverted(
      await chain.send(APPLICANT, [], 'submit', { location: 'x', documentsHash: DOCUMENTS }),
      /projectName/,
    );
    expectReverted(
      await chain.decide('development-reform', 'approve', 'APP-999999'),
      /no application APP-999999/,
    );
  });

  it('lets the applicant, agencies, regulators and auditors read, and nobody else', async () => {
    const chain = await newChain();
    await chain.send(APPLICANT, [], 'submit', APPLICATION);
    await chain.send(OUTSIDER, [], 'submit', { ...APPLICATION, projectName: 'Another' });
    const read = (caller: string, roles: string[]) => chain.query(caller, roles, 'get', { id: 'APP-000001' });
    expect((await read(APPLICANT, [])).status).toBe('ok');
    expect((await read(AUDITOR, ['auditor'])).status).toBe('ok');
    expect((await read(agencyKey('housing'), ['agency:housing'])).status).toBe('ok');
    expect((await read(OUTSIDER, ['regulator'])).status).toBe('ok');
    expectReverted(await read(OUTSIDER, []), /not authorised/);
    expectReverted(await chain.query(OUTSIDER, [], 'list', null), /not authorised/);
    const listed = await chain.query(AUDITOR, ['auditor'], 'list', { limit: 1 });
    expect((listed.result as Array<{ id: string }>).map((a) => a.id)).toEqual(['APP-000001']);
    const next = await chain.query(AUDITOR, ['auditor'], 'list', { after: 'APP-000001' });
    expect((next.result as Array<{ id: string }>).map((a) => a.id)).toEqual(['APP-000002']);
  });

  it('reaches the same receipts and state on independent replicas', async () => {
    const script = async (chain: Chain) => {
      const receipts = [await chain.send(APPLICANT, [], 'submit', APPLICATION)];
      receipts.push(await chain.decide('planning', 'approve', 'APP-000001'));
      for (const step of STEPS.slice(0, 3)) receipts.push(await chain.decide(step, 'approve', 'APP-000001'));
      receipts.push(await chain.decide('housing', 'reject', 'APP-000001', 'not enough parking'));
      return { receipts: receipts.map(receiptDigest), state: chain.host.stateDigest() };
    };
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await script(await newChain()));
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });
});
