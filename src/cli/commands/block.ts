/** `meridian block get`: a committed block with its header, certificate, transactions and receipts. */
import type { Command } from 'commander';
import { addNodeOption, clientFor, printJson } from '../client.ts';

export function registerBlockCommands(program: Command): void {
  const block = program.command('block').description('read committed blocks');
  addNodeOption(
    block
      .command('get')
      .description('print a block by height, hash, or "latest"')
      .argument('<block>', 'a height, a 0x header hash, or latest'),
  ).action(async (which: string, options: { node?: string }) => {
    const client = clientFor(options);
    try {
      const result =
        which === 'latest'
          ? await client.latestBlock()
          : await client.block(/^\d+$/.test(which) ? Number(which) : which);
      printJson(result);
    } finally {
      client.close();
    }
  });
}
