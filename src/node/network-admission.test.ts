import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import type { StateReader } from '../exec/overlay.ts';
import { TestChain } from '../modules/membership/testing.ts';
import type { PeerAddress, Transport } from '../net/transport.ts';
import { MemoryKvStore } from '../store/memory-kv.ts';
import { silentLogger } from './logger.ts';
import { NetworkAdmission } from './network-admission.ts';
import { ValidatorSchedule } from './validator-schedule.ts';

/** Records what the admission tells the transport (the only part of it the admission uses). */
function recordingTransport() {
  const calls = { allowed: [] as string[][], peers: [] as PeerAddress[][] };
  const transport = {
    setAllowedKeys: (keys: readonly Uint8Array[]) => calls.allowed.push(keys.map(toHex).sort()),
    setPeers: (peers: readonly PeerAddress[]) => calls.peers.push([...peers]),
  } as unknown as Transport;
  return { transport, calls };
}

/** A reader of `state` that counts its reads. */
function countingReader(state: StateReader): { reader: StateReader; reads: () => number } {
  let reads = 0;
  return {
    reader: {
      get: (key) => {
        reads++;
        return state.get(key);
      },
    },
    reads: () => reads,
  };
}

async function setUp() {
  const chain = TestChain.create();
  const schedule = ValidatorSchedule.open(new MemoryKvStore(), chain.genesis.validators);
  const { transport, calls } = recordingTransport();
  const own = chain.organizations[0]!.node.publicKey;
  const admission = new NetworkAdmission(transport, schedule, own, silentLogger);
  admission.refresh(chain.height, chain.state);
  return { chain, admission, calls };
}

describe('NetworkAdmission', () => {
  it('admits the validators and dials every validator but itself', async () => {
    const { chain, calls } = await setUp();
    const validatorKeys = chain.organizations.map((o) => toHex(o.node.publicKey)).sort();
    expect(calls.allowed).toEqual([validatorKeys]);
    expect(calls.peers).toHaveLength(1);
    expect(calls.peers[0]!.map((p) => p.port).sort()).toEqual([26_601, 26_602]);
  });

  it('reads the registry again only after a block with a membership call, and then admits its new node', async () => {
    const { chain, admission, calls } = await setUp();

    const kvBlock = await chain.run([
      chain.tx(chain.organizations[1]!.admin, 'kv.put', { key: 'k', value: 'v' }),
    ]);
    const quiet = countingReader(chain.state);
    admission.afterBlock(chain.height, quiet.reader, kvBlock.receipts);
    expect(quiet.reads()).toBe(0);
    expect(calls.allowed).toHaveLength(1);

    const admin = chain.organizations[1]!.admin;
    const node = generateSigningKeyPair();
    const registration = await chain.run([
      chain.tx(admin, 'membership.registerMember', {
        statement: chain.statement(node, {
          organization: chain.organizations[1]!.id,
          kind: 'node',
          name: 'archive',
          roles: ['member'],
          host: '10.0.0.9',
          port: 26_700,
        }),
      }),
    ]);
    expect(registration.receipts[0]!.status).toBe('ok');
    const busy = countingReader(chain.state);
    admission.afterBlock(chain.height, busy.reader, registration.receipts);
    expect(busy.reads()).toBeGreaterThan(0);
    expect(calls.allowed).toHaveLength(2);
    expect(calls.allowed[1]).toContain(toHex(node.publicKey));
    expect(calls.peers.at(-1)!.find((p) => p.port === 26_700)?.host).toBe('10.0.0.9');
  });
});
