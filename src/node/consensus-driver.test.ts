import { type AddressInfo, connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Replica } from '../consensus/pbft/replica.ts';
import type { Input, Output } from '../consensus/pbft/types.ts';
import { ConsensusDriver, type ConsensusDriverDeps } from './consensus-driver.ts';
import { createLogger } from './logger.ts';

/** A stand-in core: answers each input with scripted outputs and records what it was fed. */
function scriptedCore(script: (input: Input) => Output[]) {
  const fed: Input[] = [];
  const replica = {
    currentPhase: 'normal',
    status: { view: 0 },
    step(input: Input): Output[] {
      fed.push(input);
      return script(input);
    },
  };
  return { fed, replica: replica as unknown as Replica };
}

function driverFor(replica: Replica): ConsensusDriver {
  const deps = {
    replica,
    logger: createLogger({ name: 'driver-test', level: 'silent' }),
    mempool: { readyCount: 0, readyBytes: 0, get: () => undefined },
    chain: { inFlightTxHashLists: () => [] },
  };
  return new ConsensusDriver(deps as unknown as ConsensusDriverDeps);
}

const timersFed = (fed: Input[]) => fed.filter((i) => i.type === 'timer').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // holds the event loop, as a long step on a starved CPU does
  }
}

describe('ConsensusDriver timers', () => {
  const rearm: Output = { type: 'setTimer', name: 'primaryTimeout', ms: 40 };

  it('feeds a timer that fires while still armed', async () => {
    const { fed, replica } = scriptedCore((input) => (input.type === 'start' ? [rearm] : []));
    const driver = driverFor(replica);
    driver.start();
    await sleep(200);
    expect(timersFed(fed)).toBe(1);
    driver.stop();
  });

  /**
   * The timer's deadline passes while the event loop is held; meanwhile a message from the
   * primary arrives on a socket. When the loop runs again, timers run before socket reads.
   */
  async function stallWithMessageWaiting(outputsForMessage: Output[]): Promise<Input[]> {
    const { fed, replica } = scriptedCore((input) =>
      input.type === 'start' ? [rearm] : input.type === 'message' ? outputsForMessage : [],
    );
    const driver = driverFor(replica);
    const server = createServer((socket) =>
      socket.on('data', () => driver.input({ type: 'message', bytes: new Uint8Array(0) })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    await sleep(10);
    try {
      driver.start(); // arms the 40 ms timer at once
      client.write('x');
      busyFor(80);
      await sleep(30);
      return fed.filter((i) => i.type !== 'requestsPending');
    } finally {
      driver.stop();
      client.destroy();
      server.close();
    }
  }

  it('drops a firing the core restarted: a message that waited out a stall is heard first', async () => {
    const fed = await stallWithMessageWaiting([rearm]);
    expect(fed.map((i) => i.type)).toEqual(['start', 'message']);
  });

  it('drops a firing the core cancelled', async () => {
    const fed = await stallWithMessageWaiting([{ type: 'cancelTimer', name: 'primaryTimeout' }]);
    expect(fed.map((i) => i.type)).toEqual(['start', 'message']);
  });

  it('feeds a firing the message did not touch', async () => {
    const fed = await stallWithMessageWaiting([]);
    expect(fed.map((i) => i.type)).toEqual(['start', 'message', 'timer']);
  });
});
