import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTx } from '../../chain/transaction.ts';
import { toHex } from '../../codec/bytes.ts';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { MeridianError } from '../../errors.ts';
import { trieReader } from '../../exec/trie-reader.ts';
import { authorizeTx, memoisedAuthorizeTx } from './authorize.ts';
import { TestChain } from './testing.ts';

const put = (key: string) => ({ key, value: 'v' });

/** The error code `authorize` throws for `encoded` on `state`, or '' when it admits it. */
function verdict(authorize: typeof authorizeTx, chain: TestChain, encoded: Uint8Array): string {
  try {
    authorize(trieReader(chain.state), decodeTx(encoded));
    return '';
  } catch (error) {
    if (error instanceof MeridianError) return error.code;
    throw error;
  }
}

describe('memoisedAuthorizeTx', () => {
  it('executes every block exactly as authorizeTx does, membership changes and writes mixed in one block', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.tuple(fc.constantFrom('org', 'member', 'put'), fc.integer({ min: 0, max: 1 }), fc.boolean()),
            {
              minLength: 1,
              maxLength: 5,
            },
          ),
          { minLength: 1, maxLength: 5 },
        ),
        async (blocks) => {
          const chain = TestChain.create({ memberOrganizations: 1, authorize: memoisedAuthorizeTx() });
          const admins = [await chain.admit('alpha'), await chain.admit('beta')];
          const users = [
            await chain.addUser(admins[0]!, 'alpha', ['member']),
            await chain.addUser(admins[1]!, 'beta', ['member']),
          ];
          const stranger = generateSigningKeyPair();
          // Warm the memo, so a stale entry would show in the blocks that follow.
          await chain.run(users.map((user, i) => chain.tx(user, 'kv.put', put(`k${i}`))));
          for (const steps of blocks) {
            const txs = steps.map(([what, i, suspend]) => {
              if (what === 'put') return chain.tx(suspend ? stranger : users[i]!, 'kv.put', put(`k${i}`));
              if (what === 'org') {
                const kind = suspend ? 'membership.suspendOrganization' : 'membership.reinstateOrganization';
                return chain.tx(chain.regulator, kind, { id: ['alpha', 'beta'][i] });
              }
              const kind = suspend ? 'membership.suspendMember' : 'membership.reinstateMember';
              return chain.tx(admins[i]!, kind, { publicKey: toHex(users[i]!.publicKey) });
            });
            await chain.run(txs);
          }
          // A fresh replica with the plain authorizer gives the same receipts, block by block.
          expect((await chain.replay()).receiptsRoots).toEqual(chain.receiptsRoots);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses a write in the same block right after its sender was suspended (memo warm)', async () => {
    const chain = TestChain.create({ memberOrganizations: 1, authorize: memoisedAuthorizeTx() });
    const admin = await chain.admit('alpha');
    const user = await chain.addUser(admin, 'alpha', ['member']);
    expect((await chain.send(user, 'kv.put', put('a'))).status).toBe('ok');
    const executed = await chain.run([
      chain.tx(admin, 'membership.suspendMember', { publicKey: toHex(user.publicKey) }),
      chain.tx(user, 'kv.put', put('b')),
    ]);
    expect(executed.receipts.map((r) => r.errorCode)).toEqual(['', 'MEMBER_SUSPENDED']);
  });

  it('at admission follows the committed state: registration, suspension, reinstatement', async () => {
    const chain = TestChain.create({ memberOrganizations: 1 });
    const memoised = memoisedAuthorizeTx();
    const admin = await chain.admit('alpha');
    const user = generateSigningKeyPair();
    const probe = () => chain.tx(user, 'kv.put', put('x'));
    const both = () => {
      const encoded = probe();
      const expected = verdict(authorizeTx, chain, encoded);
      expect(verdict(memoised, chain, encoded)).toBe(expected);
      expect(verdict(memoised, chain, encoded)).toBe(expected); // now from the memo
      return expected;
    };
    expect(both()).toBe('NOT_A_MEMBER');
    await chain.send(admin, 'membership.registerMember', {
      statement: chain.statement(user, { organization: 'alpha', kind: 'user', name: 'u', roles: ['member'] }),
    });
    expect(both()).toBe('');
    await chain.send(admin, 'membership.suspendMember', { publicKey: toHex(user.publicKey) });
    expect(both()).toBe('MEMBER_SUSPENDED');
    await chain.send(admin, 'membership.reinstateMember', { publicKey: toHex(user.publicKey) });
    expect(both()).toBe('');
    await chain.send(chain.regulator, 'membership.suspendOrganization', { id: 'alpha' });
    expect(both()).toBe('ORGANIZATION_SUSPENDED');
    // Roles are checked per transaction kind even when the member comes from the memo.
    expect(verdict(memoised, chain, chain.tx(admin, 'membership.admitOrganization', {}))).toBe(
      'ORGANIZATION_SUSPENDED',
    );
    await chain.send(chain.regulator, 'membership.reinstateOrganization', { id: 'alpha' });
    expect(verdict(memoised, chain, chain.tx(user, 'membership.admitOrganization', {}))).toBe(
      'ROLE_REQUIRED',
    );
    expect(verdict(memoised, chain, chain.tx(user, 'contract.deploy', {}))).toBe('GOVERNANCE_ONLY');
  });
});
