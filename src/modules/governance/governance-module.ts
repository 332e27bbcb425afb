/**
 * `governance`: proposals that organisations vote on, and the chain settings
 * they decide (validators, consensus parameters). A passed proposal is enacted
 * in the very transaction that completes its quorum, by invoking the module
 * that owns the state it changes (membership, contract), or by governance
 * itself for validators and parameters.
 *
 * | method  | payload                                   | who                                  |
 * | ------- | ----------------------------------------- | ------------------------------------ |
 * | propose | { action, description? }                  | an org-admin; counts as its org's yes |
 * | vote    | { id, approve, codeHash? }                | an org-admin, once per organisation   |
 *
 * A yes-vote on a deploy or upgrade must carry the code hash it approves
 * (seed 000's contract generation: each organisation signs the code it agreed
 * to). Quorum: quorum.ts and the genesis `governance` settings. A proposal is
 * open until it passes, is rejected (it can no longer pass) or expires (height
 * past `expiresAtHeight`: votes are then refused, listings say `expired`). If
 * the enactment fails (the state changed since the proposal), the proposal is
 * `failed` with the error, and nothing of it is applied.
 *
 * State (namespace `governance/`, canonical JSON):
 *   settings                 GovernanceSettings
 *   validators               [{ publicKey, name, host, port }]  the validator set governance decided
 *   parameters               ConsensusParameters                the parameters governance decided
 *   next-id                  the next proposal id
 *   proposal/<id, 10 digits> Proposal (the action summarised)
 *   action/<id, 10 digits>   the full action, chunked (contract code can be 256 KiB)
 *   vote/<id>/<organization> { organization, voter, approve, height }
 *
 * Events: proposalSubmitted, voteCast, proposalPassed, proposalRejected,
 * proposalFailed, validatorSetChanged { validators }, parametersChanged
 * { parameters, changed }.
 */

import {
  type ConsensusParameters,
  type Genesis,
  type GenesisValidator,
  validateConsensusParameters,
} from '../../chain/genesis.ts';
import { MAX_TX_PAYLOAD_BYTES } from '../../chain/transaction.ts';
import { MAX_VALIDATORS } from '../../chain/validator-set.ts';
import { fromUtf8, utf8 } from '../../codec/bytes.ts';
import { canonicalJson } from '../../codec/canonical-json.ts';
import type { JsonValue } from '../../codec/json.ts';
import { MeridianError, NotFoundError, ValidationError } from '../../errors.ts';
import { expectObject, parseJsonPayload } from '../../exec/json.ts';
import type { Module, ModuleCall, ModuleQueryContext } from '../../exec/module.ts';
import { MAX_QUERY_SCAN } from '../../exec/query.ts';
import type { Receipt } from '../../exec/receipt.ts';
import { getChunked, putChunked } from '../contract/chunks.ts';
import { inspectCode } from '../contract/contract-module.ts';
import { CONTRACT_MODULE, readContract } from '../contract/records.ts';
import { activeMember, requireRole } from '../membership/authorize.ts';
import { electorate, MEMBERSHIP_MODULE, readMember, readOrganization } from '../membership/records.ts';
import { verifyStatement } from '../membership/statement.ts';
import { type ProposalAction, parseAction, summarize } from './actions.ts';
import { type Tally, tally } from './quorum.ts';
import { DEFAULT_GOVERNANCE_SETTINGS, type GovernanceSettings } from './settings.ts';

export const GOVERNANCE_MODULE = 'governance';

/** The validator sets that a block's receipts announce (`validatorSetChanged` events), in order. */
export function validatorSetChangesIn(receipts: readonly Receipt[]): GenesisValidator[][] {
  const out: GenesisValidator[][] = [];
  for (const receipt of receipts) {
    for (const event of receipt.events) {
      if (event.module !== GOVERNANCE_MODULE || event.name !== 'validatorSetChanged') continue;
      out.push((JSON.parse(fromUtf8(event.data)) as { validators: GenesisValidator[] }).validators);
    }
  }
  return out;
}
/** A proposal's payload: at most a whole transaction payload (a deploy carries the code). */
export const MAX_PROPOSAL_BYTES = MAX_TX_PAYLOAD_BYTES;
/** A vote's payload. */
export const MAX_VOTE_BYTES = 1024;
/** A proposal's free-text description. */
export const MAX_DESCRIPTION_BYTES = 2000;

export type ProposalStatus = 'open' | 'passed' | 'rejected' | 'failed';

export interface Proposal {
  readonly id: number;
  readonly action: JsonValue;
  readonly description: string;
  readonly proposer: string;
  readonly organization: string;
  readonly createdAtHeight: number;
  readonly expiresAtHeight: number;
  readonly status: ProposalStatus;
  readonly decidedAtHeight: number | null;
  /** When enacted: its result; when failed: the error. */
  readonly outcome: JsonValue;
}

export interface Vote {
  readonly organization: string;
  readonly voter: string;
  readonly approve: boolean;
  readonly height: number;
}

type Get = (key: Uint8Array) => Uint8Array | undefined;
type Args = { [key: string]: JsonValue };

const SETTINGS_KEY = utf8('settings');
const VALIDATORS_KEY = utf8('validators');
const PARAMETERS_KEY = utf8('parameters');
const NEXT_ID_KEY = utf8('next-id');
const PROPOSAL_PREFIX = utf8('proposal/');
const padId = (id: number) => String(id).padStart(10, '0');
const proposalKey = (id: number) => utf8(`proposal/${padId(id)}`);
const actionKey = (id: number) => `action/${padId(id)}`;
const votePrefix = (id: number) => utf8(`vote/${padId(id)}/`);
const voteKey = (id: number, organization: string) => utf8(`vote/${padId(id)}/${organization}`);

function fail(code: string, message: string, hint?: string): never {
  throw new ValidationError(code, message, hint === undefined ? {} : { hint });
}

function encode(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

function decode<T>(raw: Uint8Array | undefined): T | undefined {
  return raw === undefined ? undefined : (JSON.parse(fromUtf8(raw)) as T);
}

export function readSettings(get: Get): GovernanceSettings {
  return decode<GovernanceSettings>(get(SETTINGS_KEY)) ?? DEFAULT_GOVERNANCE_SETTINGS;
}

export function readValidators(get: Get): GenesisValidator[] {
  return decode<GenesisValidator[]>(get(VALIDATORS_KEY)) ?? [];
}

export function readParameters(get: Get): ConsensusParameters | undefined {
  return decode<ConsensusParameters>(get(PARAMETERS_KEY));
}

function readProposal(get: Get, id: number): Proposal | undefined {
  return decode<Proposal>(get(proposalKey(id)));
}

function membershipGet(read: (module: string, key: Uint8Array) => Uint8Array | undefined): Get {
  return (key) => read(MEMBERSHIP_MODULE, key);
}

/** The membership registry as a call sees it (within this transaction). */
function membersOf(call: ModuleCall): Get {
  return (key) => call.read(MEMBERSHIP_MODULE, key);
}

function votesOf(
  scan: (prefix: Uint8Array, limit: number) => [Uint8Array, Uint8Array][],
  id: number,
): Vote[] {
  return scan(votePrefix(id), MAX_QUERY_SCAN).map(([, raw]) => JSON.parse(fromUtf8(raw)) as Vote);
}

function currentTally(
  read: (module: string, key: Uint8Array) => Uint8Array | undefined,
  votes: readonly Vote[],
  settings: GovernanceSettings,
): Tally {
  return tally(
    electorate(membershipGet(read)),
    new Map(votes.map((v) => [v.organization, v.approve])),
    settings,
  );
}

/** The organisation an org-admin sender votes for (or proposes on behalf of). */
function actingOrganization(call: ModuleCall, action: string): string {
  if (call.invokedBy !== undefined) fail('NOT_ALLOWED', `${action} cannot be invoked by another module`);
  const member = activeMember(membersOf(call), call.senderHex);
  requireRole(member, 'org-admin', action);
  return member.organization;
}

// ---- checks and enactment --------------------------------------------------

function requireActiveNode(
  call: ModuleCall,
  publicKey: string,
): { name: string; host: string; port: number } {
  const get = membersOf(call);
  const member = readMember(get, publicKey);
  if (member?.kind !== 'node' || member.host === undefined || member.port === undefined)
    fail(
      'NOT_A_NODE',
      `${publicKey} is not a registered node`,
      "its organisation's admin registers it first: `meridian member add --kind node`",
    );
  if (member.status !== 'active' || readOrganization(get, member.organization)?.status !== 'active')
    fail('NODE_NOT_ACTIVE', `node ${publicKey} or its organisation is suspended`);
  return { name: member.name, host: member.host, port: member.port };
}

function parametersFail(message: string, hint?: string): never {
  throw new ValidationError('BAD_PARAMETERS', message, hint === undefined ? {} : { hint });
}

/** Checks that can fail early, when the action is proposed (and again when it is enacted). */
async function precheck(call: ModuleCall, action: ProposalAction): Promise<void> {
  const members = membersOf(call);
  const contracts: Get = (key) => call.read(CONTRACT_MODULE, key);
  switch (action.type) {
    case 'admitOrganization': {
      const id = action.organization.id as string;
      if (readOrganization(members, id)) fail('ORGANIZATION_EXISTS', `organisation "${id}" already exists`);
      verifyStatement(action.organization.admin, call.chainId);
      return;
    }
    case 'suspendOrganization':
    case 'reinstateOrganization':
      if (!readOrganization(members, action.id))
        fail('ORGANIZATION_NOT_FOUND', `no organisation "${action.id}"`);
      return;
    case 'addValidator': {
      requireActiveNode(call, action.publicKey);
      const validators = readValidators((key) => call.state.get(key));
      if (validators.some((v) => v.publicKey === action.publicKey))
        fail('ALREADY_VALIDATOR', `${action.publicKey} is already a validator`);
      if (validators.length >= MAX_VALIDATORS)
        fail('TOO_MANY_VALIDATORS', `a validator set has at most ${MAX_VALIDATORS} members`);
      return;
    }
    case 'removeValidator': {
      const validators = readValidators((key) => call.state.get(key));
      if (!validators.some((v) => v.publicKey === action.publicKey))
        fail('NOT_A_VALIDATOR', `${action.publicKey} is not a validator`);
      if (validators.length === 1) fail('LAST_VALIDATOR', 'the last validator cannot be removed');
      return;
    }
    case 'deployContract':
    case 'upgradeContract': {
      const existing = readContract(contracts, action.name);
      if (action.type === 'deployContract' && existing)
        fail('CONTRACT_EXISTS', `contract "${action.name}" already exists`, 'propose an upgradeContract');
      if (action.type === 'upgradeContract' && !existing)
        fail('CONTRACT_NOT_FOUND', `no contract "${action.name}" to upgrade`);
      await inspectCode(call, action.code, action.codeHash);
      return;
    }
    case 'disableContract':
    case 'enableContract':
      if (!readContract(contracts, action.name)) fail('CONTRACT_NOT_FOUND', `no contract "${action.name}"`);
      return;
    case 'setParameters':
      validateConsensusParameters(action.parameters, currentParameters(call), parametersFail);
      return;
  }
}

function currentParameters(call: ModuleCall): ConsensusParameters {
  const parameters = readParameters((key) => call.state.get(key));
  if (!parameters) fail('NO_PARAMETERS', 'this chain records no consensus parameters');
  return parameters;
}

function invokeJson(call: ModuleCall, module: string, method: string, payload: JsonValue) {
  return call.invoke(module, method, utf8(JSON.stringify(payload)));
}

/** Applies a passed proposal's action; throws a MeridianError if it cannot be applied. */
async function enact(call: ModuleCall, id: number, action: ProposalAction): Promise<JsonValue> {
  switch (action.type) {
    case 'admitOrganization':
      return (await invokeJson(call, MEMBERSHIP_MODULE, 'admitOrganization', action.organization)) ?? null;
    case 'suspendOrganization':
      return (
        (await invokeJson(call, MEMBERSHIP_MODULE, 'suspendOrganization', {
          id: action.id,
          ...(action.reason === undefined ? {} : { reason: action.reason }),
        })) ?? null
      );
    case 'reinstateOrganization':
      return (await invokeJson(call, MEMBERSHIP_MODULE, 'reinstateOrganization', { id: action.id })) ?? null;
    case 'deployContract':
    case 'upgradeContract': {
      const method = action.type === 'deployContract' ? 'deploy' : 'upgrade';
      const record = (await invokeJson(call, CONTRACT_MODULE, method, {
        name: action.name,
        code: action.code,
        codeHash: action.codeHash,
        proposal: id,
      })) as { name: string; version: number; codeHash: string };
      return { name: record.name, version: record.version, codeHash: record.codeHash };
    }
    case 'disableContract':
    case 'enableContract': {
      const method = action.type === 'disableContract' ? 'disable' : 'enable';
      await invokeJson(call, CONTRACT_MODULE, method, { name: action.name, proposal: id });
      return { name: action.name };
    }
    case 'addValidator':
    case 'removeValidator': {
      await precheck(call, action);
      const current = readValidators((key) => call.state.get(key));
      const validators =
        action.type === 'addValidator'
          ? [...current, { publicKey: action.publicKey, ...requireActiveNode(call, action.publicKey) }]
          : current.filter((v) => v.publicKey !== action.publicKey);
      call.state.put(VALIDATORS_KEY, encode(validators));
      call.emit('validatorSetChanged', { validators: validators as unknown as JsonValue, proposal: id });
      return { validators: validators.length };
    }
    case 'setParameters': {
      const parameters = validateConsensusParameters(
        action.parameters,
        currentParameters(call),
        parametersFail,
      );
      call.state.put(PARAMETERS_KEY, encode(parameters));
      call.emit('parametersChanged', {
        parameters: parameters as unknown as JsonValue,
        changed: Object.keys(action.parameters).sort(),
        proposal: id,
      });
      return parameters as unknown as JsonValue;
    }
  }
}

/** Re-tallies a proposal after a vote and decides it (enacting it) when the outcome is no longer open. */
async function decide(call: ModuleCall, proposal: Proposal): Promise<Proposal> {
  const settings = readSettings((key) => call.state.get(key));
  const result = currentTally(
    (module, key) => call.read(module, key),
    votesOf((prefix, limit) => call.scan(prefix, limit), proposal.id),
    settings,
  );
  if (result.outcome === 'open') return proposal;
  if (result.outcome === 'rejected') {
    const rejected: Proposal = {
      ...proposal,
      status: 'rejected',
      decidedAtHeight: call.height,
      outcome: null,
    };
    call.state.put(proposalKey(proposal.id), encode(rejected));
    call.emit('proposalRejected', { id: proposal.id, tally: result as unknown as JsonValue });
    return rejected;
  }
  const raw = getChunked((key) => call.state.get(key), actionKey(proposal.id));
  const action = parseAction(JSON.parse(fromUtf8(raw!)));
  let decided: Proposal;
  try {
    const outcome = await enact(call, proposal.id, action);
    decided = { ...proposal, status: 'passed', decidedAtHeight: call.height, outcome };
    call.emit('proposalPassed', {
      id: proposal.id,
      type: action.type,
      tally: result as unknown as JsonValue,
      outcome,
    });
  } catch (error) {
    if (!(error instanceof MeridianError)) throw error;
    const outcome = { code: error.code, message: error.message.slice(0, 500) };
    decided = { ...proposal, status: 'failed', decidedAtHeight: call.height, outcome };
    call.emit('proposalFailed', { id: proposal.id, type: action.type, error: outcome });
  }
  call.state.put(proposalKey(proposal.id), encode(decided));
  return decided;
}

function castVote(call: ModuleCall, id: number, organization: string, approve: boolean): void {
  const vote: Vote = { organization, voter: call.senderHex, approve, height: call.height };
  call.state.put(voteKey(id, organization), encode(vote));
  call.emit('voteCast', { id, organization, voter: call.senderHex, approve });
}

async function propose(call: ModuleCall, args: Args): Promise<JsonValue> {
  const organization = actingOrganization(call, 'proposing');
  const action = parseAction(args.action);
  const description = args.description ?? '';
  if (typeof description !== 'string' || utf8(description).length > MAX_DESCRIPTION_BYTES)
    fail('BAD_PROPOSAL', `description must be text of at most ${MAX_DESCRIPTION_BYTES} bytes`);
  await precheck(call, action);
  const get: Get = (key) => call.state.get(key);
  const id = decode<number>(get(NEXT_ID_KEY)) ?? 1;
  call.state.put(NEXT_ID_KEY, encode(id + 1));
  const settings = readSettings(get);
  const summary = summarize(action);
  const proposal: Proposal = {
    id,
    action: summary,
    description,
    proposer: call.senderHex,
    organization,
    createdAtHeight: call.height,
    expiresAtHeight: call.height + settings.votingPeriodBlocks,
    status: 'open',
    decidedAtHeight: null,
    outcome: null,
  };
  call.state.put(proposalKey(id), encode(proposal));
  putChunked(call.state, actionKey(id), utf8(canonicalJson(action)));
  call.emit('proposalSubmitted', {
    id,
    action: summary,
    proposer: call.senderHex,
    organization,
    expiresAtHeight: proposal.expiresAtHeight,
  });
  castVote(call, id, organization, true);
  const decided = await decide(call, proposal);
  return { id, status: decided.status, expiresAtHeight: proposal.expiresAtHeight, outcome: decided.outcome };
}

async function vote(call: ModuleCall, args: Args): Promise<JsonValue> {
  const organization = actingOrganization(call, 'voting');
  const id = args.id;
  if (!Number.isSafeInteger(id) || (id as number) < 1)
    fail('PAYLOAD_INVALID', 'id must be a proposal number');
  if (typeof args.approve !== 'boolean') fail('PAYLOAD_INVALID', 'approve must be true or false');
  const get: Get = (key) => call.state.get(key);
  const proposal = readProposal(get, id as number);
  if (!proposal)
    throw new NotFoundError('PROPOSAL_NOT_FOUND', `no proposal ${id}`, {
      hint: 'list them with `meridian gov list`',
    });
  if (proposal.status !== 'open') fail('PROPOSAL_CLOSED', `proposal ${id} is already ${proposal.status}`);
  if (call.height > proposal.expiresAtHeight)
    fail(
      'PROPOSAL_EXPIRED',
      `proposal ${id} expired at height ${proposal.expiresAtHeight}`,
      'propose it again',
    );
  if (get(voteKey(proposal.id, organization)))
    fail(
      'ALREADY_VOTED',
      `organisation "${organization}" has already voted on proposal ${id}`,
      'one vote per organisation',
    );
  const codeHash = (proposal.action as { codeHash?: string }).codeHash;
  if (args.approve && codeHash !== undefined && args.codeHash !== codeHash) {
    fail(
      'CODE_HASH_MISMATCH',
      `proposal ${id} deploys code ${codeHash}; this vote approves ${String(args.codeHash ?? 'no code hash')}`,
      'compile the agreed source yourself and vote with its hash: `meridian gov vote <id> yes --source <file.ts>`',
    );
  }
  castVote(call, proposal.id, organization, args.approve);
  const decided = await decide(call, proposal);
  return { id: proposal.id, status: decided.status, outcome: decided.outcome };
}

// ---- queries ---------------------------------------------------------------

type ProposalView = Omit<Proposal, 'status'> & { readonly status: ProposalStatus | 'expired' };

function view(proposal: Proposal, height: number): ProposalView {
  return proposal.status === 'open' && height > proposal.expiresAtHeight
    ? { ...proposal, status: 'expired' }
    : proposal;
}

const STATUSES = ['open', 'passed', 'rejected', 'failed', 'expired'];

function proposalDetails(context: ModuleQueryContext, id: number): JsonValue {
  const proposal = readProposal((key) => context.get(key), id);
  if (!proposal) throw new NotFoundError('PROPOSAL_NOT_FOUND', `no proposal ${id}`);
  const votes = votesOf(context.scan, id);
  const settings = readSettings((key) => context.get(key));
  return {
    ...view(proposal, context.height),
    votes: votes as unknown as JsonValue,
    tally: currentTally(context.read, votes, settings) as unknown as JsonValue,
  } as unknown as JsonValue;
}

export const governanceModule: Module = {
  name: GOVERNANCE_MODULE,
  queries: {
    /** `{ status? }` -> proposals, newest first (at most MAX_QUERY_SCAN). */
    proposals(context, params) {
      const { status } = expectObject(params, 'params');
      if (status !== undefined && !STATUSES.includes(status as string))
        fail('PAYLOAD_INVALID', `status must be one of ${STATUSES.join(', ')}`);
      const all = context
        .scan(PROPOSAL_PREFIX, MAX_QUERY_SCAN)
        .map(([, raw]) => view(JSON.parse(fromUtf8(raw)) as Proposal, context.height))
        .reverse();
      return (status === undefined ? all : all.filter((p) => p.status === status)) as unknown as JsonValue;
    },
    /** `{ id }` -> the proposal with its votes and current tally. */
    proposal(context, params) {
      const id = expectObject(params, 'params').id;
      if (!Number.isSafeInteger(id) || (id as number) < 1)
        fail('PAYLOAD_INVALID', 'id must be a proposal number');
      return proposalDetails(context, id as number);
    },
    /** `{ id }` -> the full action of a proposal (with the code of a deploy), to verify before voting. */
    action(context, params) {
      const id = expectObject(params, 'params').id;
      if (!Number.isSafeInteger(id) || (id as number) < 1)
        fail('PAYLOAD_INVALID', 'id must be a proposal number');
      const raw = getChunked((key) => context.get(key), actionKey(id as number));
      if (!raw) throw new NotFoundError('PROPOSAL_NOT_FOUND', `no proposal ${id}`);
      return JSON.parse(fromUtf8(raw)) as JsonValue;
    },
    /** `{}` -> the validator set governance decided (what consensus applies at a checkpoint). */
    validators(context) {
      return readValidators((key) => context.get(key)) as unknown as JsonValue;
    },
    /** `{}` -> the consensus parameters governance decided, and the quorum settings. */
    settings(context) {
      const get: Get = (key) => context.get(key);
      return {
        governance: readSettings(get),
        parameters: readParameters(get) ?? null,
      } as unknown as JsonValue;
    },
  },
  initGenesis(state, genesis: Genesis) {
    state.put(SETTINGS_KEY, encode(genesis.governance ?? DEFAULT_GOVERNANCE_SETTINGS));
    state.put(VALIDATORS_KEY, encode(genesis.validators));
    state.put(PARAMETERS_KEY, encode(genesis.parameters));
  },
  async execute(call, method, payload) {
    const args = expectObject(
      parseJsonPayload(payload, method === 'propose' ? MAX_PROPOSAL_BYTES : MAX_VOTE_BYTES),
    );
    switch (method) {
      case 'propose':
        return propose(call, args);
      case 'vote':
        return vote(call, args);
      default:
        fail('UNKNOWN_METHOD', `governance has no method "${method}"`, 'methods: propose, vote');
    }
  },
};
