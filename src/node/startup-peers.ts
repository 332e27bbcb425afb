/**
 * Start-up: consensus starts once every other validator of the set is connected, or once
 * `STARTUP_PEER_WAIT_MS` have passed since the transport came up, whichever is first.
 *
 * Validators that start together (a devnet on a busy machine, a whole network after maintenance)
 * come up seconds apart. A backup whose consensus started first would time out a primary whose
 * process merely came up last, and change view before the first block. A validator that is really
 * down costs the others this wait once, at start-up; after it the usual timers apply.
 */
import { toHex } from '../codec/bytes.ts';
import type { Transport } from '../net/transport.ts';

/** The longest start-up wait for the other validators, counted from when the transport came up. */
export const STARTUP_PEER_WAIT_MS = 5_000;
const POLL_MS = 50;

/**
 * Resolves once every key in `validators` but `own` is connected, or at `startedAtMs +
 * STARTUP_PEER_WAIT_MS`; at once when `own` is not a validator.
 */
export async function waitForValidators(
  transport: Pick<Transport, 'peers'>,
  validators: readonly Uint8Array[],
  own: Uint8Array,
  startedAtMs: number,
  now: () => number = Date.now,
): Promise<void> {
  const ownId = toHex(own);
  const ids = validators.map(toHex);
  if (!ids.includes(ownId)) return; // an observer runs no timers that could change the view
  const others = ids.filter((id) => id !== ownId);
  const deadline = startedAtMs + STARTUP_PEER_WAIT_MS;
  while (now() < deadline) {
    const connected = new Set(
      transport
        .peers()
        .filter((p) => p.connected)
        .map((p) => p.id),
    );
    if (others.every((id) => connected.has(id))) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
