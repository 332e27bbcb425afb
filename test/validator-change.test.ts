/**
 * A validator joins a running network through governance, with real processes:
 * org-0 registers a fifth node (possession proved by the node's own signed
 * statement), the organisations vote `addValidator`, and the change takes
 * effect above the first checkpoint at least one watermark window after the
 * vote committed. The new node follows as an observer until then (catching up
 * by state transfer), signs certificates after the boundary, and the network
 * keeps committing with one of the original validators killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MeridianClient } from '../src/api/sdk.ts';
import type { SigningKeyPair } from '../src/crypto/ed25519.ts';
import { decryptKeyFile, parseKeyFile } from '../src/crypto/keyfile.ts';
import { signStatement } from '../src/modules/membership/statement.ts';
import { initNodeDir } from '../src/node/setup.ts';
import { eventually, startTestDevnet, type TestDevnet } from './support/devnet.ts';

const PARAMETERS = { checkpointInterval: 4, watermarkWindow: 8 };
let net: TestDevnet;
let joiner: ChildProcess | undefined;
let joinerClient: MeridianClient;
let joinerKey: string;
let passphrase: string;

async function adminKey(organization: string): Promise<SigningKeyPair> {
  const admin = net.layout.admins!.find((a) => a.organization === organization)!;
  return (await decryptKeyFile(parseKeyFile(readFileSync(admin.keyFile, 'utf8')), passphrase)).signing;
}

async function send(signer: SigningKeyPair, kind: string, payload: Record<string, unknown>) {
  const { hash } = await net.clients[1]!.sendTx({ kind, payload, signer });
  const status = await net.clients[1]!.waitForTx(hash, { timeoutMs: 60_000 });
  expect(
    status.receipt?.status,
    `${kind}: ${status.receipt?.errorCode} ${status.receipt?.errorMessage}`,
  ).toBe('ok');
  return status;
}

beforeAll(async () => {
  net = await startTestDevnet({ parameters: PARAMETERS });
  passphrase = readFileSync(net.layout.passphraseFile!, 'utf8');
  const first = net.layout.nodes[0]!;
  const dir = join(net.dir, 'validator-4');
  const p2pPort = first.p2pPort + 4;
  const apiPort = Number(new URL(first.apiUrl).port) + 4;
  joinerKey = (
    await initNodeDir({
      dir,
      name: 'validator-4',
      host: '127.0.0.1',
      p2pPort,
      apiPort,
      passphrase,
      passphraseFile: net.layout.passphraseFile!,
      keyFileLogN: 10,
      apiRateLimitPerSecond: 0,
    })
  ).publicKey;
  copyFileSync(join(first.dir, 'genesis.json'), join(dir, 'genesis.json'));
  joiner = spawn(process.execPath, [resolve('bin/meridian.js'), 'node', 'start', '--dir', dir], {
    stdio: 'ignore',
  });
  joinerClient = new MeridianClient(`http://127.0.0.1:${apiPort}`, { WebSocket: WebSocket as never });
}, 120_000);

afterAll(async () => {
  joinerClient?.close();
  if (joiner && joiner.exitCode === null) {
    const exited = new Promise((r) => joiner!.once('exit', r));
    joiner.kill('SIGTERM');
    await exited;
  }
  await net?.stop();
});

describe('a validator joins through governance', () => {
  it('registers, is voted in, takes effect at the boundary checkpoint, and signs from then on', async () => {
    const org0 = await adminKey('org-0');
    const joinerSigner = (
      await decryptKeyFile(
        parseKeyFile(readFileSync(join(net.dir, 'validator-4', 'key.json'), 'utf8')),
        passphrase,
      )
    ).signing;
    const first = net.layout.nodes[0]!;
    const statement = signStatement(
      {
        chainId: net.layout.chainId,
        organization: 'org-0',
        publicKey: joinerKey,
        kind: 'node',
        name: 'validator-4',
        roles: ['validator'],
        host: '127.0.0.1',
        port: first.p2pPort + 4,
      },
      joinerSigner,
    );
    await send(org0, 'membership.registerMember', { statement });
    // Once registered, the others admit its sessions; it follows as an observer.
    await eventually(
      async () => ((await joinerClient.status()).height > 0 ? true : undefined),
      60_000,
      'the joiner to catch up',
    );

    const regulator = await adminKey('regulator');
    const proposed = await send(regulator, 'governance.propose', {
      action: { type: 'addValidator', publicKey: joinerKey },
      description: 'a fifth validator',
    });
    let result = proposed.receipt!.result as { id: number; status: string };
    let passedAt = 0;
    for (const org of ['org-0', 'org-1', 'org-2', 'org-3']) {
      if (result.status !== 'open') break;
      const vote = await send(await adminKey(org), 'governance.vote', { id: result.id, approve: true });
      result = { id: result.id, status: (vote.receipt!.result as { status: string }).status };
      passedAt = vote.height!;
    }
    expect(result.status).toBe('passed');
    const boundary =
      Math.ceil((passedAt + PARAMETERS.watermarkWindow) / PARAMETERS.checkpointInterval) *
      PARAMETERS.checkpointInterval;

    // Drive heights past the boundary.
    const driver = await adminKey('org-1');
    for (let i = 0; (await net.clients[0]!.status()).height <= boundary + 2; i++) {
      await send(driver, 'kv.put', { key: `drive-${i}`, value: 'x' });
    }
    // At and below the boundary the old set certifies; above it the new one, which holds the joiner.
    expect((await net.clients[0]!.validators(boundary)).map((v) => v.publicKey)).not.toContain(joinerKey);
    const after = await net.clients[0]!.validators(boundary + 1);
    expect(after.map((v) => v.publicKey)).toContain(joinerKey);
    expect(after).toHaveLength(5);
    const block = await net.clients[0]!.block(boundary + 1);
    expect(block.header.validatorSetHash).not.toBe(
      (await net.clients[0]!.block(boundary)).header.validatorSetHash,
    );
    expect(block.certificate!.signatures.length).toBeGreaterThanOrEqual(4);

    // With five validators (f = 1, quorum 4), losing an original one still leaves a quorum that includes the joiner.
    await net.processes.kill(3, 'SIGKILL');
    const before = (await net.clients[0]!.status()).height;
    await send(driver, 'kv.put', { key: 'after-kill', value: 'x' });
    const latest = await eventually(
      async () => {
        const b = await net.clients[0]!.latestBlock();
        return b.header.height > before ? b : undefined;
      },
      60_000,
      'a commit without validator 3',
    );
    expect(latest.certificate!.signatures.map((s) => s.validator)).toContain(joinerKey);
    const joinerStatus = await joinerClient.status();
    expect(joinerStatus.validators).toBe(5);
  }, 300_000);
});
