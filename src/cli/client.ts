/** How CLI commands reach a node: `--node <url>`, else `MERIDIAN_NODE`, else the local devnet's first validator. */
import type { Command } from 'commander';
import { WebSocket } from 'ws';
import { MeridianClient } from '../api/sdk.ts';

export const DEFAULT_NODE_URL = 'http://127.0.0.1:8600';

export function addNodeOption(command: Command): Command {
  return command.option('--node <url>', `node API URL (default: $MERIDIAN_NODE or ${DEFAULT_NODE_URL})`);
}

export function clientFor(options: { node?: string }): MeridianClient {
  const url = options.node ?? process.env.MERIDIAN_NODE ?? DEFAULT_NODE_URL;
  return new MeridianClient(url, { WebSocket: WebSocket as never });
}

/** Prints a value as indented JSON. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
