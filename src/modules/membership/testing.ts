/**
 * A permissioned chain at the execution level, for tests of the membership,
 * governance and contract modules: a genesis with a regulator and N member
 * organisations (each with an admin and a validator node), signed
 * transactions, one block per `run`, module queries, and a log of every block
 * so independent replicas can re-execute them and compare state roots.
 */
import { type Genesis, validateGenesis } from '../../chain/genesis.ts';
import { encodeTx, signTx, verifyTxSignature } from '../../chain/transaction.ts';
import { fromUtf8, toHex, utf8 } from '../../codec/bytes.ts';
import type { JsonValue } from '../../codec/json.ts';
import { contractCodeHash } from '../../contracts/code-hash.ts';
import { generateSigningKeyPair, type SigningKeyPair } from '../../crypto/ed25519.ts';
import { type ExecutedBlock, type ExecutionEnvironment, executeBlock } from '../../exec/execute.ts';
import { buildGenesisState } from '../../exec/genesis-state.ts';
import type { Module } from '../../exec/module.ts';
import { runQuery } from '../../exec/query.ts';
import type { Receipt } from '../../exec/receipt.ts';
import type { MerklePatriciaTrie } from '../../trie/index.ts';
import { contractModule } from '../contract/contract-module.ts';
import { governanceModule } from '../governance/governance-module.ts';
import type { GovernanceSettings } from '../governance/settings.ts';
import { kvModule } from '../kv/kv-module.ts';
import { authorizeTx } from './authorize.ts';
import { membershipModule } from './membership-module.ts';
import { type RegistrationClaims, type RegistrationStatement, signStatement } from './statement.ts';

export const TEST_CHAIN_ID = 'permissioned-test';
const GENESIS_TIME_MS = 1_700_000_000_000;

export function permissionedModules(): Map<string, Module> {
  return new Map([kvModule, membershipModule, governanceModule, contractModule].map((m) => [m.name, m]));
}

export function permissionedEnv(
  authorize: ExecutionEnvironment['authorize'] = authorizeTx,
): ExecutionEnvironment {
  return {
    modules: permissionedModules(),
    isSignatureValid: (tx) => verifyTxSignature(tx),
    authorize,
  };
}

export interface TestOrganization {
  readonly id: string;
  readonly admin: SigningKeyPair;
  readonly node: SigningKeyPair;
}

export interface TestChainOptions {
  readonly memberOrganizations?: number;
  readonly governance?: Partial<GovernanceSettings>;
  /** Roles granted to each member organisation. */
  readonly organizationRoles?: readonly string[];
  /** The executor's admission hook (default `authorizeTx`; `replay` always uses `authorizeTx`). */
  readonly authorize?: ExecutionEnvironment['authorize'];
}

export class TestChain {
  readonly env: ExecutionEnvironment;
  readonly blocks: Uint8Array[][] = [];
  /** Receipts root of each block, in order (to compare with replicas). */
  readonly receiptsRoots: string[] = [];
  readonly #nonces = new Map<string, number>();
  height = 0;

  private constructor(
    readonly genesis: Genesis,
    readonly regulator: SigningKeyPair,
    readonly organizations: readonly TestOrganization[],
    public state: MerklePatriciaTrie,
    authorize: ExecutionEnvironment['authorize'],
  ) {
    this.env = permissionedEnv(authorize);
  }

  static create(options: TestChainOptions = {}): TestChain {
    const regulator = generateSigningKeyPair();
    const organizations = Array.from({ length: options.memberOrganizations ?? 3 }, (_, i) => ({
      id: `org-${i}`,
      admin: generateSigningKeyPair(),
      node: generateSigningKeyPair(),
    }));
    const genesis = validateGenesis({
      chainId: TEST_CHAIN_ID,
      genesisTimeMs: GENESIS_TIME_MS,
      validators: organizations.map((o, i) => ({
        name: `validator-${i}`,
        publicKey: toHex(o.node.publicKey),
        host: '127.0.0.1',
        port: 26_600 + i,
      })),
      organizations: [
        {
          id: 'regulator',
          name: 'Regulator',
          regulator: true,
          members: [
            {
              publicKey: toHex(regulator.publicKey),
              kind: 'user',
              name: 'regulator admin',
              roles: ['org-admin', 'regulator'],
            },
          ],
        },
        ...organizations.map((o, i) => ({
          id: o.id,
          name: `Organisation ${i}`,
          roles: options.organizationRoles ?? [],
          members: [
            {
              publicKey: toHex(o.admin.publicKey),
              kind: 'user',
              name: `${o.id} admin`,
              roles: ['org-admin'],
            },
            {
              publicKey: toHex(o.node.publicKey),
              kind: 'node',
              name: `validator-${i}`,
              roles: ['validator'],
              host: '127.0.0.1',
              port: 26_600 + i,
            },
          ],
        })),
      ],
      ...(options.governance ? { governance: options.governance } : {}),
    });
    const env = permissionedEnv();
    return new TestChain(
      genesis,
      regulator,
      organizations,
      buildGenesisState(genesis, env.modules),
      options.authorize ?? authorizeTx,
    );
  }

  /** A signed, encoded transaction with the signer's next nonce. */
  tx(signer: SigningKeyPair, kind: string, payload: unknown): Uint8Array {
    const sender = toHex(signer.publicKey);
    const nonce = this.#nonces.get(sender) ?? 0;
    this.#nonces.set(sender, nonce + 1);
    const body = {
      chainId: TEST_CHAIN_ID,
      sender: signer.publicKey,
      nonce,
      kind,
      payload: utf8(JSON.stringify(payload)),
    };
    return encodeTx(signTx(body, signer.secretKey));
  }

  /** Executes one block of transactions on the current state and moves on to it. */
  async run(txs: readonly Uint8Array[]): Promise<ExecutedBlock> {
    this.height += 1;
    const executed = await executeBlock(this.state, blockContext(this.height), txs, this.env);
    this.blocks.push([...txs]);
    this.receiptsRoots.push(toHex(executed.receiptsRoot));
    this.state = executed.state;
    return executed;
  }

  /** One transaction in its own block; returns its receipt. */
  async send(signer: SigningKeyPair, kind: string, payload: unknown): Promise<Receipt> {
    return (await this.run([this.tx(signer, kind, payload)])).receipts[0]!;
  }

  query<T = JsonValue>(module: string, name: string, params: JsonValue = {}): Promise<T> {
    return runQuery(
      this.env.modules,
      this.state,
      blockContext(this.height),
      module,
      name,
      params,
    ) as Promise<T>;
  }

  statement(
    signer: SigningKeyPair,
    claims: Omit<RegistrationClaims, 'chainId' | 'publicKey'>,
  ): RegistrationStatement {
    return signStatement({ chainId: TEST_CHAIN_ID, publicKey: toHex(signer.publicKey), ...claims }, signer);
  }

  /** Admits an organisation directly by the regulator, with a fresh admin key; returns the admin. */
  async admit(id: string, roles: readonly string[] = []): Promise<SigningKeyPair> {
    const admin = generateSigningKeyPair();
    const receipt = await this.send(this.regulator, 'membership.admitOrganization', {
      id,
      name: id,
      roles,
      admin: this.statement(admin, {
        organization: id,
        kind: 'user',
        name: `${id} admin`,
        roles: ['org-admin'],
      }),
    });
    if (receipt.status !== 'ok') throw new Error(`admit ${id}: ${receipt.errorCode} ${receipt.errorMessage}`);
    return admin;
  }

  /** Registers a fresh user of `organization` with `roles`, signed by that organisation's admin. */
  async addUser(
    admin: SigningKeyPair,
    organization: string,
    roles: readonly string[],
  ): Promise<SigningKeyPair> {
    const user = generateSigningKeyPair();
    const receipt = await this.send(admin, 'membership.registerMember', {
      statement: this.statement(user, { organization, kind: 'user', name: 'user', roles }),
    });
    if (receipt.status !== 'ok') throw new Error(`add user: ${receipt.errorCode} ${receipt.errorMessage}`);
    return user;
  }

  /**
   * Passes a governance proposal: org-0's admin proposes it, then the regulator and the other
   * organisations vote yes (with the code hash, for contracts) until it is decided. Returns the
   * receipt of the deciding transaction.
   */
  async pass(action: { [key: string]: unknown }): Promise<Receipt> {
    const [first, ...others] = this.organizations;
    const proposed = await this.send(first!.admin, 'governance.propose', { action });
    if (proposed.status !== 'ok') throw new Error(`propose: ${proposed.errorCode} ${proposed.errorMessage}`);
    const { id, status } = resultOf<{ id: number; status: string }>(proposed);
    if (status !== 'open') return proposed;
    const codeHash = typeof action.codeHash === 'string' ? { codeHash: action.codeHash } : {};
    for (const voter of [this.regulator, ...others.map((o) => o.admin)]) {
      const receipt = await this.send(voter, 'governance.vote', { id, approve: true, ...codeHash });
      if (receipt.status !== 'ok') throw new Error(`vote: ${receipt.errorCode} ${receipt.errorMessage}`);
      if (resultOf<{ status: string }>(receipt).status !== 'open') return receipt;
    }
    throw new Error(`proposal ${id} is still open after every organisation voted`);
  }

  /** Deploys compiled code under `name` through governance; throws unless it passed. */
  async deploy(name: string, code: string): Promise<void> {
    const receipt = await this.pass({ type: 'deployContract', name, code, codeHash: contractCodeHash(code) });
    const outcome = resultOf<{ status: string; outcome: unknown }>(receipt);
    if (outcome.status !== 'passed') throw new Error(`deploy ${name}: ${JSON.stringify(outcome)}`);
  }

  /** Re-executes every block on a fresh replica (its own genesis state and sandboxes); its final state root. */
  async replayRoot(): Promise<string> {
    return (await this.replay()).stateRoot;
  }

  /** Re-executes every block on a fresh replica: its final state root and each block's receipts root. */
  async replay(): Promise<{ stateRoot: string; receiptsRoots: string[] }> {
    const env = permissionedEnv();
    let state = buildGenesisState(this.genesis, env.modules);
    const receiptsRoots: string[] = [];
    for (const [index, txs] of this.blocks.entries()) {
      const executed = await executeBlock(state, blockContext(index + 1), txs, env);
      receiptsRoots.push(toHex(executed.receiptsRoot));
      state = executed.state;
    }
    return { stateRoot: toHex(state.root()), receiptsRoots };
  }

  get root(): string {
    return toHex(this.state.root());
  }
}

function blockContext(height: number) {
  return { chainId: TEST_CHAIN_ID, height, timestampMs: GENESIS_TIME_MS + height * 1000 };
}

/** A receipt's result as JSON. */
export function resultOf<T = JsonValue>(receipt: Receipt): T {
  return JSON.parse(fromUtf8(receipt.result)) as T;
}

/** A receipt's events as `{ module.name: data }` pairs, in order. */
export function eventsOf(receipt: Receipt): { name: string; data: JsonValue }[] {
  return receipt.events.map((e) => ({
    name: `${e.module}.${e.name}`,
    data: JSON.parse(fromUtf8(e.data)) as JsonValue,
  }));
}
