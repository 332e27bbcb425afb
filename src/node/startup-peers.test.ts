import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { STARTUP_PEER_WAIT_MS, waitForValidators } from './startup-peers.ts';

const key = (n: number) => new Uint8Array(32).fill(n);

/** A transport whose connected peers are whatever `connected` holds when asked. */
function transportWith(connected: Set<number>) {
  return {
    peers: () => [...connected].map((n) => ({ id: toHex(key(n)), connected: true })) as never,
  };
}

describe('waitForValidators (start-up)', () => {
  it('returns once every other validator is connected, not counting this node', async () => {
    const connected = new Set([2]);
    let done = false;
    const waiting = waitForValidators(
      transportWith(connected),
      [key(1), key(2), key(3)],
      key(1),
      Date.now(),
    ).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(done).toBe(false); // validator 3 is not connected yet
    connected.add(3);
    await waiting;
    expect(done).toBe(true);
  });

  it('does not wait at all on a node that is not a validator (an observer)', async () => {
    let readings = 0;
    await waitForValidators(transportWith(new Set()), [key(1), key(2)], key(9), 0, () => readings++);
    expect(readings).toBe(0);
  });

  it(`gives up ${STARTUP_PEER_WAIT_MS} ms after the transport came up, when a validator stays away`, async () => {
    let clock = 0;
    const started = performance.now();
    // The clock jumps past the deadline on its third reading: the wait ends without validator 3.
    await waitForValidators(transportWith(new Set([2])), [key(1), key(2), key(3)], key(1), 0, () => {
      clock += STARTUP_PEER_WAIT_MS / 2;
      return clock;
    });
    expect(clock).toBeGreaterThanOrEqual(STARTUP_PEER_WAIT_MS);
    expect(performance.now() - started).toBeLessThan(STARTUP_PEER_WAIT_MS);
  });
});
