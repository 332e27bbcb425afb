/**
 * Where the CLI gets a key-file passphrase, in order: `--passphrase-file`, the
 * `MERIDIAN_PASSPHRASE` environment variable, an interactive prompt (hidden
 * input) when stdin is a terminal. Never from a plain command-line argument,
 * which would land in shell history and `ps` output.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MeridianError } from '../errors.ts';

async function promptHidden(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
  let prompted = false;
  output._writeToOutput = (s: string) => {
    if (!prompted) {
      output.output.write(s);
      prompted = true;
    }
  };
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

export async function readPassphrase(
  options: { passphraseFile?: string },
  confirm: boolean,
): Promise<string> {
  if (options.passphraseFile) return readFileSync(options.passphraseFile, 'utf8').replace(/\r?\n$/, '');
  const fromEnv = process.env.MERIDIAN_PASSPHRASE;
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new MeridianError('PASSPHRASE_REQUIRED', 'no passphrase given and no terminal to ask on', {
      hint: 'pass --passphrase-file <file> or set MERIDIAN_PASSPHRASE',
    });
  }
  const first = await promptHidden('passphrase: ');
  if (confirm && (await promptHidden('repeat passphrase: ')) !== first) {
    throw new MeridianError('PASSPHRASE_MISMATCH', 'the two passphrases differ', {
      hint: 'run the command again',
    });
  }
  return first;
}
