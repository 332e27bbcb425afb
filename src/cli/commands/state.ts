/** `meridian state get`: read a world-state key, and with --prove check the answer locally. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { genesisValidatorSet, parseGenesis } from '../../chain/genesis.ts';
import { ValidatorSet } from '../../chain/validator-set.ts';
import { fromHexFixed, toHex, utf8 } from '../../codec/bytes.ts';
import { verifyStateProof } from '../../light/verify-state.ts';
import { addNodeOption, clientFor, printJson } from '../client.ts';
import { readableStateValue } from '../state-value.ts';

export function registerStateCommands(program: Command): void {
  const state = program.command('state').description('read the world state');
  addNodeOption(
    state
      .command('get')
      .description(
        'print the value under a state key (e.g. kv/hello); --prove verifies it here against the validator set',
      )
      .argument('<key>', 'the key: 0x-hex, or text such as kv/hello')
      .option('--prove', 'fetch a Merkle proof and the block certificate, and verify both locally')
      .option('--height <n>', 'read at this committed height (default: the head)')
      .option(
        '--genesis <file>',
        'trust the validator set of this genesis file (default: ask the node, which you then trust)',
      )
      .option('--json', 'print the raw API answer'),
  ).action(
    async (
      key: string,
      options: { prove?: boolean; height?: string; genesis?: string; json?: boolean; node?: string },
    ) => {
      const client = clientFor(options);
      try {
        const keyBytes = key.startsWith('0x') ? key : toHex(utf8(key));
        const answer = await client.state(keyBytes, {
          prove: options.prove === true,
          ...(options.height === undefined ? {} : { height: Number(options.height) }),
        });
        if (options.json) {
          printJson(answer);
          return;
        }
        const shown =
          answer.valueJson !== undefined
            ? JSON.stringify(answer.valueJson)
            : answer.value === null
              ? '(absent)'
              : readableStateValue(keyBytes, answer.value);
        console.log(`${key} at height ${answer.height}: ${shown}`);
        if (!options.prove) return;
        let validators: ValidatorSet;
        let source: string;
        if (options.genesis) {
          validators = genesisValidatorSet(parseGenesis(readFileSync(options.genesis, 'utf8')));
          source = `the validator set of ${options.genesis}`;
        } else {
          validators = new ValidatorSet(
            (await client.validators()).map((v) => fromHexFixed(v.publicKey, 32)),
          );
          source = 'the validator set the node reports (pass --genesis to trust your own copy)';
        }
        const verdict = verifyStateProof(answer, validators);
        if (verdict.valid) {
          console.log(
            `proof: VALID — ${answer.proof?.length} trie nodes to state root ${answer.header?.stateRoot.slice(0, 18)}…, block ${verdict.height} certified by ${verdict.signers}/${validators.size} validators of ${source}`,
          );
        } else {
          console.log(`proof: INVALID — ${verdict.failure?.code}: ${verdict.failure?.message}`);
          process.exitCode = 1;
        }
      } finally {
        client.close();
      }
    },
  );
}
