/** `meridian key ...`: create and inspect identities (Ed25519 signing + X25519 encryption keys). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { encryptKeyFile, generateIdentity, parseKeyFile } from '../../crypto/keyfile.ts';
import { MeridianError } from '../../errors.ts';
import { readPassphrase } from '../passphrase.ts';

export function registerKeyCommands(program: Command): void {
  const key = program.command('key').description('create and inspect key files');

  key
    .command('gen')
    .description(
      'generate a new identity and write it to an encrypted key file (the secret never leaves this machine)',
    )
    .option('-o, --out <file>', 'where to write the key file', 'meridian-key.json')
    .option('-l, --label <label>', 'a name for the key, stored in clear in the file', '')
    .option('--passphrase-file <file>', 'read the passphrase from this file instead of prompting')
    .option('--force', 'overwrite an existing file')
    .action(async (options: { out: string; label: string; passphraseFile?: string; force?: boolean }) => {
      if (existsSync(options.out) && !options.force) {
        throw new MeridianError('FILE_EXISTS', `${options.out} already exists`, {
          hint: 'choose another --out, or pass --force to overwrite it (the old key is lost)',
        });
      }
      const passphrase = await readPassphrase(options, true);
      const file = await encryptKeyFile(generateIdentity(), passphrase, { label: options.label });
      writeFileSync(options.out, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
      console.log(`public key:            ${file.publicKey}`);
      console.log(`encryption public key: ${file.encryptionPublicKey}`);
      console.log(`written to:            ${options.out}`);
    });

  key
    .command('show')
    .description('print the public keys of a key file (no passphrase needed)')
    .argument('<file>', 'key file')
    .action((path: string) => {
      const file = parseKeyFile(readFileSync(path, 'utf8'));
      console.log(
        JSON.stringify(
          { label: file.label, publicKey: file.publicKey, encryptionPublicKey: file.encryptionPublicKey },
          null,
          2,
        ),
      );
    });
}
