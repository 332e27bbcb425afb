/**
 * `meridian contract deploy|call|query|list|info`. Deploying compiles the
 * TypeScript source here and proposes the artefact and its SHA-256 to
 * governance (seed 000's contract generation: the organisations agree on the
 * code, sign it with their votes, and the passing vote registers it). Calls
 * are signed transactions; queries are read-only and unsigned.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compileContract } from '../../contracts/compile.ts';
import { parseKeyFile } from '../../crypto/keyfile.ts';
import { addNodeOption, clientFor, printJson } from '../client.ts';
import { addSignerOptions, parseJsonArgument, type SignerOptions, sendAndReport } from './send.ts';

interface ContractInfoJson {
  name: string;
  version: number;
  codeHash: string;
  codeBytes: number;
  status: string;
  methods: string[];
  history?: { action: string; version: number; codeHash: string; height: number; proposal: number | null }[];
}

export function registerContractCommands(program: Command): void {
  const contract = program
    .command('contract')
    .description('deploy contracts through governance, call and query them');

  addSignerOptions(
    contract
      .command('deploy')
      .description('compile a TypeScript contract and propose its deployment (or --upgrade) to governance')
      .argument('<name>', 'contract name: [a-z][a-z0-9-]*')
      .argument('<file>', 'the contract source (.ts, or .js)')
      .option('--upgrade', 'propose an upgrade of an existing contract (its state is kept)')
      .option('--description <text>', 'why'),
    'your org-admin key file',
  ).action(
    async (
      name: string,
      file: string,
      options: SignerOptions & { upgrade?: boolean; description?: string },
    ) => {
      const compiled = await compileContract(readFileSync(file, 'utf8'), file.endsWith('.js') ? 'js' : 'ts');
      if (!options.json)
        console.log(
          `compiled ${file} with ${compiled.compiler}: ${compiled.code.length} bytes, code hash ${compiled.codeHash}`,
        );
      const status = await sendAndReport(options, 'governance.propose', {
        action: {
          type: options.upgrade ? 'upgradeContract' : 'deployContract',
          name,
          code: compiled.code,
          codeHash: compiled.codeHash,
        },
        ...(options.description ? { description: options.description } : {}),
      });
      const result = status.receipt?.result as { id?: number; status?: string } | undefined;
      if (!options.json && result?.status === 'open') {
        console.log(`\nproposal #${result.id} is open. Each organisation's admin checks the code and votes:`);
        console.log(`  meridian gov vote ${result.id} yes --source ${file} --key <its admin key>`);
      }
    },
  );

  addSignerOptions(
    contract
      .command('call')
      .description('call a contract method in a transaction (your key and on-chain roles are the caller)')
      .argument('<name>', 'contract name')
      .argument('<method>', 'method name')
      .argument('[args]', 'JSON arguments or @file.json', 'null')
      .option('--gas-limit <gas>', 'gas for this call (default 2000000, at most 20000000)'),
  ).action(
    async (
      name: string,
      method: string,
      argsText: string,
      options: SignerOptions & { gasLimit?: string },
    ) => {
      await sendAndReport(options, 'contract.call', {
        name,
        method,
        args: parseJsonArgument(argsText, 'the arguments'),
        ...(options.gasLimit ? { gasLimit: Number(options.gasLimit) } : {}),
      });
    },
  );

  addNodeOption(
    contract
      .command('query')
      .description('a read-only call at the head: no transaction, no signature')
      .argument('<name>', 'contract name')
      .argument('<method>', 'method name')
      .argument('[args]', 'JSON arguments or @file.json', 'null')
      .option(
        '--caller <publicKey>',
        'the caller the contract sees (its on-chain roles apply); claimed, not proven',
      )
      .option('-k, --key <file>', 'use this key file’s public key as --caller (no passphrase needed)')
      .option('--json', 'print JSON'),
  ).action(
    async (
      name: string,
      method: string,
      argsText: string,
      options: { node?: string; caller?: string; key?: string; json?: boolean },
    ) => {
      const caller =
        options.caller ??
        (options.key ? parseKeyFile(readFileSync(options.key, 'utf8')).publicKey : undefined);
      const client = clientFor(options);
      try {
        const answer = await client.query<{ result: unknown; gasUsed: number; version: number }>(
          'contract',
          'query',
          {
            name,
            method,
            args: parseJsonArgument(argsText, 'the arguments') as never,
            ...(caller ? { caller } : {}),
          },
        );
        if (options.json) printJson(answer);
        else {
          console.log(JSON.stringify(answer.result, null, 2));
          console.error(`(${name} v${answer.version}, ${answer.gasUsed} gas)`);
        }
      } finally {
        client.close();
      }
    },
  );

  addNodeOption(
    contract.command('list').description('deployed contracts').option('--json', 'print JSON'),
  ).action(async (options: { node?: string; json?: boolean }) => {
    const client = clientFor(options);
    try {
      const contracts = await client.query<ContractInfoJson[]>('contract', 'list');
      if (options.json) {
        printJson(contracts);
        return;
      }
      if (contracts.length === 0) console.log('no contracts; deploy one with `meridian contract deploy`');
      for (const c of contracts) {
        console.log(
          `  ${c.name.padEnd(20)} v${String(c.version).padEnd(3)} ${c.status.padEnd(8)} ${c.codeHash}  ${c.methods.join(', ')}`,
        );
      }
    } finally {
      client.close();
    }
  });

  addNodeOption(
    contract
      .command('info')
      .description('a contract with its version history')
      .argument('<name>', 'contract name')
      .option('--json', 'print JSON'),
  ).action(async (name: string, options: { node?: string; json?: boolean }) => {
    const client = clientFor(options);
    try {
      const info = await client.query<ContractInfoJson>('contract', 'info', { name });
      if (options.json) {
        printJson(info);
        return;
      }
      console.log(
        `${info.name} v${info.version} (${info.status}), ${info.codeBytes} bytes, code hash ${info.codeHash}`,
      );
      console.log(`  methods: ${info.methods.join(', ')}`);
      for (const h of info.history ?? []) {
        console.log(
          `  ${h.action.padEnd(8)} v${h.version} at height ${h.height}${h.proposal ? ` (proposal #${h.proposal})` : ''}  ${h.codeHash}`,
        );
      }
    } finally {
      client.close();
    }
  });
}
