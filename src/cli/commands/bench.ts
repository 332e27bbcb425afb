/** `meridian bench load`: offer signed transactions at a fixed rate to running nodes and report what commits. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { runLoad } from '../../loadgen/load-generator.ts';
import { DEFAULT_NODE_URL, printJson } from '../client.ts';
import { loadSigner } from './tx.ts';

/** Where `meridian devnet` keeps its data by default. */
export const DEFAULT_DEVNET_DIR = '.meridian/devnet';

interface LoadCliOptions {
  rate: string;
  duration: string;
  senders: string;
  node?: string[];
  json?: boolean;
  adminKey?: string;
  organization: string;
  passphraseFile?: string;
}

/** The admin that registers the load's senders: `--admin-key`, else the local devnet's `org-0` admin if there is one. */
async function loadAdmin(options: LoadCliOptions) {
  const devnetKey = join(DEFAULT_DEVNET_DIR, 'keys', `${options.organization}-admin.json`);
  const key = options.adminKey ?? (existsSync(devnetKey) ? devnetKey : undefined);
  if (!key) return undefined;
  const passphraseFile =
    options.passphraseFile ?? (options.adminKey ? undefined : join(DEFAULT_DEVNET_DIR, 'passphrase'));
  const keyPair = await loadSigner({ key, ...(passphraseFile ? { passphraseFile } : {}) });
  return { keyPair, organization: options.organization };
}

export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').description('measure a running network');
  bench
    .command('load')
    .description(
      'open-loop load: signed kv.put transactions at a fixed rate from many senders; prints offered and committed tx/s and commit latency',
    )
    .option('--rate <tx/s>', 'offered transactions per second', '1000')
    .option('--duration <seconds>', 'how long to offer', '20')
    .option('--senders <n>', 'distinct signing keys', '256')
    .option(
      '--node <url...>',
      `node API URLs to submit to (default: the 4 devnet validators from ${DEFAULT_NODE_URL})`,
    )
    .option(
      '--admin-key <file>',
      `an org-admin key file that registers the senders as members first (default: ${DEFAULT_DEVNET_DIR}/keys/<organization>-admin.json when it exists)`,
    )
    .option('--organization <id>', 'the organisation of the admin key', 'org-0')
    .option(
      '--passphrase-file <file>',
      `passphrase of the admin key (default for the devnet's key: ${DEFAULT_DEVNET_DIR}/passphrase)`,
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: LoadCliOptions) => {
      const nodes = options.node ?? [0, 1, 2, 3].map((i) => `http://127.0.0.1:${8600 + i}`);
      const duration = Number(options.duration);
      const admin = await loadAdmin(options);
      const bar = new SingleBar({
        format: 'load |{bar}| {value}/{total} s · offered {offered} · committed {committed}',
        stream: process.stderr,
        hideCursor: true,
      });
      bar.start(duration, 0, { offered: 0, committed: 0 });
      const result = await runLoad({
        nodes,
        ratePerSecond: Number(options.rate),
        durationSeconds: duration,
        senders: Number(options.senders),
        ...(admin ? { admin } : {}),
        onProgress: (p) =>
          bar.update(Math.min(duration, Math.floor(p.elapsedSeconds)), {
            offered: p.offered,
            committed: p.committed,
          }),
      });
      bar.stop();
      if (options.json) {
        printJson(result);
        return;
      }
      console.log(
        `offered    ${result.offeredTps} tx/s (${result.offered} tx over ${result.durationSeconds} s)`,
      );
      console.log(
        `committed  ${result.committedTps} tx/s in the window; ${result.committed} committed in all, ${result.uncommitted} not committed, ${result.rejected} refused`,
      );
      console.log(
        `latency    p50 ${result.latencyMs.p50} ms · p90 ${result.latencyMs.p90} ms · p99 ${result.latencyMs.p99} ms · max ${result.latencyMs.max} ms`,
      );
      console.log(`view changes during the run: ${result.viewChanges}`);
      if (result.rejected > 0) console.log(`refusals: ${JSON.stringify(result.rejections)}`);
      if (result.retried > 0)
        console.log(`offers refused with MEMPOOL_FULL (back-pressure) and offered again: ${result.retried}`);
      if (result.followErrors > 0)
        console.log(`block listings that failed and were asked again: ${result.followErrors}`);
    });
}
