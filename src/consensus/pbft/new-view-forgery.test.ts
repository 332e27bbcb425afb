import { describe, expect, it } from 'vitest';
import { Cluster } from '../sim/cluster.ts';
import { SIM_PARAMETERS } from '../sim/simulation.ts';
import {
  type ConsensusMessage,
  headerHashOf,
  type MessageBody,
  type SignedViewChange,
  signingBytes,
  type ViewChangeBodyT,
} from './messages.ts';
import { createReplica, type Replica } from './replica.ts';
import type { CheckpointProof, ReplicaConfig } from './types.ts';

/**
 * A NEW-VIEW must carry 2f+1 VIEW-CHANGEs, each verified under its own signer's key over
 * its own content. A replica that has already verified one VIEW-CHANGE must not let a
 * Byzantine primary reuse that signature under another signer or over other content.
 */
const cluster = new Cluster(
  { nodes: 4, seed: 7, parameters: SIM_PARAMETERS },
  { send: () => {}, timerSet: () => {} },
);
const configs: ReplicaConfig[] = cluster.configs;
const genesisCheckpoint: CheckpointProof = {
  height: 0,
  headerHash: headerHashOf(configs[0]!.genesis),
  stateRoot: configs[0]!.genesis.stateRoot,
  votes: [],
};

function signed(signer: number, body: MessageBody): ConsensusMessage {
  return { body, signer, signature: configs[signer]!.sign(signingBytes(configs[signer]!.chainId, body)) };
}

function viewChange(signer: number, view: number): ConsensusMessage {
  return signed(signer, { type: 'viewChange', newView: view, checkpoint: genesisCheckpoint, prepared: [] });
}

function embedded(message: ConsensusMessage, signer = message.signer): SignedViewChange {
  const { type: _type, ...body } = message.body as { type: 'viewChange' } & ViewChangeBodyT;
  return { body, signer, signature: message.signature };
}

function started(index: number): Replica {
  const replica = createReplica(configs[index]!);
  replica.step({ type: 'start' });
  return replica;
}

/** The primary of view 1, as a replica that joined the view change to view 1 sees it. */
function primaryOfView1(): number {
  const probe = started(3);
  probe.step({ type: 'message', message: viewChange(0, 1) });
  probe.step({ type: 'message', message: viewChange(1, 1) });
  expect(probe.status).toMatchObject({ view: 1, phase: 'viewChange' });
  return probe.status.primary;
}

describe('NEW-VIEW checking', () => {
  const primary = primaryOfView1();
  const receiver = 3;
  const [honest, victim] = [0, 1, 2].filter((i) => i !== primary) as [number, number];

  it('installs a NEW-VIEW of 2f+1 genuine VIEW-CHANGEs (the control case)', () => {
    const replica = started(receiver);
    const viewChanges = [viewChange(primary, 1), viewChange(honest, 1), viewChange(victim, 1)].map((m) =>
      embedded(m),
    );
    replica.step({
      type: 'message',
      message: signed(primary, { type: 'newView', view: 1, viewChanges, votes: [] }),
    });
    expect(replica.status).toMatchObject({ view: 1, phase: 'normal', primary });
  });

  it('refuses a VIEW-CHANGE it already verified, relabelled as another signer’s', () => {
    const replica = started(receiver);
    const fromHonest = viewChange(honest, 1);
    replica.step({ type: 'message', message: fromHonest }); // verified and remembered here
    const viewChanges = [
      embedded(viewChange(primary, 1)),
      embedded(fromHonest),
      embedded(fromHonest, victim),
    ];
    replica.step({
      type: 'message',
      message: signed(primary, { type: 'newView', view: 1, viewChanges, votes: [] }),
    });
    expect(replica.status.view === 1 && replica.status.phase === 'normal').toBe(false);
  });

  it('refuses a verified VIEW-CHANGE signature attached to other content', () => {
    const replica = started(receiver);
    const fromHonest = viewChange(honest, 1);
    replica.step({ type: 'message', message: fromHonest });
    const genuine = embedded(fromHonest);
    // Another checkpoint root than the one the signature covers.
    const forged: SignedViewChange = {
      ...genuine,
      body: {
        ...genuine.body,
        checkpoint: { ...genuine.body.checkpoint, stateRoot: new Uint8Array(32).fill(7) },
      },
    };
    const viewChanges = [embedded(viewChange(primary, 1)), forged, embedded(viewChange(victim, 1))];
    replica.step({
      type: 'message',
      message: signed(primary, { type: 'newView', view: 1, viewChanges, votes: [] }),
    });
    expect(replica.status.view === 1 && replica.status.phase === 'normal').toBe(false);
  });
});
