/** `meridian tx send|status`: sign and submit a transaction, follow it to its receipt. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { decryptKeyFile, parseKeyFile } from '../../crypto/keyfile.ts';
import { MeridianError } from '../../errors.ts';
import { addNodeOption, clientFor, printJson } from '../client.ts';
import { readPassphrase } from '../passphrase.ts';

export async function loadSigner(options: { key: string; passphraseFile?: string }) {
  const file = parseKeyFile(readFileSync(options.key, 'utf8'));
  return (await decryptKeyFile(file, await readPassphrase(options, false))).signing;
}

function parsePayload(text: string): Record<string, unknown> | unknown[] {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new MeridianError('BAD_PAYLOAD', 'the payload is not JSON', {
      hint: `quote it for your shell, e.g. '{"key":"hello","value":"world"}'`,
    });
  }
}

export function registerTxCommands(program: Command): void {
  const tx = program.command('tx').description('send transactions and follow them');

  addNodeOption(
    tx
      .command('send')
      .description(
        'sign a transaction with your key file and submit it; waits for its receipt unless --no-wait',
      )
      .argument('<kind>', 'module.method, e.g. kv.put')
      .argument('<payload>', 'JSON payload, e.g. \'{"key":"hello","value":"world"}\'')
      .requiredOption('-k, --key <file>', 'your key file (from `meridian key gen`)')
      .option('--passphrase-file <file>', 'read the key passphrase from this file')
      .option('--no-wait', 'return as soon as the node accepted it')
      .option('--json', 'print JSON'),
  ).action(
    async (
      kind: string,
      payloadText: string,
      options: { key: string; passphraseFile?: string; wait: boolean; json?: boolean; node?: string },
    ) => {
      const client = clientFor(options);
      try {
        const signer = await loadSigner(options);
        const submitted = await client.sendTx({ kind, payload: parsePayload(payloadText), signer });
        if (!options.wait) {
          if (options.json) printJson(submitted);
          else console.log(`submitted ${submitted.hash} (${submitted.status})`);
          return;
        }
        const status = await client.waitForTx(submitted.hash, { timeoutMs: 30_000 });
        if (options.json) {
          printJson(status);
          return;
        }
        console.log(`transaction ${status.hash}`);
        console.log(`  committed in block ${status.height} (index ${status.index})`);
        console.log(
          `  status: ${status.receipt?.status}${status.receipt?.errorCode ? ` ${status.receipt.errorCode}: ${status.receipt.errorMessage}` : ''}`,
        );
        if (status.receipt?.result !== undefined)
          console.log(`  result: ${JSON.stringify(status.receipt.result)}`);
        for (const e of status.receipt?.events ?? [])
          console.log(`  event:  ${e.module}.${e.name} ${JSON.stringify(e.data)}`);
      } finally {
        client.close();
      }
    },
  );

  addNodeOption(
    tx
      .command('status')
      .description("print a transaction's status and receipt")
      .argument('<hash>', 'transaction hash (0x…)'),
  ).action(async (hash: string, options: { node?: string }) => {
    const client = clientFor(options);
    try {
      printJson(await client.txStatus(hash));
    } finally {
      client.close();
    }
  });
}
