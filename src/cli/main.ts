/**
 * `meridian`: the operator and developer command line. Each command group lives
 * in `commands/<group>.ts` and registers itself here. Expected failures
 * (`MeridianError`) print their code, message and hint and exit with status 1;
 * anything else is a bug and prints a stack trace.
 */
import { Command } from 'commander';
import { MeridianError } from '../errors.ts';
import { registerBenchCommands } from './commands/bench.ts';
import { registerBlockCommands } from './commands/block.ts';
import { registerContractCommands } from './commands/contract.ts';
import { registerDevnetCommand } from './commands/devnet.ts';
import { registerEventsCommand } from './commands/events.ts';
import { registerGovCommands } from './commands/gov.ts';
import { registerKeyCommands } from './commands/key.ts';
import { registerMemberCommands } from './commands/member.ts';
import { registerNodeCommands } from './commands/node.ts';
import { registerOrgCommands } from './commands/org.ts';
import { registerProvCommands } from './commands/prov.ts';
import { registerStateCommands } from './commands/state.ts';
import { registerTrieCommands } from './commands/trie.ts';
import { registerTxCommands } from './commands/tx.ts';

export function buildProgram(): Command {
  const program = new Command('meridian')
    .description('Meridian: a permissioned blockchain for trusted data sharing between organisations')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  registerKeyCommands(program);
  registerTrieCommands(program);
  registerNodeCommands(program);
  registerDevnetCommand(program);
  registerTxCommands(program);
  registerBlockCommands(program);
  registerStateCommands(program);
  registerProvCommands(program);
  registerOrgCommands(program);
  registerMemberCommands(program);
  registerGovCommands(program);
  registerContractCommands(program);
  registerEventsCommand(program);
  registerBenchCommands(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof MeridianError) {
    console.error(`error: ${error.toUserString()}`);
    process.exit(1);
  }
  throw error;
}
