import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.ts';
import { Cluster } from '../sim/cluster.ts';
import { simTransactionsRoot } from '../sim/node.ts';
import { SIM_PARAMETERS } from '../sim/simulation.ts';
import { type ConsensusMessage, signingBytes } from './messages.ts';
import { createReplica, restoreReplica } from './replica.ts';
import type { Output, ReplicaConfig } from './types.ts';

function config(overrides: Partial<ReplicaConfig> = {}): ReplicaConfig {
  const cluster = new Cluster(
    { nodes: 4, seed: 1, parameters: SIM_PARAMETERS },
    { send: () => {}, timerSet: () => {} },
  );
  return { ...cluster.configs[0]!, ...overrides };
}

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    if (error instanceof ValidationError) return error.code;
    throw error;
  }
  return undefined;
}

describe('Replica driver contract', () => {
  it('refuses inputs before start', () => {
    const replica = createReplica(config());
    expect(errorCode(() => replica.step({ type: 'requestsPending', count: 1, bytes: 10 }))).toBe(
      'CONSENSUS_NOT_STARTED',
    );
  });

  it('start arms the status timer and, for the primary of view 0, the heartbeat timer', () => {
    const replica = createReplica(config());
    const outputs = replica.step({ type: 'start' });
    expect(outputs).toContainEqual({
      type: 'setTimer',
      name: 'status',
      ms: SIM_PARAMETERS.heartbeatTimeoutMs,
    });
    expect(outputs).toContainEqual({
      type: 'setTimer',
      name: 'heartbeat',
      ms: SIM_PARAMETERS.heartbeatIntervalMs,
    });
    expect(replica.status).toMatchObject({
      view: 0,
      phase: 'normal',
      primary: 0,
      committedHeight: 0,
      highWatermark: 8,
    });
  });

  it('asks the node to propose once a batch is full, and refuses a proposal that is not what it asked for', () => {
    const replica = createReplica(config({ parameters: { ...SIM_PARAMETERS, maxBatchCount: 2 } }));
    replica.step({ type: 'start' });
    expect(replica.step({ type: 'requestsPending', count: 1, bytes: 10 })).toContainEqual({
      type: 'setTimer',
      name: 'batch',
      ms: 20,
    });
    const outputs = replica.step({ type: 'requestsPending', count: 2, bytes: 20 });
    const propose = outputs.find((o) => o.type === 'propose');
    expect(propose).toMatchObject({ type: 'propose', height: 1, view: 0, maxCount: 2 });
    const c = config();
    const bad = {
      header: {
        ...c.genesis,
        height: 1,
        parentHash: new Uint8Array(32), // not the genesis hash
        proposer: c.publicKey,
        transactionsRoot: simTransactionsRoot([]),
      },
      txs: [],
    };
    expect(errorCode(() => replica.step({ type: 'proposal', height: 1, block: bad }))).toBe(
      'CONSENSUS_BAD_PROPOSAL',
    );
  });

  it('after an empty proposal, asks again only when the batch timer fires, however much work is reported', () => {
    const replica = createReplica(config({ parameters: { ...SIM_PARAMETERS, maxBatchCount: 2 } }));
    replica.step({ type: 'start' });
    const proposes = (outputs: ReturnType<typeof replica.step>) =>
      outputs.filter((o) => o.type === 'propose');
    expect(proposes(replica.step({ type: 'requestsPending', count: 5, bytes: 50 }))).toHaveLength(1);
    // The node could build nothing (all ready work already in flight): no immediate second ask,
    // the batch timer instead.
    const empty = replica.step({ type: 'proposal', height: 1, block: null });
    expect(proposes(empty)).toEqual([]);
    expect(empty).toContainEqual({ type: 'setTimer', name: 'batch', ms: 20 });
    expect(proposes(replica.step({ type: 'requestsPending', count: 5, bytes: 50 }))).toEqual([]);
    expect(proposes(replica.step({ type: 'timer', name: 'batch' }))).toMatchObject([
      { type: 'propose', height: 1 },
    ]);
  });

  it('the age timer cuts a partial batch', () => {
    const replica = createReplica(config({ parameters: { ...SIM_PARAMETERS, maxBatchCount: 8 } }));
    replica.step({ type: 'start' });
    replica.step({ type: 'requestsPending', count: 1, bytes: 10 });
    expect(replica.step({ type: 'timer', name: 'batch' }).some((o) => o.type === 'propose')).toBe(true);
  });

  it('a backup sets its heartbeat timeout, not a heartbeat timer', () => {
    const c = new Cluster(
      { nodes: 4, seed: 1, parameters: SIM_PARAMETERS },
      { send: () => {}, timerSet: () => {} },
    );
    const outputs = createReplica(c.configs[2]!).step({ type: 'start' });
    expect(outputs).toContainEqual({
      type: 'setTimer',
      name: 'primaryTimeout',
      ms: SIM_PARAMETERS.heartbeatTimeoutMs,
    });
    expect(outputs.some((o) => o.type === 'setTimer' && o.name === 'heartbeat')).toBe(false);
  });

  it('a backup waits startupGraceMs longer on its first primary timeout only', () => {
    const c = new Cluster(
      { nodes: 4, seed: 1, parameters: SIM_PARAMETERS },
      { send: () => {}, timerSet: () => {} },
    );
    const backup = createReplica({ ...c.configs[2]!, startupGraceMs: 700 });
    expect(backup.step({ type: 'start' })).toContainEqual({
      type: 'setTimer',
      name: 'primaryTimeout',
      ms: SIM_PARAMETERS.heartbeatTimeoutMs + 700,
    });
    const primary = c.configs[0]!;
    const body = { type: 'heartbeat' as const, view: 0, height: 0 };
    const heartbeat: ConsensusMessage = {
      body,
      signer: 0,
      signature: primary.sign(signingBytes(primary.chainId, body)),
    };
    expect(backup.step({ type: 'message', message: heartbeat })).toContainEqual({
      type: 'setTimer',
      name: 'primaryTimeout',
      ms: SIM_PARAMETERS.heartbeatTimeoutMs,
    });
  });

  it('refuses a negative startupGraceMs', () => {
    const c = new Cluster(
      { nodes: 4, seed: 1, parameters: SIM_PARAMETERS },
      { send: () => {}, timerSet: () => {} },
    );
    expect(errorCode(() => createReplica({ ...c.configs[2]!, startupGraceMs: -1 }))).toBe(
      'CONSENSUS_CONFIG_INVALID',
    );
  });

  it("a backup re-arms its heartbeat timeout on the primary's votes, not on other validators'", () => {
    const c = new Cluster(
      { nodes: 4, seed: 1, parameters: SIM_PARAMETERS },
      { send: () => {}, timerSet: () => {} },
    );
    const backup = createReplica(c.configs[2]!);
    backup.step({ type: 'start' });
    const commitFrom = (signer: number): ConsensusMessage => {
      const body = { type: 'commit' as const, view: 0, height: 1, headerHash: new Uint8Array(32).fill(9) };
      const signerConfig = c.configs[signer]!;
      return { body, signer, signature: signerConfig.sign(signingBytes(signerConfig.chainId, body)) };
    };
    const rearms = (outputs: readonly Output[]) =>
      outputs.some((o) => o.type === 'setTimer' && o.name === 'primaryTimeout');
    expect(backup.status.primary).toBe(0);
    expect(rearms(backup.step({ type: 'message', message: commitFrom(1) }))).toBe(false);
    expect(rearms(backup.step({ type: 'message', message: commitFrom(0) }))).toBe(true);
  });

  it('rejects configurations outside the limits', () => {
    const p = SIM_PARAMETERS;
    expect(errorCode(() => createReplica(config({ parameters: { ...p, watermarkWindow: 5000 } })))).toBe(
      'CONSENSUS_CONFIG_INVALID',
    );
    expect(
      errorCode(() =>
        createReplica(config({ parameters: { ...p, watermarkWindow: 2, checkpointInterval: 4 } })),
      ),
    ).toBe('CONSENSUS_CONFIG_INVALID');
    expect(errorCode(() => createReplica(config({ chainId: 'another-chain' })))).toBe(
      'CONSENSUS_CONFIG_INVALID',
    );
  });

  it('restore needs the committed headers that rebuild the reputation record', () => {
    const c = config();
    expect(errorCode(() => restoreReplica(c, [], []))).toBe('CONSENSUS_RESTORE_INCOMPLETE');
    const h1 = { ...c.genesis, height: 1, parentHash: new Uint8Array(32) };
    const h2 = { ...c.genesis, height: 2, parentHash: new Uint8Array(32) };
    expect(errorCode(() => restoreReplica(c, [], [h2]))).toBe('CONSENSUS_RESTORE_INCOMPLETE');
    expect(restoreReplica(c, [], [c.genesis, h1, h2]).status.committedHeight).toBe(2);
  });

  it('is deterministic: the same inputs give the same outputs', () => {
    const inputs = [
      { type: 'start' as const },
      { type: 'requestsPending' as const, count: 3, bytes: 30 },
      { type: 'timer' as const, name: 'batch' as const },
      { type: 'timer' as const, name: 'heartbeat' as const },
      { type: 'timer' as const, name: 'status' as const },
      { type: 'timer' as const, name: 'progress' as const },
    ];
    const run = () => {
      const r = createReplica(config());
      return inputs.map((input) => r.step(input));
    };
    expect(run()).toEqual(run());
  });
});

describe('architecture: the core is pure and browser-safe', () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  it.each(sources)('%s has no node: imports, clock, randomness, timers or await', (file) => {
    const text = readFileSync(join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(text).not.toMatch(/from ['"]node:/);
    expect(text).not.toMatch(/\bDate\.now\b|\bnew Date\b|\bperformance\.now\b|\bMath\.random\b/);
    expect(text).not.toMatch(/\bsetTimeout\b|\bsetInterval\b|\bawait\b|\basync\b/);
    expect(text).not.toMatch(/from ['"]\.\.\/sim\//);
  });
});
