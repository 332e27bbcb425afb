/**
 * A real multi-process devnet for tests: validators as separate processes on
 * loopback (TLS between them), in a temporary directory, on free high ports.
 * Key files use a low scrypt cost so start-up is quick.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { MeridianClient } from '../../src/api/sdk.ts';
import type { ConsensusParameters } from '../../src/chain/genesis.ts';
import { freePortBlock } from '../../src/net/free-ports.ts';
import { type DevnetLayout, type DevnetProcesses, launchDevnet } from '../../src/node/devnet.ts';

export interface TestDevnet {
  readonly dir: string;
  readonly layout: DevnetLayout;
  readonly processes: DevnetProcesses;
  readonly clients: MeridianClient[];
  stop(): Promise<void>;
}

/**
 * Starts a devnet for a test, with the organisation registry of `meridian
 * devnet` (a regulator and one organisation per validator, admin keys under
 * `keys/`). `openMembership: true` leaves the registry out, so any key may
 * send transactions (fault tests use throwaway senders).
 */
export async function startTestDevnet(
  options: { validators?: number; parameters?: Partial<ConsensusParameters>; openMembership?: boolean } = {},
): Promise<TestDevnet> {
  const validators = options.validators ?? 4;
  const dir = mkdtempSync(join(tmpdir(), 'meridian-devnet-'));
  const base = await freePortBlock(10 + validators);
  const processes = await launchDevnet({
    dir,
    validators,
    p2pBasePort: base,
    apiBasePort: base + 10,
    keyFileLogN: 10,
    ...(options.openMembership ? { openMembership: true } : {}),
    ...(options.parameters ? { parameters: options.parameters } : {}),
  });
  const layout = processes.layout;
  const clients = layout.nodes.map((n) => new MeridianClient(n.apiUrl, { WebSocket: WebSocket as never }));
  return {
    dir,
    layout,
    processes,
    clients,
    async stop() {
      for (const client of clients) client.close();
      await processes.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 100 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
