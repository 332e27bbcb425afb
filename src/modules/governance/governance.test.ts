import { describe, expect, it } from 'vitest';
import { toHex } from '../../codec/bytes.ts';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { eventsOf, resultOf, TestChain } from '../membership/testing.ts';

function admitAction(chain: TestChain, id: string) {
  const admin = generateSigningKeyPair();
  return {
    admin,
    action: {
      type: 'admitOrganization',
      organization: {
        id,
        name: id,
        roles: ['auditor'],
        admin: chain.statement(admin, {
          organization: id,
          kind: 'user',
          name: 'admin',
          roles: ['org-admin'],
        }),
      },
    },
  };
}

async function organizationIds(chain: TestChain): Promise<string[]> {
  return (await chain.query<{ id: string }[]>('membership', 'organizations')).map((o) => o.id);
}

describe('governance proposals', () => {
  it('pass with two thirds of the members plus the regulator, and are enacted in the completing vote', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const [org0, org1, org2] = chain.organizations;
    const { action } = admitAction(chain, 'newcomer');
    const proposed = await chain.send(org0!.admin, 'governance.propose', {
      action,
      description: 'admit the newcomer',
    });
    expect(resultOf(proposed)).toMatchObject({ id: 1, status: 'open' });
    expect(eventsOf(proposed).map((e) => e.name)).toEqual([
      'governance.proposalSubmitted',
      'governance.voteCast',
    ]);

    // Without a quorum nothing happens.
    const regulatorVote = await chain.send(chain.regulator, 'governance.vote', { id: 1, approve: true });
    expect(resultOf(regulatorVote)).toMatchObject({ status: 'open' });
    expect(await organizationIds(chain)).not.toContain('newcomer');

    const completing = await chain.send(org1!.admin, 'governance.vote', { id: 1, approve: true });
    expect(resultOf(completing)).toMatchObject({ status: 'passed' });
    expect(eventsOf(completing).map((e) => e.name)).toEqual([
      'governance.voteCast',
      'membership.organizationAdmitted',
      'membership.memberRegistered',
      'governance.proposalPassed',
    ]);
    expect(await organizationIds(chain)).toContain('newcomer');
    expect(await chain.query('membership', 'organization', { id: 'newcomer' })).toMatchObject({
      admittedBy: 'governance',
    });

    expect(await chain.send(org2!.admin, 'governance.vote', { id: 1, approve: true })).toMatchObject({
      errorCode: 'PROPOSAL_CLOSED',
    });
    const details = await chain.query<{ status: string; votes: unknown[]; tally: { memberYes: number } }>(
      'governance',
      'proposal',
      {
        id: 1,
      },
    );
    expect(details.status).toBe('passed');
    expect(details.votes).toHaveLength(3);
  });

  it('one vote per organisation, cast by an org-admin', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const [org0] = chain.organizations;
    await chain.send(org0!.admin, 'governance.propose', admitAction(chain, 'x'));
    expect(await chain.send(org0!.admin, 'governance.vote', { id: 1, approve: false })).toMatchObject({
      errorCode: 'ALREADY_VOTED',
    });
    const secondAdmin = await chain.addUser(org0!.admin, 'org-0', ['org-admin']);
    expect(await chain.send(secondAdmin, 'governance.vote', { id: 1, approve: true })).toMatchObject({
      errorCode: 'ALREADY_VOTED',
    });
    const user = await chain.addUser(org0!.admin, 'org-0', ['member']);
    expect(await chain.send(user, 'governance.vote', { id: 1, approve: true })).toMatchObject({
      errorCode: 'ROLE_REQUIRED',
    });
    const stranger = generateSigningKeyPair();
    expect(await chain.send(stranger, 'governance.vote', { id: 1, approve: true })).toMatchObject({
      errorCode: 'NOT_A_MEMBER',
    });
    expect(await chain.send(org0!.admin, 'governance.vote', { id: 9, approve: true })).toMatchObject({
      errorCode: 'PROPOSAL_NOT_FOUND',
    });
  });

  it('are rejected when they can no longer pass (members or the regulator against)', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const [org0, org1, org2] = chain.organizations;
    await chain.send(org0!.admin, 'governance.propose', admitAction(chain, 'a'));
    await chain.send(org1!.admin, 'governance.vote', { id: 1, approve: false });
    const rejecting = await chain.send(org2!.admin, 'governance.vote', { id: 1, approve: false });
    expect(resultOf(rejecting)).toMatchObject({ status: 'rejected' });
    expect(eventsOf(rejecting).map((e) => e.name)).toContain('governance.proposalRejected');

    await chain.send(org0!.admin, 'governance.propose', admitAction(chain, 'b'));
    expect(
      resultOf(await chain.send(chain.regulator, 'governance.vote', { id: 2, approve: false })),
    ).toMatchObject({ status: 'rejected' });
    expect(await organizationIds(chain)).not.toContain('a');
    expect(await organizationIds(chain)).not.toContain('b');
    expect((await chain.query<unknown[]>('governance', 'proposals', { status: 'rejected' })).length).toBe(2);
  });

  it('expire after the voting period: votes are refused and listings say expired', async () => {
    const chain = TestChain.create({ memberOrganizations: 3, governance: { votingPeriodBlocks: 2 } });
    const [org0, org1] = chain.organizations;
    await chain.send(org0!.admin, 'governance.propose', admitAction(chain, 'late')); // height 1, expires after 3
    await chain.run([]);
    await chain.run([]);
    await chain.send(chain.regulator, 'governance.vote', { id: 1, approve: true }); // height 4
    expect(await chain.send(org1!.admin, 'governance.vote', { id: 1, approve: true })).toMatchObject({
      errorCode: 'PROPOSAL_EXPIRED',
    });
    expect(await chain.query('governance', 'proposals', { status: 'expired' })).toEqual([
      expect.objectContaining({ id: 1, status: 'expired', expiresAtHeight: 3 }),
    ]);
    expect(await organizationIds(chain)).not.toContain('late');
  });

  it('a proposal whose action no longer applies fails, and applies nothing', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const [org0, org1, org2] = chain.organizations;
    const { action } = admitAction(chain, 'twice');
    await chain.send(org0!.admin, 'governance.propose', { action });
    // The regulator admits it directly meanwhile (which also makes four members: three votes needed).
    await chain.admit('twice');
    await chain.send(chain.regulator, 'governance.vote', { id: 1, approve: true });
    await chain.send(org1!.admin, 'governance.vote', { id: 1, approve: true });
    const completing = await chain.send(org2!.admin, 'governance.vote', { id: 1, approve: true });
    expect(completing.status).toBe('ok');
    expect(resultOf(completing)).toMatchObject({
      status: 'failed',
      outcome: { code: 'ORGANIZATION_EXISTS' },
    });
    expect(eventsOf(completing).map((e) => e.name)).toEqual([
      'governance.voteCast',
      'governance.proposalFailed',
    ]);
    const members = await chain.query<unknown[]>('membership', 'members', { organization: 'twice' });
    expect(members).toHaveLength(1); // only the directly admitted admin
  });

  it('checks actions when they are proposed', async () => {
    const chain = TestChain.create({ memberOrganizations: 2 });
    const admin = chain.organizations[0]!.admin;
    const propose = (action: unknown) => chain.send(admin, 'governance.propose', { action });
    expect(await propose({ type: 'launchRocket' })).toMatchObject({ errorCode: 'BAD_PROPOSAL' });
    expect(await propose({ type: 'suspendOrganization', id: 'nobody' })).toMatchObject({
      errorCode: 'ORGANIZATION_NOT_FOUND',
    });
    expect(await propose({ type: 'addValidator', publicKey: toHex(admin.publicKey) })).toMatchObject({
      errorCode: 'NOT_A_NODE',
    });
    expect(await propose({ type: 'setParameters', parameters: { checkpointInterval: 100 } })).toMatchObject({
      errorCode: 'BAD_PARAMETERS',
    });
    expect(await propose({ type: 'setParameters', parameters: { colour: 1 } })).toMatchObject({
      errorCode: 'BAD_PARAMETERS',
    });
    expect(
      await propose({ type: 'deployContract', name: 'x', code: 'export function f() {}', codeHash: '0x00' }),
    ).toMatchObject({
      errorCode: 'CODE_HASH_MISMATCH',
    });
    expect(await propose({ type: 'disableContract', name: 'ghost' })).toMatchObject({
      errorCode: 'CONTRACT_NOT_FOUND',
    });
    expect((await chain.query<unknown[]>('governance', 'proposals')).length).toBe(0);
  });

  it('the quorum rule is a genesis setting', async () => {
    const chain = TestChain.create({
      memberOrganizations: 2,
      governance: { quorum: { numerator: 1, denominator: 1 }, requireRegulator: false },
    });
    const [org0, org1] = chain.organizations;
    const first = await chain.send(org0!.admin, 'governance.propose', admitAction(chain, 'unanimous'));
    expect(resultOf(first)).toMatchObject({ status: 'open' });
    expect(
      resultOf(await chain.send(org1!.admin, 'governance.vote', { id: 1, approve: true })),
    ).toMatchObject({ status: 'passed' });
    expect(await chain.query('governance', 'settings')).toMatchObject({
      governance: { requireRegulator: false },
    });
  });
});

describe('validators and parameters', () => {
  /** Proposed by org-0, then yes-votes from the regulator and the other organisations until it passes. */
  async function passed(chain: TestChain, action: unknown) {
    const [first, ...others] = chain.organizations;
    const proposed = await chain.send(first!.admin, 'governance.propose', { action });
    expect(proposed.status, proposed.errorMessage).toBe('ok');
    const { id } = resultOf<{ id: number }>(proposed);
    for (const voter of [chain.regulator, ...others.map((o) => o.admin)]) {
      const receipt = await chain.send(voter, 'governance.vote', { id, approve: true });
      if (resultOf<{ status: string }>(receipt).status !== 'open') {
        expect(resultOf(receipt)).toMatchObject({ status: 'passed' });
        return receipt;
      }
    }
    throw new Error('the proposal did not pass');
  }

  it('adding a registered node records the new validator list and emits validatorSetChanged', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const admin = await chain.admit('newcomer');
    const node = generateSigningKeyPair();
    await chain.send(admin, 'membership.registerMember', {
      statement: chain.statement(node, {
        organization: 'newcomer',
        kind: 'node',
        name: 'newcomer-node',
        roles: ['validator'],
        host: '10.1.2.3',
        port: 26_650,
      }),
    });
    const added = await passed(chain, { type: 'addValidator', publicKey: toHex(node.publicKey) });
    const changed = eventsOf(added).find((e) => e.name === 'governance.validatorSetChanged')!;
    const validators = (changed.data as { validators: unknown[] }).validators;
    expect(validators).toHaveLength(4);
    expect(validators[3]).toEqual({
      publicKey: toHex(node.publicKey),
      name: 'newcomer-node',
      host: '10.1.2.3',
      port: 26_650,
    });
    expect(await chain.query('governance', 'validators')).toEqual(validators);

    const removed = await passed(chain, {
      type: 'removeValidator',
      publicKey: chain.genesis.validators[0]!.publicKey,
    });
    const after = (
      eventsOf(removed).find((e) => e.name === 'governance.validatorSetChanged')!.data as {
        validators: { publicKey: string }[];
      }
    ).validators;
    expect(after.map((v) => v.publicKey)).not.toContain(chain.genesis.validators[0]!.publicKey);
    expect(after).toHaveLength(3);
  });

  it('parameter changes are checked against the current parameters, recorded, and announced', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const completing = await passed(chain, {
      type: 'setParameters',
      parameters: { maxBatchCount: 500, checkpointInterval: 16 },
    });
    const event = eventsOf(completing).find((e) => e.name === 'governance.parametersChanged')!;
    expect(event.data).toMatchObject({
      changed: ['checkpointInterval', 'maxBatchCount'],
      parameters: { maxBatchCount: 500, checkpointInterval: 16 },
    });
    expect(await chain.query('governance', 'settings')).toMatchObject({
      parameters: { maxBatchCount: 500, checkpointInterval: 16 },
    });
  });
});
