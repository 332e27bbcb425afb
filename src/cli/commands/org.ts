/**
 * `meridian org admit|suspend|reinstate|list`: the regulator's side of
 * membership. Admission needs the new organisation's first admin to prove it
 * holds its key: give its key file (`--admin-key`, signed here, the key never
 * leaves this machine) or a statement it signed itself (`--admin-statement`,
 * from `meridian member statement`). `--via-governance` turns the action into
 * a proposal the organisations vote on instead of a regulator decision.
 */
import type { Command } from 'commander';
import { MeridianError } from '../../errors.ts';
import { checkOrganizationId } from '../../modules/membership/identity.ts';
import { addNodeOption, clientFor, printJson } from '../client.ts';
import { readStatementFile, signedStatement } from './member.ts';
import { addSignerOptions, csv, type SignerOptions, sendAndReport } from './send.ts';

interface AdmitOptions extends SignerOptions {
  name: string;
  roles?: string;
  adminKey?: string;
  adminPassphraseFile?: string;
  adminStatement?: string;
  adminName?: string;
  viaGovernance?: boolean;
  description?: string;
}

/** Sends `membership.<method>` directly, or proposes the equivalent governance action. */
async function regulatorAction(
  options: SignerOptions & { viaGovernance?: boolean; description?: string },
  method: string,
  payload: Record<string, unknown>,
  action: Record<string, unknown>,
): Promise<void> {
  if (options.viaGovernance) {
    await sendAndReport(options, 'governance.propose', {
      action,
      ...(options.description ? { description: options.description } : {}),
    });
    return;
  }
  await sendAndReport(options, `membership.${method}`, payload);
}

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('admit, suspend and list organisations (regulators)');

  addSignerOptions(
    org
      .command('admit')
      .description('admit an organisation with its first admin (who proves possession of its key)')
      .argument('<id>', 'organisation id: lowercase words joined by -, e.g. planning-bureau')
      .requiredOption('--name <name>', 'display name')
      .option(
        '--roles <roles>',
        'roles the organisation may grant its members, comma-separated (e.g. agency:planning)',
      )
      .option('--admin-key <file>', "the new admin's key file: its statement is signed here")
      .option(
        '--admin-passphrase-file <file>',
        'passphrase of --admin-key (else $MERIDIAN_PASSPHRASE or a prompt)',
      )
      .option('--admin-name <name>', "the admin's display name", 'admin')
      .option('--admin-statement <file>', 'a statement the admin signed itself (`meridian member statement`)')
      .option('--via-governance', 'propose it for a vote instead of deciding as the regulator')
      .option('--description <text>', 'proposal description (with --via-governance)'),
    'a regulator admin key file (or any org-admin key with --via-governance)',
  ).action(async (id: string, options: AdmitOptions) => {
    checkOrganizationId(id);
    if (Boolean(options.adminKey) === Boolean(options.adminStatement)) {
      throw new MeridianError('ADMIN_REQUIRED', 'give exactly one of --admin-key and --admin-statement', {
        hint: 'the admin proves it holds its key; --admin-statement keeps its key file on its own machine',
      });
    }
    const admin = options.adminStatement
      ? readStatementFile(options.adminStatement)
      : await signedStatement(
          {
            key: options.adminKey!,
            ...(options.adminPassphraseFile ? { passphraseFile: options.adminPassphraseFile } : {}),
          },
          { organization: id, kind: 'user', name: options.adminName ?? 'admin', roles: ['org-admin'] },
          clientFor(options),
        );
    const organization = { id, name: options.name, roles: csv(options.roles), admin };
    await regulatorAction(options, 'admitOrganization', organization, {
      type: 'admitOrganization',
      organization,
    });
  });

  for (const [command, method, verb] of [
    [
      'suspend',
      'suspendOrganization',
      'suspend an organisation: its keys can no longer write, its nodes are disconnected',
    ],
    ['reinstate', 'reinstateOrganization', 'reinstate a suspended organisation'],
  ] as const) {
    const sub = org.command(command).description(verb).argument('<id>', 'organisation id');
    if (command === 'suspend') sub.option('--reason <text>', 'why (recorded in the event)');
    addSignerOptions(
      sub
        .option('--via-governance', 'propose it for a vote instead of deciding as the regulator')
        .option('--description <text>', 'proposal description (with --via-governance)'),
      'a regulator admin key file (or any org-admin key with --via-governance)',
    ).action(
      async (
        id: string,
        options: SignerOptions & { reason?: string; viaGovernance?: boolean; description?: string },
      ) => {
        const payload = { id, ...(options.reason ? { reason: options.reason } : {}) };
        await regulatorAction(options, method, payload, { type: method, ...payload });
      },
    );
  }

  addNodeOption(
    org
      .command('list')
      .description('list the organisations')
      .option('--status <status>', 'active or suspended')
      .option('--json', 'print JSON'),
  ).action(async (options: { node?: string; status?: string; json?: boolean }) => {
    const client = clientFor(options);
    try {
      const organizations = await client.query<
        {
          id: string;
          name: string;
          regulator: boolean;
          status: string;
          roles: string[];
          admittedAtHeight: number;
        }[]
      >('membership', 'organizations', options.status ? { status: options.status } : {});
      if (options.json) {
        printJson(organizations);
        return;
      }
      console.log('  id                  status     since  roles');
      for (const o of organizations) {
        const roles = [...(o.regulator ? ['(regulator)'] : []), ...o.roles].join(', ');
        console.log(
          `  ${o.id.padEnd(18)}  ${o.status.padEnd(9)}  ${String(o.admittedAtHeight).padEnd(5)}  ${roles}`,
        );
      }
    } finally {
      client.close();
    }
  });
}
