/**
 * What the membership, governance and contract commands share: sign a
 * transaction with a key file, wait for its receipt and print it (or its
 * JSON), and parse JSON arguments with a helpful error.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { MeridianClient, TxStatusJson } from '../../api/sdk.ts';
import { MeridianError } from '../../errors.ts';
import { addNodeOption, clientFor, printJson } from '../client.ts';
import { loadSigner } from './tx.ts';

/** Largest JSON argument file a command reads (a proposal with contract code is the biggest). */
export const MAX_CLI_JSON_FILE_BYTES = 1024 * 1024;

export interface SignerOptions {
  key: string;
  passphraseFile?: string;
  node?: string;
  json?: boolean;
}

/** Adds --node, --key, --passphrase-file and --json to a command that sends a transaction. */
export function addSignerOptions(command: Command, keyHelp = 'your key file'): Command {
  return addNodeOption(command)
    .requiredOption('-k, --key <file>', keyHelp)
    .option(
      '--passphrase-file <file>',
      'read the key passphrase from this file (else $MERIDIAN_PASSPHRASE or a prompt)',
    )
    .option('--json', 'print JSON');
}

/** Parses a JSON argument, or the contents of a file when it starts with `@`. */
export function parseJsonArgument(text: string, what: string): unknown {
  let source = text;
  if (text.startsWith('@')) {
    const path = text.slice(1);
    if (!existsSync(path)) throw new MeridianError('FILE_NOT_FOUND', `${path} does not exist`);
    source = readFileSync(path, 'utf8');
    if (source.length > MAX_CLI_JSON_FILE_BYTES)
      throw new MeridianError('FILE_TOO_LARGE', `${path} is over ${MAX_CLI_JSON_FILE_BYTES} bytes`);
  }
  try {
    return JSON.parse(source);
  } catch {
    throw new MeridianError('BAD_JSON', `${what} is not JSON`, {
      hint: `quote it for your shell, e.g. '{"id":"planning"}', or pass @file.json`,
    });
  }
}

/** A comma-separated list option (`--roles a,b`). */
export function csv(value: string | undefined): string[] {
  return value === undefined
    ? []
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

/** Prints a committed transaction's outcome the way `tx send` does, plus its gas. */
export function printReceipt(status: TxStatusJson): void {
  const receipt = status.receipt;
  console.log(`transaction ${status.hash}`);
  console.log(`  committed in block ${status.height} (index ${status.index})`);
  console.log(
    `  status: ${receipt?.status}${receipt?.errorCode ? ` ${receipt.errorCode}: ${receipt.errorMessage}` : ''}`,
  );
  if (receipt?.result !== undefined) console.log(`  result: ${JSON.stringify(receipt.result)}`);
  if (receipt?.gasUsed) console.log(`  gas:    ${receipt.gasUsed}`);
  for (const e of receipt?.events ?? [])
    console.log(`  event:  ${e.module}.${e.name} ${JSON.stringify(e.data)}`);
}

/**
 * Signs `kind` + `payload` with the key file, submits it, waits for the
 * receipt and prints it. Exits with status 1 (after printing) when the
 * transaction failed on chain, so scripts can stop on it.
 */
export async function sendAndReport(
  options: SignerOptions,
  kind: string,
  payload: Record<string, unknown>,
  client: MeridianClient = clientFor(options),
): Promise<TxStatusJson> {
  try {
    const signer = await loadSigner(options);
    const submitted = await client.sendTx({ kind, payload, signer });
    const status = await client.waitForTx(submitted.hash, { timeoutMs: 60_000 });
    if (options.json) printJson(status);
    else printReceipt(status);
    if (status.receipt?.status !== 'ok') process.exitCode = 1;
    return status;
  } finally {
    client.close();
  }
}
