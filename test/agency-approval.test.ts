/**
 * The whole membership → governance → contract flow on a real 4-validator
 * devnet (separate processes, TLS, PBFT), through the SDK only: the regulator
 * admits the five agencies and a developer with possession-proved admin and
 * officer keys, the organisations deploy the agency-approval contract by a
 * governance vote that names its code hash, one application goes through the
 * five agencies, and the contract events arrive over the WebSocket. Then the
 * refusals: an unknown key, a suspended organisation.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT, runAgencyScenario, STEPS } from '../examples/agency-approval/scenario.ts';
import { toHex } from '../src/codec/bytes.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../src/crypto/ed25519.ts';
import { decryptKeyFile, parseKeyFile } from '../src/crypto/keyfile.ts';
import { eventually, startTestDevnet, type TestDevnet } from './support/devnet.ts';

let net: TestDevnet;
let regulator: SigningKeyPair;
let founders: SigningKeyPair[];
let applicant: SigningKeyPair | undefined;

async function adminKey(organization: string): Promise<SigningKeyPair> {
  const admin = net.layout.admins!.find((a) => a.organization === organization)!;
  const passphrase = readFileSync(net.layout.passphraseFile!, 'utf8');
  return (await decryptKeyFile(parseKeyFile(readFileSync(admin.keyFile, 'utf8')), passphrase)).signing;
}

beforeAll(async () => {
  net = await startTestDevnet();
  regulator = await adminKey('regulator');
  founders = await Promise.all(['org-0', 'org-1', 'org-2', 'org-3'].map(adminKey));
}, 90_000);

afterAll(async () => {
  await net?.stop();
});

describe('agency approval on a devnet', () => {
  it('admits, deploys through governance, runs five approvals, streams the events', async () => {
    const client = net.clients[0]!;
    const lines: string[] = [];
    const result = await runAgencyScenario(client, { regulator, founders }, (line) => lines.push(line));
    applicant = result.applicant;

    expect(result.status).toBe('approved');
    expect(result.history.map((h) => [h.action, h.step])).toEqual([
      ['submitted', null],
      ...STEPS.map((s) => ['approved', s]),
    ]);
    // Every decision is signed by the officer holding that agency's role.
    for (const [i, step] of STEPS.entries())
      expect(result.history[i + 1]!.by).toBe(toHex(result.officers.get(step)!.publicKey));
    // Six calls, each with gas in its receipt.
    expect(result.calls).toHaveLength(6);
    for (const call of result.calls) expect(call.gasUsed).toBeGreaterThan(20_000);
    // The WebSocket delivered the deployment and the workflow's events, in order.
    const names = result.events.map((e) => e.name);
    expect(names).toEqual([
      'deployed',
      'ApplicationSubmitted',
      'StepApproved',
      'StepApproved',
      'StepApproved',
      'StepApproved',
      'StepApproved',
      'ApplicationApproved',
    ]);
    // Any node answers the same: the contract and its version history.
    // (node 2 may be a block behind node 0 when the last event arrives)
    const info = await eventually(
      () =>
        net.clients[2]!.query<{ codeHash: string; history: { action: string; proposal: number }[] }>(
          'contract',
          'info',
          { name: CONTRACT },
        ),
      10_000,
      'node 2 to know the contract',
    );
    expect(info.codeHash).toBe(result.codeHash);
    expect(info.history).toEqual([expect.objectContaining({ action: 'deploy', proposal: 1 })]);
    expect(lines.join('\n')).toContain('votes yes');
  }, 120_000);

  it('refuses unknown keys and suspended organisations; the validators stay the admitted nodes', async () => {
    const client = net.clients[1]!;
    const stranger = generateSigningKeyPair();
    // Refused at the door (admission checks the committed registry), so it never takes block space.
    await expect(
      client.sendTx({ kind: 'kv.put', payload: { key: 'x', value: 'y' }, signer: stranger }),
    ).rejects.toMatchObject({ code: 'NOT_A_MEMBER', status: 400 });

    const developerOrg = (await client.query<{ id: string }[]>('membership', 'organizations')).find((o) =>
      o.id.startsWith('riverside'),
    )!;
    const suspend = await client.sendTx({
      kind: 'membership.suspendOrganization',
      payload: { id: developerOrg.id },
      signer: regulator,
    });
    expect((await client.waitForTx(suspend.hash, { timeoutMs: 30_000 })).receipt?.status).toBe('ok');
    expect(applicant).toBeDefined();
    const late = client.sendTx({
      kind: 'contract.call',
      payload: {
        name: CONTRACT,
        method: 'submit',
        args: { projectName: 'late', location: 'x', documentsHash: `0x${'00'.repeat(32)}` },
      },
      signer: applicant!,
    });
    await expect(late).rejects.toMatchObject({ code: 'ORGANIZATION_SUSPENDED' });
    const nodes = await client.query<string[]>('membership', 'nodes');
    expect(nodes.sort()).toEqual(net.layout.nodes.map((n) => n.publicKey).sort());
  }, 60_000);
});
