/**
 * `meridian gov propose|vote|list|show`: governance by the organisations'
 * admins. A yes-vote on a contract deployment must name the code hash it
 * approves; `--source` compiles the agreed source here and refuses to vote if
 * its hash differs from the proposal's, so each organisation checks the code
 * for itself instead of trusting the proposer.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { MeridianClient } from '../../api/sdk.ts';
import { compileContract } from '../../contracts/compile.ts';
import { MeridianError } from '../../errors.ts';
import { addNodeOption, clientFor, printJson } from '../client.ts';
import { addSignerOptions, parseJsonArgument, type SignerOptions, sendAndReport } from './send.ts';

interface ProposalJson {
  id: number;
  status: string;
  action: { type: string; codeHash?: string; [key: string]: unknown };
  description: string;
  organization: string;
  createdAtHeight: number;
  expiresAtHeight: number;
  outcome: unknown;
  votes?: { organization: string; approve: boolean; height: number }[];
  tally?: {
    outcome: string;
    threshold: number;
    memberYes: number;
    memberNo: number;
    regulatorYes: number;
    regulatorNo: number;
  };
}

export function proposal(client: MeridianClient, id: number): Promise<ProposalJson> {
  return client.query<ProposalJson>('governance', 'proposal', { id });
}

function proposalId(text: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new MeridianError('BAD_PROPOSAL_ID', `"${text}" is not a proposal number`);
  return id;
}

function describeAction(action: ProposalJson['action']): string {
  const { type, ...rest } = action;
  return `${type} ${JSON.stringify(rest)}`;
}

/** The code hash this vote approves, checked against the proposal before anything is signed. */
async function approvedCodeHash(
  client: MeridianClient,
  id: number,
  options: { source?: string; codeHash?: string },
): Promise<string | undefined> {
  const expected = (await proposal(client, id)).action.codeHash;
  if (expected === undefined) return undefined;
  let mine = options.codeHash;
  if (options.source) {
    const compiled = await compileContract(
      readFileSync(options.source, 'utf8'),
      options.source.endsWith('.js') ? 'js' : 'ts',
    );
    mine = compiled.codeHash;
    console.log(`compiled ${options.source} (${compiled.compiler}): ${mine}`);
  }
  if (mine === undefined) {
    throw new MeridianError(
      'CODE_HASH_REQUIRED',
      `proposal ${id} deploys code ${expected}; say which code you approve`,
      {
        hint: 'pass --source <the agreed .ts file> (compiled and compared here) or --code-hash <0x…>',
      },
    );
  }
  if (mine !== expected) {
    throw new MeridianError(
      'CODE_HASH_MISMATCH',
      `proposal ${id} deploys ${expected}, but you approve ${mine}`,
      {
        hint: 'do not vote yes: the proposed code is not the source you reviewed (or was compiled differently)',
      },
    );
  }
  return mine;
}

export function registerGovCommands(program: Command): void {
  const gov = program.command('gov').description('governance: proposals and votes by organisation');

  addSignerOptions(
    gov
      .command('propose')
      .description('propose an action; your organisation votes yes with it')
      .argument(
        '<action>',
        'the action as JSON or @file.json, e.g. \'{"type":"setParameters","parameters":{"maxBatchCount":500}}\'',
      )
      .option('--description <text>', 'why'),
    'your org-admin key file',
  )
    .addHelpText(
      'after',
      '\nAction types: admitOrganization, suspendOrganization, reinstateOrganization, addValidator, removeValidator,\n' +
        'deployContract, upgradeContract, disableContract, enableContract, setParameters (see `meridian contract deploy`\n' +
        'and `meridian org admit --via-governance` for the ones that need compiling or signing).',
    )
    .action(async (actionText: string, options: SignerOptions & { description?: string }) => {
      const action = parseJsonArgument(actionText, 'the action');
      await sendAndReport(options, 'governance.propose', {
        action,
        ...(options.description ? { description: options.description } : {}),
      });
    });

  addSignerOptions(
    gov
      .command('vote')
      .description('vote for your organisation (once)')
      .argument('<id>', 'proposal number')
      .argument('<choice>', 'yes or no')
      .option(
        '--source <file>',
        'contract proposals: the agreed source, compiled here and compared with the proposal',
      )
      .option('--code-hash <hash>', 'contract proposals: the code hash you approve'),
    'your org-admin key file',
  ).action(
    async (
      idText: string,
      choice: string,
      options: SignerOptions & { source?: string; codeHash?: string },
    ) => {
      const id = proposalId(idText);
      if (choice !== 'yes' && choice !== 'no') throw new MeridianError('BAD_CHOICE', 'vote yes or no');
      const approve = choice === 'yes';
      const client = clientFor(options);
      const codeHash = approve ? await approvedCodeHash(client, id, options) : undefined;
      await sendAndReport(
        options,
        'governance.vote',
        { id, approve, ...(codeHash ? { codeHash } : {}) },
        client,
      );
    },
  );

  addNodeOption(
    gov
      .command('list')
      .description('list proposals, newest first')
      .option('--status <status>', 'open, passed, rejected, failed or expired')
      .option('--json', 'print JSON'),
  ).action(async (options: { node?: string; status?: string; json?: boolean }) => {
    const client = clientFor(options);
    try {
      const proposals = await client.query<ProposalJson[]>(
        'governance',
        'proposals',
        options.status ? { status: options.status } : {},
      );
      if (options.json) {
        printJson(proposals);
        return;
      }
      if (proposals.length === 0) console.log('no proposals');
      for (const p of proposals) {
        console.log(
          `  #${String(p.id).padEnd(4)} ${p.status.padEnd(8)} by ${p.organization.padEnd(14)} ${describeAction(p.action)}`,
        );
      }
    } finally {
      client.close();
    }
  });

  addNodeOption(
    gov
      .command('show')
      .description('a proposal with its votes and current tally')
      .argument('<id>', 'proposal number')
      .option('--json', 'print JSON'),
  ).action(async (idText: string, options: { node?: string; json?: boolean }) => {
    const client = clientFor(options);
    try {
      const p = await proposal(client, proposalId(idText));
      if (options.json) {
        printJson(p);
        return;
      }
      console.log(`proposal #${p.id}: ${p.status}`);
      console.log(`  action:   ${describeAction(p.action)}`);
      if (p.description) console.log(`  why:      ${p.description}`);
      console.log(
        `  proposed: by ${p.organization} at height ${p.createdAtHeight}; open until height ${p.expiresAtHeight}`,
      );
      for (const v of p.votes ?? [])
        console.log(
          `  vote:     ${v.organization.padEnd(16)} ${v.approve ? 'yes' : 'no'} (height ${v.height})`,
        );
      if (p.tally) {
        const t = p.tally;
        console.log(
          `  tally:    members ${t.memberYes} yes / ${t.memberNo} no (needs ${t.threshold}); regulators ${t.regulatorYes} yes / ${t.regulatorNo} no`,
        );
      }
      if (p.outcome !== null) console.log(`  outcome:  ${JSON.stringify(p.outcome)}`);
    } finally {
      client.close();
    }
  });
}
