/** `meridian devnet`: a local network of validators on this machine, one command to start, Ctrl-C to stop. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DevnetProcesses, prepareDevnet, waitForApi } from '../../node/devnet.ts';
import { DEFAULT_DEVNET_DIR } from './bench.ts';

const CONSOLE_DIR = resolve(import.meta.dirname, '../../../web/dist');

interface DevnetCliOptions {
  validators: string;
  dir: string;
  p2pPort: string;
  apiPort: string;
  reset?: boolean;
  console: boolean;
}

async function statusLine(apiUrl: string): Promise<string> {
  try {
    const status = (await (await fetch(`${apiUrl}/v1/status`)).json()) as {
      height: number;
      view: number;
      peersConnected: number;
      mempool: { count: number };
    };
    const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
    const tps = Number(/^meridian_txs_per_second (\S+)/m.exec(metrics)?.[1] ?? 0);
    return `height ${status.height} · view ${status.view} · ${status.peersConnected} peers · ${tps.toFixed(0)} tx/s · mempool ${status.mempool.count}`;
  } catch {
    return 'validator-0 is not answering';
  }
}

export function registerDevnetCommand(program: Command): void {
  program
    .command('devnet')
    .description(
      'start a local network: N validators as separate processes on loopback, embedded storage, web console',
    )
    .option('-v, --validators <n>', 'number of validators (4 tolerates 1 faulty)', '4')
    .option(
      '-d, --dir <dir>',
      'where the devnet keeps its node directories (kept across restarts)',
      DEFAULT_DEVNET_DIR,
    )
    .option('--p2p-port <port>', 'first node-to-node port (validator i uses port + i)', '26600')
    .option('--api-port <port>', 'first HTTP API port (validator i uses port + i)', '8600')
    .option('--reset', 'delete the devnet directory first and start a new chain')
    .option('--no-console', 'do not serve the web console')
    .action(async (options: DevnetCliOptions) => {
      const validators = Number(options.validators);
      if (!Number.isInteger(validators) || validators < 1 || validators > 64) {
        throw new Error('--validators must be an integer from 1 to 64');
      }
      const consoleDir = options.console && existsSync(CONSOLE_DIR) ? CONSOLE_DIR : undefined;
      console.log(`preparing a ${validators}-validator devnet in ${options.dir} ...`);
      const layout = await prepareDevnet({
        dir: options.dir,
        validators,
        p2pBasePort: Number(options.p2pPort),
        apiBasePort: Number(options.apiPort),
        ...(options.reset ? { reset: true } : {}),
        ...(consoleDir ? { consoleDir } : {}),
      });
      const processes = new DevnetProcesses(layout, (node, code, signal) => {
        console.error(`\n${node.name} exited (${signal ?? `code ${code}`}); its log: ${node.logFile}`);
      });
      await processes.start();
      await Promise.all(layout.nodes.map((n) => waitForApi(n.apiUrl, 60_000)));
      const first = layout.nodes[0]!;
      console.log(`\nchain "${layout.chainId}" is running:\n`);
      console.log('  validator      API                      p2p    key');
      for (const n of layout.nodes) {
        console.log(
          `  ${n.name.padEnd(13)}  ${n.apiUrl.padEnd(23)}  ${String(n.p2pPort).padEnd(5)}  ${n.publicKey.slice(0, 18)}…`,
        );
      }
      if (consoleDir) console.log(`\n  web console:   ${first.apiUrl}/`);
      else if (options.console) console.log('\n  web console:   not built (run `npm run build:web`)');
      console.log(`  OpenAPI:       ${first.apiUrl}/openapi.json`);
      console.log(`  metrics:       ${first.apiUrl}/metrics`);
      console.log(`  logs:          ${resolve(options.dir)}/validator-*/node.log`);
      const admins = layout.admins ?? [];
      if (admins.length > 0) {
        console.log(`\n  organisation admin keys (passphrase in ${layout.passphraseFile}):`);
        for (const admin of admins) console.log(`    ${admin.organization.padEnd(11)}  ${admin.keyFile}`);
      }
      const org0 = admins.find((a) => a.organization === 'org-0');
      console.log(
        org0
          ? `\ntry:  meridian tx send --node ${first.apiUrl} --key ${org0.keyFile} --passphrase-file ${layout.passphraseFile} kv.put '{"key":"hello","value":"world"}'`
          : `\ntry:  meridian tx send --node ${first.apiUrl} --key my-key.json kv.put '{"key":"hello","value":"world"}'`,
      );
      console.log('Ctrl-C stops every validator.\n');

      let stopping = false;
      const interactive = process.stdout.isTTY;
      const ticker = setInterval(
        async () => {
          const line = await statusLine(first.apiUrl);
          if (stopping) return;
          if (interactive) process.stdout.write(`\r\x1b[2K${line}`);
          else console.log(line);
        },
        interactive ? 1_000 : 10_000,
      );
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        clearInterval(ticker);
        console.log('\nstopping validators ...');
        await processes.stop();
        console.log('stopped. The chain is kept; `meridian devnet` resumes it (--reset starts over).');
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
