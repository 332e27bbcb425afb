import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateGenesis } from '../../chain/genesis.ts';
import { encodeTx, signTx } from '../../chain/transaction.ts';
import { toHex, utf8 } from '../../codec/bytes.ts';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { executeBlock, readNonce } from '../../exec/execute.ts';
import { moduleKey } from '../../exec/keys.ts';
import { MerklePatriciaTrie } from '../../trie/index.ts';
import { admittedNodeKeys } from './nodes.ts';
import { verifyStatement } from './statement.ts';
import { eventsOf, permissionedEnv, resultOf, TEST_CHAIN_ID, TestChain } from './testing.ts';

const put = (key: string) => ({ key, value: 'v' });
// biome-ignore lint/suspicious/noExplicitAny: genesis fixtures are mutated as plain JSON
type AnyJson = any;

describe('genesis registry', () => {
  it('holds the regulator, the member organisations and their nodes; the validators are admitted nodes', async () => {
    const chain = TestChain.create({ memberOrganizations: 3 });
    const organizations = await chain.query<{ id: string; regulator: boolean; status: string }[]>(
      'membership',
      'organizations',
    );
    expect(organizations.map((o) => [o.id, o.regulator, o.status])).toEqual([
      ['org-0', false, 'active'],
      ['org-1', false, 'active'],
      ['org-2', false, 'active'],
      ['regulator', true, 'active'],
    ]);
    const members = await chain.query<{ kind: string; roles: string[] }[]>('membership', 'members', {
      organization: 'org-1',
    });
    expect(members.map((m) => [m.kind, m.roles]).sort()).toEqual([
      ['node', ['validator']],
      ['user', ['org-admin']],
    ]);
    const validatorKeys = chain.genesis.validators.map((v) => v.publicKey).sort();
    expect(admittedNodeKeys(chain.state).map(toHex)).toEqual(validatorKeys);
    expect(await chain.query('membership', 'nodes')).toEqual(validatorKeys);
  });

  const base = () => {
    const node = toHex(generateSigningKeyPair().publicKey);
    const admin = toHex(generateSigningKeyPair().publicKey);
    return {
      node,
      admin,
      genesis: {
        chainId: 'g',
        genesisTimeMs: 0,
        validators: [{ name: 'v', publicKey: node, host: 'h', port: 1 }],
        organizations: [
          {
            id: 'reg',
            name: 'Regulator',
            regulator: true,
            members: [
              { publicKey: admin, kind: 'user', name: 'a', roles: ['org-admin', 'regulator'] },
              { publicKey: node, kind: 'node', name: 'n', roles: ['validator'], host: 'h', port: 1 },
            ],
          },
        ],
      },
    };
  };

  it('accepts a well-formed section', () => {
    expect(validateGenesis(base().genesis).organizations).toHaveLength(1);
  });

  it.each([
    [
      'a validator that is no node',
      (g: AnyJson) => (g.organizations[0].members = g.organizations[0].members.slice(0, 1)),
      /not a node/,
    ],
    ['no regulator', (g: AnyJson) => (g.organizations[0].regulator = false), /regulator/],
    [
      'an organisation without an admin',
      (g: AnyJson) => (g.organizations[0].members[0].roles = ['regulator']),
      /no org-admin/,
    ],
    [
      'a key registered twice',
      (g: AnyJson) => g.organizations[0].members.push({ ...g.organizations[0].members[0], name: 'b' }),
      /twice/,
    ],
    [
      'the regulator role outside a regulator',
      (g: AnyJson) =>
        g.organizations.push({
          id: 'x',
          name: 'X',
          members: [
            {
              publicKey: toHex(generateSigningKeyPair().publicKey),
              kind: 'user',
              name: 'x',
              roles: ['org-admin', 'regulator'],
            },
          ],
        }),
      /regulator organisation/,
    ],
    [
      'a role the organisation does not hold',
      (g: AnyJson) => g.organizations[0].members[0].roles.push('agency:planning'),
      /does not hold/,
    ],
    [
      'a validator role on a user',
      (g: AnyJson) => g.organizations[0].members[0].roles.push('validator'),
      /cannot hold/,
    ],
    ['an unknown field', (g: AnyJson) => (g.organizations[0].colour = 'red'), /unknown field "colour"/],
    [
      'a reserved organisation role',
      (g: AnyJson) => (g.organizations[0].roles = ['org-admin']),
      /cannot include/,
    ],
    [
      'a bad quorum',
      (g: AnyJson) => (g.governance = { quorum: { numerator: 3, denominator: 2 } }),
      /numerator/,
    ],
  ])('refuses %s', (_what, mutate, message) => {
    const { genesis } = base();
    mutate(genesis);
    expect(() => validateGenesis(genesis)).toThrow(
      expect.objectContaining({ code: 'GENESIS_INVALID', message: expect.stringMatching(message) }),
    );
  });

  it('leaves an older genesis without organisations unchanged (same hash input)', () => {
    const { genesis } = base();
    const { organizations: _o, ...plain } = genesis;
    const parsed = validateGenesis(plain);
    expect('organizations' in parsed).toBe(false);
    expect('governance' in parsed).toBe(false);
  });
});

describe('transaction admission', () => {
  it('refuses an unknown key: error receipt, nonce consumed, nothing else written', async () => {
    const chain = TestChain.create();
    const stranger = generateSigningKeyPair();
    const executed = await chain.run([chain.tx(stranger, 'kv.put', put('x'))]);
    expect(executed.receipts[0]).toMatchObject({ status: 'error', errorCode: 'NOT_A_MEMBER' });
    expect(readNonce(executed.state, stranger.publicKey)).toBe(1);
    expect(executed.state.get(moduleKey('kv', utf8('x')))).toBeUndefined();
  });

  it('lets an active member write, and refuses kinds that need a role it lacks', async () => {
    const chain = TestChain.create();
    const [org0] = chain.organizations;
    const user = await chain.addUser(org0!.admin, 'org-0', ['member']);
    expect((await chain.send(user, 'kv.put', put('mine'))).status).toBe('ok');
    expect(
      await chain.send(user, 'governance.propose', { action: { type: 'disableContract', name: 'x' } }),
    ).toMatchObject({
      errorCode: 'ROLE_REQUIRED',
    });
    expect(await chain.send(org0!.admin, 'membership.admitOrganization', {})).toMatchObject({
      errorCode: 'ROLE_REQUIRED',
    });
    expect(await chain.send(chain.regulator, 'contract.deploy', {})).toMatchObject({
      errorCode: 'GOVERNANCE_ONLY',
    });
    // A node key is a member too (it may write records), but holds no admin role.
    expect((await chain.send(org0!.node, 'kv.put', put('from-node'))).status).toBe('ok');
  });

  it('is open on a chain whose genesis names no organisations', async () => {
    const stranger = generateSigningKeyPair();
    const body = {
      chainId: 'open',
      sender: stranger.publicKey,
      nonce: 0,
      kind: 'kv.put',
      payload: utf8(JSON.stringify(put('k'))),
    };
    const executed = await executeBlock(
      new MerklePatriciaTrie(),
      { chainId: 'open', height: 1, timestampMs: 1 },
      [encodeTx(signTx(body, stranger.secretKey))],
      permissionedEnv(),
    );
    expect(executed.receipts[0]!.status).toBe('ok');
  });

  it('follows suspensions: a key may write iff it and its organisation are active (any sequence)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('org', 'member'), fc.integer({ min: 0, max: 1 }), fc.boolean()), {
          minLength: 1,
          maxLength: 8,
        }),
        async (steps) => {
          const chain = TestChain.create({ memberOrganizations: 1 });
          const admins = [await chain.admit('alpha'), await chain.admit('beta')];
          const users = [
            await chain.addUser(admins[0]!, 'alpha', ['member']),
            await chain.addUser(admins[1]!, 'beta', ['member']),
          ];
          const orgActive = [true, true];
          const userActive = [true, true];
          for (const [what, index, suspend] of steps) {
            if (what === 'org') {
              const receipt = await chain.send(
                chain.regulator,
                suspend ? 'membership.suspendOrganization' : 'membership.reinstateOrganization',
                {
                  id: ['alpha', 'beta'][index],
                },
              );
              expect(receipt.status === 'ok').toBe(orgActive[index] === suspend);
              orgActive[index] = !suspend;
            } else {
              const receipt = await chain.send(
                admins[index]!,
                suspend ? 'membership.suspendMember' : 'membership.reinstateMember',
                {
                  publicKey: toHex(users[index]!.publicKey),
                },
              );
              // The admin itself is refused while its organisation is suspended.
              expect(receipt.status === 'ok').toBe(orgActive[index]! && userActive[index] === suspend);
              if (receipt.status === 'ok') userActive[index] = !suspend;
            }
            for (const i of [0, 1]) {
              const receipt = await chain.send(users[i]!, 'kv.put', put(`k${i}`));
              const expected = !userActive[i]
                ? 'MEMBER_SUSPENDED'
                : !orgActive[i]
                  ? 'ORGANIZATION_SUSPENDED'
                  : '';
              expect(receipt.errorCode).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('admitting organisations', () => {
  it('the regulator admits an organisation whose admin proved possession of its key', async () => {
    const chain = TestChain.create();
    const admin = generateSigningKeyPair();
    const statement = chain.statement(admin, {
      organization: 'planning',
      kind: 'user',
      name: 'planner',
      roles: ['org-admin'],
    });
    const receipt = await chain.send(chain.regulator, 'membership.admitOrganization', {
      id: 'planning',
      name: 'Planning Bureau',
      roles: ['agency:planning'],
      admin: statement,
    });
    expect(receipt.status).toBe('ok');
    expect(eventsOf(receipt).map((e) => e.name)).toEqual([
      'membership.organizationAdmitted',
      'membership.memberRegistered',
    ]);
    expect(await chain.query('membership', 'organization', { id: 'planning' })).toMatchObject({
      roles: ['agency:planning'],
      admittedBy: toHex(chain.regulator.publicKey),
      status: 'active',
    });
    // The new admin can act at once.
    expect((await chain.send(admin, 'kv.put', put('p'))).status).toBe('ok');
  });

  it('refuses statements that do not prove possession, or were made for something else', async () => {
    const chain = TestChain.create();
    const admin = generateSigningKeyPair();
    const good = chain.statement(admin, { organization: 'x', kind: 'user', name: 'a', roles: ['org-admin'] });
    const admit = (statement: unknown, id = 'x') =>
      chain.send(chain.regulator, 'membership.admitOrganization', { id, name: 'X', admin: statement });
    const other = generateSigningKeyPair();
    expect(await admit({ ...good, publicKey: toHex(other.publicKey) })).toMatchObject({
      errorCode: 'BAD_STATEMENT_SIGNATURE',
    });
    expect(await admit({ ...good, roles: ['org-admin', 'member'] })).toMatchObject({
      errorCode: 'BAD_STATEMENT_SIGNATURE',
    });
    expect(await admit({ ...good, chainId: 'elsewhere' })).toMatchObject({
      errorCode: 'STATEMENT_WRONG_CHAIN',
    });
    expect(await admit(good, 'y')).toMatchObject({ errorCode: 'STATEMENT_WRONG_ORGANIZATION' });
    const notAdmin = chain.statement(admin, {
      organization: 'x',
      kind: 'user',
      name: 'a',
      roles: ['member'],
    });
    expect(await admit(notAdmin)).toMatchObject({ errorCode: 'ADMIN_STATEMENT_REQUIRED' });
    expect((await admit(good)).status).toBe('ok');
    expect(await admit(good)).toMatchObject({ errorCode: 'ORGANIZATION_EXISTS' });
  });

  it('verifies statements byte-exactly: any change to a signed claim breaks the signature', () => {
    const chain = TestChain.create();
    const key = generateSigningKeyPair();
    const statement = chain.statement(key, {
      organization: 'org-0',
      kind: 'device',
      name: 'sensor',
      roles: ['device'],
    });
    expect(verifyStatement(JSON.parse(JSON.stringify(statement)), TEST_CHAIN_ID).publicKey).toBe(
      toHex(key.publicKey),
    );
    for (const change of [{ name: 'sensor2' }, { kind: 'user' }, { organization: 'org-1' }, { roles: [] }]) {
      expect(() => verifyStatement({ ...statement, ...change }, TEST_CHAIN_ID)).toThrow(
        expect.objectContaining({ code: expect.stringMatching(/BAD_STATEMENT|ROLE/) }),
      );
    }
  });
});

describe('registering members', () => {
  it('an admin registers users and devices of its own organisation, with roles the organisation holds', async () => {
    const chain = TestChain.create({ organizationRoles: ['agency:planning'] });
    const [org0, org1] = chain.organizations;
    const user = generateSigningKeyPair();
    const register = (
      admin = org0!.admin,
      roles = ['agency:planning'],
      organization = 'org-0',
      key = user,
      kind: 'user' | 'device' = 'user',
    ) =>
      chain.send(admin, 'membership.registerMember', {
        statement: chain.statement(key, { organization, kind, name: 'n', roles }),
      });
    expect(await register(org1!.admin)).toMatchObject({ errorCode: 'NOT_ORG_ADMIN' });
    expect(await register(org0!.admin, ['agency:housing'])).toMatchObject({ errorCode: 'ROLE_NOT_ALLOWED' });
    expect(await register(org0!.admin, ['regulator'])).toMatchObject({ errorCode: 'ROLE_NOT_ALLOWED' });
    expect(
      await register(org0!.admin, ['org-admin'], 'org-0', generateSigningKeyPair(), 'device'),
    ).toMatchObject({ errorCode: 'ROLE_NOT_ALLOWED' });
    const ok = await register();
    expect(ok.status).toBe('ok');
    expect(resultOf(ok)).toMatchObject({
      organization: 'org-0',
      roles: ['agency:planning'],
      registeredBy: toHex(org0!.admin.publicKey),
    });
    expect(await register()).toMatchObject({ errorCode: 'MEMBER_EXISTS' });
    expect(await chain.query('membership', 'member', { publicKey: toHex(user.publicKey) })).toMatchObject({
      kind: 'user',
    });
  });

  it('a new node joins the admitted node keys (nodesChanged) and leaves them when its organisation is suspended', async () => {
    const chain = TestChain.create();
    const admin = await chain.admit('newcomer');
    const node = generateSigningKeyPair();
    const receipt = await chain.send(admin, 'membership.registerMember', {
      statement: chain.statement(node, {
        organization: 'newcomer',
        kind: 'node',
        name: 'n',
        roles: ['member'],
        host: '10.0.0.9',
        port: 26_700,
      }),
    });
    expect(receipt.status).toBe('ok');
    const changed = eventsOf(receipt).find((e) => e.name === 'membership.nodesChanged');
    expect(changed?.data).toEqual({ admitted: expect.arrayContaining([toHex(node.publicKey)]) });
    expect(admittedNodeKeys(chain.state).map(toHex)).toContain(toHex(node.publicKey));

    const suspended = await chain.send(chain.regulator, 'membership.suspendOrganization', {
      id: 'newcomer',
      reason: 'audit',
    });
    expect(eventsOf(suspended).map((e) => e.name)).toEqual([
      'membership.organizationSuspended',
      'membership.nodesChanged',
    ]);
    expect(admittedNodeKeys(chain.state).map(toHex)).not.toContain(toHex(node.publicKey));
    expect(await chain.send(node, 'kv.put', put('n'))).toMatchObject({ errorCode: 'ORGANIZATION_SUSPENDED' });
    // Suspending an organisation without nodes emits no nodesChanged.
    await chain.admit('quiet');
    const quiet = await chain.send(chain.regulator, 'membership.suspendOrganization', { id: 'quiet' });
    expect(eventsOf(quiet).map((e) => e.name)).toEqual(['membership.organizationSuspended']);
  });

  it('protects what consensus and governance need', async () => {
    const chain = TestChain.create();
    expect(
      await chain.send(chain.regulator, 'membership.suspendOrganization', { id: 'org-0' }),
    ).toMatchObject({
      errorCode: 'ORGANIZATION_RUNS_VALIDATOR',
    });
    expect(
      await chain.send(chain.regulator, 'membership.suspendOrganization', { id: 'regulator' }),
    ).toMatchObject({
      errorCode: 'REGULATOR_PROTECTED',
    });
    const [org0] = chain.organizations;
    expect(
      await chain.send(org0!.admin, 'membership.suspendMember', { publicKey: toHex(org0!.admin.publicKey) }),
    ).toMatchObject({
      errorCode: 'CANNOT_SUSPEND_SELF',
    });
  });
});
