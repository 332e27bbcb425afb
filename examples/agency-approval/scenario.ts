/**
 * The agency-approval story on a running network, through the SDK only:
 *
 *  1. the regulator admits the five agencies (each granted its role
 *     `agency:<step>`) and a developer; each organisation's admin registers one
 *     officer, who proves possession of its key by signing its registration
 *     statement (keys are made here and never sent anywhere);
 *  2. the organisations agree on the contract (seed 000's contract
 *     generation): the regulator proposes the compiled code and its hash, the
 *     admins vote yes naming that hash, and the vote that completes the quorum
 *     deploys it;
 *  3. the developer submits one application and the five agencies approve it
 *     in order; every call's receipt (gas, result) and the contract events
 *     pushed over the WebSocket subscription are printed as they happen;
 *  4. the application's history is read back with a read-only query.
 *
 * Used by `run.ts` (npm run example:agency) and by the multi-process test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MeridianClient, TxStatusJson } from '../../src/api/sdk.ts';
import type { EventNotificationJson } from '../../src/api/ws-messages.ts';
import { toHex } from '../../src/codec/bytes.ts';
import { compileContract } from '../../src/contracts/compile.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/crypto/ed25519.ts';
import { signStatement } from '../../src/modules/membership/statement.ts';

export const STEPS = ['development-reform', 'planning', 'environment', 'housing', 'transport'] as const;
export const AGENCY_NAMES: Record<(typeof STEPS)[number], string> = {
  'development-reform': 'Development & Reform Commission',
  planning: 'Planning Bureau',
  environment: 'Environment Bureau',
  housing: 'Housing & Construction Bureau',
  transport: 'Transport Bureau',
};
export const CONTRACT = 'agency-approval';
const CONTRACT_SOURCE = join(import.meta.dirname, '../contracts/agency-approval.ts');

export interface ScenarioKeys {
  /** A regulator admin. */
  readonly regulator: SigningKeyPair;
  /** Admins of the founding member organisations (they vote too). */
  readonly founders: readonly SigningKeyPair[];
}

export interface CallMeasure {
  readonly what: string;
  readonly gasUsed: number;
  /** From submission to the receipt, as the client saw it. */
  readonly commitMs: number;
}

export interface ScenarioResult {
  readonly applicationId: string;
  readonly status: string;
  readonly history: readonly {
    action: string;
    step: string | null;
    by: string;
    comment: string;
    height: number;
  }[];
  readonly calls: readonly CallMeasure[];
  /** Contract events the WebSocket subscription delivered. */
  readonly events: readonly EventNotificationJson[];
  readonly codeHash: string;
  /** Organisation id of each agency (a suffix is added when a step's plain id is already taken). */
  readonly agencies: Readonly<Record<string, string>>;
  /** Officers and the applicant, for further calls (e.g. a throughput measurement). */
  readonly officers: ReadonlyMap<string, SigningKeyPair>;
  readonly applicant: SigningKeyPair;
}

type Log = (line: string) => void;

const short = (key: Uint8Array | string) => {
  const hex = typeof key === 'string' ? key : toHex(key);
  return `${hex.slice(0, 10)}…`;
};

class Story {
  readonly events: EventNotificationJson[] = [];
  readonly calls: CallMeasure[] = [];
  readonly #waiting = new Map<string, () => void>();
  #chainId: string | undefined;

  constructor(
    readonly client: MeridianClient,
    readonly log: Log,
  ) {}

  async chainId(): Promise<string> {
    this.#chainId ??= (await this.client.status()).chainId;
    return this.#chainId;
  }

  /** Contract events pushed by the node, printed once the transaction that emitted them committed. */
  follow(): () => void {
    return this.client.subscribe('events', { module: 'contract' }, (event) => {
      this.events.push(event);
      this.#waiting.get(event.txHash)?.();
    });
  }

  /** Sends, waits for the receipt, fails loudly on an error receipt. */
  async send(
    signer: SigningKeyPair,
    kind: string,
    payload: Record<string, unknown>,
    what: string,
  ): Promise<TxStatusJson> {
    const started = performance.now();
    const { hash } = await this.client.sendTx({ kind, payload, signer });
    const status = await this.client.waitForTx(hash, { timeoutMs: 60_000 });
    const receipt = status.receipt!;
    if (receipt.status !== 'ok')
      throw new Error(`${what} failed: ${receipt.errorCode}: ${receipt.errorMessage}`);
    if (kind === 'contract.call')
      this.calls.push({ what, gasUsed: receipt.gasUsed, commitMs: performance.now() - started });
    return status;
  }

  /** Waits until the subscription has delivered the `count` contract events of `txHash`, then prints them. */
  async eventsOf(txHash: string, count: number): Promise<void> {
    const mine = () => this.events.filter((e) => e.txHash === txHash);
    if (mine().length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`events of ${txHash} did not arrive`)), 30_000);
        this.#waiting.set(txHash, () => {
          if (mine().length >= count) {
            clearTimeout(timer);
            this.#waiting.delete(txHash);
            resolve();
          }
        });
      });
    }
    for (const e of mine())
      this.log(
        `      ↳ event ${e.name} ${JSON.stringify((e.data as { data: unknown }).data)}  (block ${e.height})`,
      );
  }

  async statementFor(member: SigningKeyPair, organization: string, name: string, roles: string[]) {
    return signStatement(
      {
        chainId: await this.chainId(),
        organization,
        publicKey: toHex(member.publicKey),
        kind: 'user',
        name,
        roles,
      },
      member,
    );
  }

  /** An organisation id not yet taken: `base`, else `base-2`, `base-3`, ... */
  async freeId(base: string): Promise<string> {
    const taken = new Set(
      (await this.client.query<{ id: string }[]>('membership', 'organizations')).map((o) => o.id),
    );
    for (let n = 1; ; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      if (!taken.has(id)) return id;
    }
  }

  /** Admits an organisation (regulator) and registers one officer with `roles` (its admin). */
  async admitWithOfficer(
    regulator: SigningKeyPair,
    base: string,
    name: string,
    roles: string[],
    officerName: string,
  ): Promise<{ id: string; admin: SigningKeyPair; officer: SigningKeyPair }> {
    const id = await this.freeId(base);
    const admin = generateSigningKeyPair();
    await this.send(
      regulator,
      'membership.admitOrganization',
      { id, name, roles, admin: await this.statementFor(admin, id, `${name} admin`, ['org-admin']) },
      `admit ${id}`,
    );
    const officer = generateSigningKeyPair();
    await this.send(
      admin,
      'membership.registerMember',
      { statement: await this.statementFor(officer, id, officerName, roles.length > 0 ? roles : ['member']) },
      `register the officer of ${id}`,
    );
    return { id, admin, officer };
  }
}

export async function runAgencyScenario(
  client: MeridianClient,
  keys: ScenarioKeys,
  log: Log = console.log,
): Promise<ScenarioResult> {
  const story = new Story(client, log);
  const unsubscribe = story.follow();
  try {
    // ---- 1. admission ---------------------------------------------------------
    log('\n1. The regulator admits the five agencies and a developer; each admin registers an officer');
    const agencies: Record<string, string> = {};
    const officers = new Map<string, SigningKeyPair>();
    const admins: SigningKeyPair[] = [];
    for (const step of STEPS) {
      const { id, admin, officer } = await story.admitWithOfficer(
        keys.regulator,
        step,
        AGENCY_NAMES[step],
        [`agency:${step}`],
        `${AGENCY_NAMES[step]} officer`,
      );
      agencies[step] = id;
      officers.set(step, officer);
      admins.push(admin);
      log(`   admitted ${id.padEnd(20)} role agency:${step.padEnd(20)} officer ${short(officer.publicKey)}`);
    }
    const developer = await story.admitWithOfficer(
      keys.regulator,
      'riverside-developments',
      'Riverside Developments Ltd',
      [],
      'project manager',
    );
    admins.push(developer.admin);
    log(
      `   admitted ${developer.id.padEnd(20)} (the applicant)              officer ${short(developer.officer.publicKey)}`,
    );

    // ---- 2. contract generation ---------------------------------------------------
    log('\n2. The organisations agree on the contract and deploy it through governance');
    const compiled = await compileContract(readFileSync(CONTRACT_SOURCE, 'utf8'));
    log(
      `   compiled examples/contracts/agency-approval.ts (${compiled.compiler}): ${compiled.code.length} bytes, code hash ${short(compiled.codeHash)}`,
    );
    const existing = await client
      .query<{ codeHash: string; version: number }>('contract', 'info', { name: CONTRACT })
      .catch(() => undefined);
    if (existing?.codeHash === compiled.codeHash) {
      log(`   ${CONTRACT} v${existing.version} already runs exactly this code: nothing to propose`);
    } else {
      const action = existing
        ? { type: 'upgradeContract', name: CONTRACT, code: compiled.code, codeHash: compiled.codeHash }
        : { type: 'deployContract', name: CONTRACT, code: compiled.code, codeHash: compiled.codeHash };
      const proposed = await story.send(
        keys.regulator,
        'governance.propose',
        { action, description: 'multi-agency construction approval (seed 003 §5.1)' },
        'propose',
      );
      let result = proposed.receipt!.result as { id: number; status: string };
      log(`   proposal #${result.id} by the regulator (${action.type}); the regulator's yes is its proposal`);
      for (const voter of [...admins, ...keys.founders]) {
        if (result.status !== 'open') break;
        const vote = await story.send(
          voter,
          'governance.vote',
          { id: result.id, approve: true, codeHash: compiled.codeHash },
          'vote',
        );
        result = { id: result.id, status: (vote.receipt!.result as { status: string }).status };
        const who = (
          await client.query<{ organization: string }>('membership', 'member', {
            publicKey: toHex(voter.publicKey),
          })
        ).organization;
        log(`   ${who.padEnd(24)} votes yes for ${short(compiled.codeHash)} → ${result.status}`);
      }
      if (result.status !== 'passed') throw new Error(`proposal #${result.id} is ${result.status}`);
      const info = await client.query<{ version: number; methods: string[] }>('contract', 'info', {
        name: CONTRACT,
      });
      log(`   deployed ${CONTRACT} v${info.version}: methods ${info.methods.join(', ')}`);
    }

    // ---- 3. one application through five agencies -----------------------------------------
    log('\n3. One application through the five agencies');
    const submitted = await story.send(
      developer.officer,
      'contract.call',
      {
        name: CONTRACT,
        method: 'submit',
        args: {
          projectName: 'Riverside primary school',
          location: 'Wuchang district, Wuhan',
          documentsHash: `0x${'5c'.repeat(32)}`,
        },
      },
      'submit',
    );
    const applicationId = (submitted.receipt!.result as { result: string }).result;
    log(
      `   the developer submits "Riverside primary school" → ${applicationId}  (block ${submitted.height}, ${submitted.receipt!.gasUsed} gas)`,
    );
    await story.eventsOf(submitted.hash, 1);
    for (const step of STEPS) {
      const comment = `${AGENCY_NAMES[step]}: approved`;
      const approved = await story.send(
        officers.get(step)!,
        'contract.call',
        { name: CONTRACT, method: 'approve', args: { id: applicationId, comment } },
        `approve (${step})`,
      );
      log(
        `   ${agencies[step]!.padEnd(20)} approves  (block ${approved.height}, ${approved.receipt!.gasUsed} gas)`,
      );
      await story.eventsOf(approved.hash, step === 'transport' ? 2 : 1);
    }

    // ---- 4. the record ------------------------------------------------------------------
    log('\n4. The record, read back with a read-only query');
    const { result: application } = await client.query<{
      result: { status: string; history: ScenarioResult['history'] };
    }>('contract', 'query', {
      name: CONTRACT,
      method: 'get',
      args: { id: applicationId },
      caller: toHex(developer.officer.publicKey),
    });
    log(`   ${applicationId}: ${application.status}`);
    for (const h of application.history) {
      log(
        `   height ${String(h.height).padEnd(5)} ${h.action.padEnd(9)} ${(h.step ?? '').padEnd(19)} by ${short(h.by)} ${h.comment}`,
      );
    }
    return {
      applicationId,
      status: application.status,
      history: application.history,
      calls: story.calls,
      events: story.events,
      codeHash: compiled.codeHash,
      agencies,
      officers,
      applicant: developer.officer,
    };
  } finally {
    unsubscribe();
  }
}
