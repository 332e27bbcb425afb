/**
 * `meridian member statement|add|suspend|reinstate|list|show`: an
 * organisation's admin registers its users, devices and nodes.
 *
 * Possession of a key is proved by a registration statement the member signs
 * with its own key. Two ways:
 * - the secure one, for a device that made its key itself: on the device,
 *   `meridian member statement --key device.json ... --out device.statement.json`,
 *   then the admin runs `meridian member add --statement device.statement.json`;
 *   the device's key file never leaves the device;
 * - the convenient one, when the admin's machine holds the member's key file
 *   anyway: `meridian member add --member-key user.json ...` signs it here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { MeridianClient } from '../../api/sdk.ts';
import { toHex } from '../../codec/bytes.ts';
import { MeridianError } from '../../errors.ts';
import { checkPublicKey, type MemberKind } from '../../modules/membership/identity.ts';
import {
  MAX_STATEMENT_BYTES,
  type RegistrationStatement,
  signStatement,
} from '../../modules/membership/statement.ts';
import { addNodeOption, clientFor, printJson } from '../client.ts';
import { addSignerOptions, csv, type SignerOptions, sendAndReport } from './send.ts';
import { loadSigner } from './tx.ts';

interface ClaimOptions {
  organization: string;
  kind: string;
  name: string;
  roles?: string;
  host?: string;
  port?: string;
}

function claimsFrom(options: ClaimOptions) {
  const port = options.port === undefined ? undefined : Number(options.port);
  return {
    organization: options.organization,
    kind: options.kind as MemberKind,
    name: options.name,
    roles: csv(options.roles),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(port === undefined ? {} : { port }),
  };
}

/**
 * Signs a registration statement with the member's own key file. The chain id
 * comes from `chainId`, else from the node the client talks to.
 */
export async function signedStatement(
  key: { key: string; passphraseFile?: string },
  claims: ReturnType<typeof claimsFrom>,
  client: MeridianClient,
  chainId?: string,
): Promise<RegistrationStatement> {
  const signer = await loadSigner(key);
  let id = chainId;
  if (id === undefined) {
    try {
      id = (await client.status()).chainId;
    } finally {
      client.close();
    }
  }
  return signStatement({ chainId: id, publicKey: toHex(signer.publicKey), ...claims }, signer);
}

/** Reads a statement file a member signed with its own key. */
export function readStatementFile(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  if (text.length > MAX_STATEMENT_BYTES)
    throw new MeridianError(
      'FILE_TOO_LARGE',
      `${path} is over ${MAX_STATEMENT_BYTES} bytes; is it a statement?`,
    );
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new MeridianError('BAD_STATEMENT', `${path} is not JSON`, {
      hint: 'make it with `meridian member statement --out <file>`',
    });
  }
}

/** The claim options; `required` = --organization and --name must be given (else checked by the caller). */
function addClaimOptions(command: Command, required = true): Command {
  if (required) {
    command
      .requiredOption('--organization <id>', 'the organisation it joins')
      .requiredOption('--name <name>', 'display name');
  } else {
    command
      .option('--organization <id>', 'the organisation it joins')
      .option('--name <name>', 'display name');
  }
  return command
    .option('--kind <kind>', 'user, device or node', 'user')
    .option('--roles <roles>', 'comma-separated roles, e.g. member or agency:planning', 'member')
    .option('--host <host>', 'nodes: where peers reach it')
    .option('--port <port>', 'nodes: its node-to-node port');
}

export function registerMemberCommands(program: Command): void {
  const member = program
    .command('member')
    .description("register and manage an organisation's users, devices and nodes");

  addNodeOption(
    addClaimOptions(
      member
        .command('statement')
        .description(
          'sign a registration statement with your own key (on the device or user machine), for an admin to submit',
        )
        .requiredOption(
          '-k, --key <file>',
          'the key file of the member being registered (it never leaves this machine)',
        )
        .option('--passphrase-file <file>', 'read the key passphrase from this file')
        .option('--chain-id <id>', 'the chain it is for (default: asked from --node)')
        .option('-o, --out <file>', 'write the statement here (default: print it)'),
    ),
  ).action(
    async (
      options: ClaimOptions & {
        key: string;
        passphraseFile?: string;
        chainId?: string;
        out?: string;
        node?: string;
      },
    ) => {
      const statement = await signedStatement(
        options,
        claimsFrom(options),
        clientFor(options),
        options.chainId,
      );
      const text = JSON.stringify(statement, null, 2) + '\n';
      if (options.out) {
        writeFileSync(options.out, text);
        console.log(
          `statement for ${statement.publicKey} written to ${options.out}; give it to an admin of "${statement.organization}"`,
        );
      } else process.stdout.write(text);
    },
  );

  addSignerOptions(
    addClaimOptions(
      member
        .command('add')
        .description('register a user, device or node of your organisation (you are its org-admin)')
        .option('--member-key <file>', "the member's key file: its statement is signed here")
        .option(
          '--member-passphrase-file <file>',
          'passphrase of --member-key (else $MERIDIAN_PASSPHRASE or a prompt)',
        )
        .option(
          '--statement <file>',
          'a statement the member signed itself (`meridian member statement`): the secure path',
        ),
      false,
    ).addHelpText(
      'after',
      '\nWith --statement, everything is read from the statement; the claim options are for --member-key.',
    ),
    'your org-admin key file',
  ).action(
    async (
      options: ClaimOptions &
        SignerOptions & { memberKey?: string; memberPassphraseFile?: string; statement?: string },
    ) => {
      if (Boolean(options.memberKey) === Boolean(options.statement)) {
        throw new MeridianError('MEMBER_PROOF_REQUIRED', 'give exactly one of --member-key and --statement', {
          hint: 'the member proves it holds its key; --statement keeps its key file on its own machine',
        });
      }
      if (options.memberKey && (!options.organization || !options.name)) {
        throw new MeridianError('CLAIMS_REQUIRED', 'with --member-key, give --organization and --name', {
          hint: 'they are signed into the registration statement',
        });
      }
      const statement = options.statement
        ? readStatementFile(options.statement)
        : await signedStatement(
            {
              key: options.memberKey!,
              ...(options.memberPassphraseFile ? { passphraseFile: options.memberPassphraseFile } : {}),
            },
            claimsFrom(options),
            clientFor(options),
          );
      await sendAndReport(options, 'membership.registerMember', { statement });
    },
  );

  for (const [command, method, verb] of [
    ['suspend', 'suspendMember', 'suspend a member of your organisation: its key can no longer write'],
    ['reinstate', 'reinstateMember', 'reinstate a suspended member of your organisation'],
  ] as const) {
    const sub = member
      .command(command)
      .description(verb)
      .argument('<publicKey>', "the member's public key (0x…)");
    if (command === 'suspend') sub.option('--reason <text>', 'why (recorded in the event)');
    addSignerOptions(sub, 'your org-admin key file').action(
      async (publicKey: string, options: SignerOptions & { reason?: string }) => {
        await sendAndReport(options, `membership.${method}`, {
          publicKey: checkPublicKey(publicKey),
          ...(options.reason ? { reason: options.reason } : {}),
        });
      },
    );
  }

  addNodeOption(
    member
      .command('list')
      .description("list an organisation's members")
      .requiredOption('--organization <id>', 'organisation id')
      .option('--json', 'print JSON'),
  ).action(async (options: { node?: string; organization: string; json?: boolean }) => {
    const client = clientFor(options);
    try {
      const members = await client.query<
        { publicKey: string; kind: string; name: string; roles: string[]; status: string }[]
      >('membership', 'members', { organization: options.organization });
      if (options.json) {
        printJson(members);
        return;
      }
      for (const m of members) {
        console.log(
          `  ${m.publicKey}  ${m.kind.padEnd(6)}  ${m.status.padEnd(9)}  ${m.name}  [${m.roles.join(', ')}]`,
        );
      }
    } finally {
      client.close();
    }
  });

  addNodeOption(
    member
      .command('show')
      .description('show a member by its public key')
      .argument('<publicKey>', 'public key (0x…)'),
  ).action(async (publicKey: string, options: { node?: string }) => {
    const client = clientFor(options);
    try {
      printJson(await client.query('membership', 'member', { publicKey: checkPublicKey(publicKey) }));
    } finally {
      client.close();
    }
  });
}
