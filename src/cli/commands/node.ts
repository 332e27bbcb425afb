/** `meridian init`, `meridian genesis`, `meridian node start`: set up and run a validator node. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadNodeConfig } from '../../node/config.ts';
import { startNode } from '../../node/node.ts';
import { initNodeDir, writeGenesis } from '../../node/setup.ts';
import { readPassphrase } from '../passphrase.ts';

/** How long a stopping node may take to close cleanly before it exits regardless. */
const STOP_DEADLINE_MS = 10_000;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`not a port: ${value}`);
  return n;
}

export function registerNodeCommands(program: Command): void {
  program
    .command('init')
    .description(
      'create a node directory: a fresh key (generated here, never sent anywhere), its TLS identity and node.json',
    )
    .requiredOption('-d, --dir <dir>', 'the node directory to create')
    .option('-n, --name <name>', 'node name shown in logs and the console', 'node')
    .option('--host <host>', 'address to listen on and advertise', '127.0.0.1')
    .option('--p2p-port <port>', 'node-to-node TLS port', port, 26_656)
    .option('--api-port <port>', 'HTTP API port', port, 8_545)
    .option(
      '--passphrase-file <file>',
      'read the key passphrase from this file (and start unattended with it)',
    )
    .action(
      async (options: {
        dir: string;
        name: string;
        host: string;
        p2pPort: number;
        apiPort: number;
        passphraseFile?: string;
      }) => {
        const passphrase = await readPassphrase(options, true);
        const { publicKey } = await initNodeDir({ ...options, passphrase });
        console.log(
          `created ${options.dir}\n  node key: ${publicKey}\nnext: collect the node directories into a genesis with \`meridian genesis\``,
        );
      },
    );

  program
    .command('genesis')
    .description('write the genesis file naming the given nodes as validators, into each node directory')
    .requiredOption('--chain-id <id>', 'the network name (a-z, 0-9, -)')
    .requiredOption('--node <dir...>', 'node directories made by `meridian init` (one per validator)')
    .option('-o, --out <file>', 'also write the genesis here')
    .action((options: { chainId: string; node: string[]; out?: string }) => {
      const genesis = writeGenesis({
        chainId: options.chainId,
        nodeDirs: options.node,
        genesisTimeMs: Date.now(),
        ...(options.out ? { out: options.out } : {}),
      });
      console.log(
        `genesis for "${genesis.chainId}" with ${genesis.validators.length} validators written to each node directory`,
      );
    });

  const node = program.command('node').description('run a node');
  node
    .command('start')
    .description('start the node in a directory made by `meridian init` (Ctrl-C stops it cleanly)')
    .requiredOption('-d, --dir <dir>', 'the node directory')
    .action(async (options: { dir: string }) => {
      // Started by `meridian devnet` (an IPC channel to it): stop when it goes away, even if it was
      // killed outright, so no validator outlives its devnet. Gone during start-up: exit at once
      // (as safe as a crash: nothing committed is lost).
      let stopIfOrphaned: () => void = () => process.exit(0);
      if (process.send !== undefined) process.on('disconnect', () => stopIfOrphaned());
      const running = await startNode(loadNodeConfig(join(options.dir, 'node.json')));
      console.log(`${running.name} listening: api ${running.apiUrl}, p2p port ${running.p2pPort}`);
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        // A stop that hangs (a peer or client that never lets go) must not keep the process: exit
        // after STOP_DEADLINE_MS anyway, which is as safe as a crash (nothing committed is lost).
        const deadline = setTimeout(() => {
          console.error(`${running.name}: stop took over ${STOP_DEADLINE_MS} ms, exiting without waiting`);
          process.exit(1);
        }, STOP_DEADLINE_MS);
        deadline.unref();
        await running.stop();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      stopIfOrphaned = () => void stop();
      if (process.send !== undefined && !process.connected) stopIfOrphaned();
    });
}
