/**
 * `contract`: contracts on chain. Code arrives only through governance (a
 * passed proposal invokes deploy/upgrade/disable/enable); any active member
 * calls them with `contract.call`, which runs the QuickJS sandbox with the
 * caller's key and on-chain roles, the block height and consensus time.
 *
 * | method  | payload                                      | who                      |
 * | ------- | -------------------------------------------- | ------------------------ |
 * | deploy  | { name, code, codeHash, proposal }           | governance (invoke) only |
 * | upgrade | { name, code, codeHash, proposal }           | governance (invoke) only |
 * | disable | { name, proposal } / enable: same            | governance (invoke) only |
 * | call    | { name, method, args?, gasLimit? }           | any active member        |
 *
 * A call's receipt is its execution log: `gasUsed` is the sandbox's gas
 * (charged on failure too); the result is `{ contract, method, version,
 * codeHash, argsHash, result }` (argsHash = SHA-256 of the canonical
 * arguments, which are the transaction's payload); every contract event
 * becomes a chain event of module `contract`, named as the contract named it,
 * with data `{ contract, data }`. A failed call's receipt carries the
 * sandbox's code (OUT_OF_GAS, REVERTED, FORBIDDEN, ...), no writes, no events.
 *
 * One sandbox per block (`blockScope`), calls in block order, as the sandbox
 * requires for agreement near the memory cap; queries use their own sandbox.
 *
 * Block budget (liveness: a block's contract work must finish well within the
 * consensus timeouts on every validator): each call reserves its gas limit
 * plus CALL_OVERHEAD_GAS (the fixed cost of a fresh runtime and of parsing the
 * prelude and the code, which gas does not count) of MAX_BLOCK_CONTRACT_GAS; a
 * call whose reservation does not fit what earlier calls reserved fails with
 * BLOCK_GAS_EXHAUSTED before it runs. Reserving the limit, not the gas used,
 * bounds a block's worst-case work before it is executed. A proposer that
 * stops adding transactions once the sum of `blockGasReservation` would pass
 * MAX_BLOCK_CONTRACT_GAS never includes a call that fails this way.
 */
import { toHex, utf8 } from '../../codec/bytes.ts';
import { hashRecord } from '../../codec/canonical-json.ts';
import type { JsonValue } from '../../codec/json.ts';
import { isContractName, isMethodName } from '../../contracts/boundary.ts';
import {
  type CallReceipt,
  CONTRACT_ERROR_CODES,
  ContractSandbox,
  contractCodeHash,
  DEFAULT_GAS_LIMIT,
  MAX_ARGS_BYTES,
  MAX_CODE_BYTES,
  MAX_GAS_LIMIT,
} from '../../contracts/index.ts';
import { InvariantViolation, MeridianError, NotFoundError, ValidationError } from '../../errors.ts';
import { expectObject, parseJsonPayload } from '../../exec/json.ts';
import type { Module, ModuleCall, ModuleQueryContext } from '../../exec/module.ts';
import { MAX_QUERY_SCAN } from '../../exec/query.ts';
import { MEMBERSHIP_MODULE, readMember } from '../membership/records.ts';
import { putChunked } from './chunks.ts';
import { type CodeCache, executionHost, queryHost } from './hosts.ts';
import {
  CONTRACT_MODULE,
  type ContractHistoryEntry,
  type ContractRecord,
  codeKey,
  decodeJson,
  encodeJson,
  MAX_CONTRACT_HISTORY,
  META_PREFIX,
  metaKey,
  readCode,
  readContract,
} from './records.ts';

/**
 * What the contract calls of one block may reserve together (gas limits plus per-call overhead).
 * Measured on the 2-core reference machine under load: 20 M gas of a tight loop takes about
 * 0.35 s and a typical call (40-60 k gas) 3-9 ms end to end, so a full block stays under about a
 * second of contract work per validator.
 */
export const MAX_BLOCK_CONTRACT_GAS = 40_000_000;
/** What each call reserves of the block budget besides its gas limit: its fixed start-up work (≈ 6 ms). */
export const CALL_OVERHEAD_GAS = 400_000;
/** A `contract.call` payload or a `contract/query` request: the arguments plus framing. */
export const MAX_CALL_PAYLOAD_BYTES = MAX_ARGS_BYTES + 1024;
/** An internal deploy/upgrade payload: the code JSON-escaped (at most 6 bytes a byte) plus framing. */
const MAX_DEPLOY_PAYLOAD_BYTES = 6 * MAX_CODE_BYTES + 1024;

const GOVERNANCE = 'governance';

type Args = { [key: string]: JsonValue };

function fail(code: string, message: string, hint?: string): never {
  throw new ValidationError(code, message, hint === undefined ? {} : { hint });
}

function contractName(value: unknown): string {
  if (!isContractName(value))
    fail('BAD_CONTRACT_NAME', 'a contract name is [a-z][a-z0-9-]*, at most 32 bytes');
  return value;
}

function requireContract(get: (key: Uint8Array) => Uint8Array | undefined, name: string): ContractRecord {
  const record = readContract(get, name);
  if (!record)
    throw new NotFoundError('CONTRACT_NOT_FOUND', `no contract "${name}"`, {
      hint: 'list them with `meridian contract list`; deploy one through governance',
    });
  return record;
}

function blockSandbox(call: ModuleCall): Promise<ContractSandbox> {
  return call.blockScope.get('contract.sandbox', () => ContractSandbox.create());
}

function blockCodeCache(call: ModuleCall): Promise<CodeCache> {
  return call.blockScope.get('contract.code', () => new Map<string, string>());
}

/** A sandbox call that rejected instead of returning a receipt is an engine failure: never a receipt. */
function engineFailure(error: unknown): never {
  if (error instanceof MeridianError && error.code === 'SANDBOX_CRASHED')
    throw new InvariantViolation(`contract sandbox crashed: ${error.message}`);
  throw error;
}

/**
 * Checks deployable code (size, hash, loads in the sandbox) and returns its
 * methods. Governance calls this when a deploy or upgrade is proposed, and
 * again when it passes.
 */
export async function inspectCode(call: ModuleCall, code: unknown, codeHash: unknown): Promise<string[]> {
  if (typeof code !== 'string' || code.length === 0)
    fail('BAD_CONTRACT_CODE', 'code must be the compiled JavaScript text');
  const bytes = utf8(code).length;
  if (bytes > MAX_CODE_BYTES)
    fail('CODE_TOO_LARGE', `the code is ${bytes} bytes; the limit is ${MAX_CODE_BYTES} (MAX_CODE_BYTES)`);
  const actual = contractCodeHash(code);
  if (codeHash !== actual) {
    fail(
      'CODE_HASH_MISMATCH',
      `the code's SHA-256 is ${actual}, the proposal says ${String(codeHash)}`,
      'compile again and propose the artefact whose hash you agreed on',
    );
  }
  const sandbox = await blockSandbox(call);
  const inspected = await sandbox.inspect(code).catch(engineFailure);
  if ('error' in inspected) {
    fail(
      'CONTRACT_CODE_INVALID',
      `the code does not load: ${inspected.error.code}: ${inspected.error.message}`,
    );
  }
  if (inspected.methods.length === 0)
    fail('CONTRACT_CODE_INVALID', 'the code exports no functions (no methods)');
  return inspected.methods;
}

function requireGovernance(call: ModuleCall, method: string): void {
  if (call.invokedBy !== GOVERNANCE) {
    fail(
      'GOVERNANCE_ONLY',
      `contract.${method} is done by a passed governance proposal`,
      'propose it with `meridian contract deploy` or `meridian gov propose`',
    );
  }
}

function proposalOf(args: Args): number | null {
  const proposal = args.proposal;
  return Number.isSafeInteger(proposal) ? (proposal as number) : null;
}

function historyEntry(
  call: ModuleCall,
  action: ContractHistoryEntry['action'],
  version: number,
  codeHash: string,
  proposal: number | null,
): ContractHistoryEntry {
  return { action, version, codeHash, height: call.height, txHash: toHex(call.txHash), proposal };
}

function save(call: ModuleCall, record: ContractRecord): void {
  if (record.history.length > MAX_CONTRACT_HISTORY)
    fail(
      'CONTRACT_HISTORY_FULL',
      `contract "${record.name}" has ${MAX_CONTRACT_HISTORY} history entries; deploy under a new name`,
    );
  call.state.put(metaKey(record.name), encodeJson(record));
}

function storeCode(call: ModuleCall, code: string, codeHash: string): void {
  if (readCode((key) => call.state.get(key), codeHash) === undefined)
    putChunked(call.state, codeKey(codeHash), utf8(code));
}

async function deploy(call: ModuleCall, args: Args, upgrade: boolean): Promise<JsonValue> {
  requireGovernance(call, upgrade ? 'upgrade' : 'deploy');
  const name = contractName(args.name);
  const get = (key: Uint8Array) => call.state.get(key);
  const existing = readContract(get, name);
  if (!upgrade && existing)
    fail('CONTRACT_EXISTS', `contract "${name}" already exists`, 'propose an upgrade instead');
  if (upgrade && !existing) requireContract(get, name);
  if (existing && existing.codeHash === args.codeHash)
    fail('SAME_CODE', `contract "${name}" already runs code ${existing.codeHash}`);
  const methods = await inspectCode(call, args.code, args.codeHash);
  const code = args.code as string;
  const codeHash = args.codeHash as string;
  storeCode(call, code, codeHash);
  const version = (existing?.version ?? 0) + 1;
  const proposal = proposalOf(args);
  const record: ContractRecord = {
    name,
    version,
    codeHash,
    codeBytes: utf8(code).length,
    status: existing?.status ?? 'active',
    methods,
    history: [
      ...(existing?.history ?? []),
      historyEntry(call, upgrade ? 'upgrade' : 'deploy', version, codeHash, proposal),
    ],
  };
  save(call, record);
  call.emit(upgrade ? 'upgraded' : 'deployed', {
    name,
    version,
    codeHash,
    methods,
    proposal,
    ...(existing ? { previousCodeHash: existing.codeHash } : {}),
  });
  return record as unknown as JsonValue;
}

function setStatus(call: ModuleCall, args: Args, status: ContractRecord['status']): JsonValue {
  requireGovernance(call, status === 'active' ? 'enable' : 'disable');
  const name = contractName(args.name);
  const existing = requireContract((key) => call.state.get(key), name);
  if (existing.status === status)
    fail(
      status === 'active' ? 'CONTRACT_ACTIVE' : 'CONTRACT_DISABLED',
      `contract "${name}" is already ${status}`,
    );
  const record: ContractRecord = {
    ...existing,
    status,
    history: [
      ...existing.history,
      historyEntry(
        call,
        status === 'active' ? 'enable' : 'disable',
        existing.version,
        existing.codeHash,
        proposalOf(args),
      ),
    ],
  };
  save(call, record);
  call.emit(status === 'active' ? 'enabled' : 'disabled', {
    name,
    version: existing.version,
    proposal: proposalOf(args),
  });
  return record as unknown as JsonValue;
}

/** The caller's on-chain roles (none on a chain without organisations, or for an unknown key). */
function rolesOf(
  read: (module: string, key: Uint8Array) => Uint8Array | undefined,
  callerHex: string,
): string[] {
  return [...(readMember((key) => read(MEMBERSHIP_MODULE, key), callerHex)?.roles ?? [])];
}

interface CallRequestArgs {
  readonly name: string;
  readonly method: string;
  readonly args: JsonValue;
  readonly gasLimit: number;
}

function callArgs(args: Args): CallRequestArgs {
  const name = contractName(args.name);
  if (!isMethodName(args.method)) fail('BAD_METHOD_NAME', 'method must be a JavaScript identifier');
  const gasLimit = args.gasLimit ?? DEFAULT_GAS_LIMIT;
  if (!Number.isSafeInteger(gasLimit) || (gasLimit as number) < 1 || (gasLimit as number) > MAX_GAS_LIMIT)
    fail('BAD_GAS_LIMIT', `gasLimit must be an integer from 1 to ${MAX_GAS_LIMIT}`);
  return { name, method: args.method as string, args: args.args ?? null, gasLimit: gasLimit as number };
}

function contractFailed(receipt: CallReceipt): never {
  const code = receipt.error!.code;
  throw new ValidationError(code, receipt.error!.message, {
    hint: (CONTRACT_ERROR_CODES as Record<string, string>)[code] ?? 'see the contract documentation',
  });
}

async function callContract(call: ModuleCall, payload: Args): Promise<JsonValue> {
  const request = callArgs(payload);
  const record = requireContract((key) => call.state.get(key), request.name);
  if (record.status !== 'active')
    fail(
      'CONTRACT_DISABLED',
      `contract "${request.name}" is disabled`,
      'a governance proposal can enable it again',
    );
  const budget = await call.blockScope.get('contract.blockGas', () => ({ reserved: 0 }));
  const reservation = request.gasLimit + CALL_OVERHEAD_GAS;
  if (budget.reserved + reservation > MAX_BLOCK_CONTRACT_GAS) {
    fail(
      'BLOCK_GAS_EXHAUSTED',
      `this block has ${MAX_BLOCK_CONTRACT_GAS - budget.reserved} contract gas left; the call reserves ${reservation} (its gas limit + ${CALL_OVERHEAD_GAS} overhead)`,
      'send it again: it fits the next block',
    );
  }
  budget.reserved += reservation;
  const sandbox = await blockSandbox(call);
  const host = executionHost(call, await blockCodeCache(call));
  const receipt = await sandbox
    .call(host, {
      contract: request.name,
      method: request.method,
      args: request.args,
      gasLimit: request.gasLimit,
      context: {
        caller: call.senderHex,
        roles: rolesOf((module, key) => call.read(module, key), call.senderHex),
        height: call.height,
        timestampMs: call.timestampMs,
      },
    })
    .catch(engineFailure);
  call.chargeGas(receipt.gasUsed);
  if (receipt.status === 'error') contractFailed(receipt);
  for (const write of receipt.writes) {
    const key = utf8(`state/${write.contract}/${write.key}`);
    if (write.value === null) call.state.del(key);
    else call.state.put(key, encodeJson(write.value));
  }
  for (const event of receipt.events) call.emit(event.name, { contract: event.contract, data: event.data });
  return {
    contract: request.name,
    method: request.method,
    version: record.version,
    codeHash: record.codeHash,
    argsHash: toHex(hashRecord(receipt.args)),
    result: receipt.result ?? null,
  };
}

/**
 * The most a transaction can take of its block's contract budget: its gas
 * limit plus CALL_OVERHEAD_GAS for a `contract.call`, 0 for anything else (a
 * malformed call fails before it runs). For a proposer cutting batches.
 */
export function blockGasReservation(kind: string, payload: Uint8Array): number {
  if (kind !== 'contract.call') return 0;
  try {
    const args = expectObject(parseJsonPayload(payload, MAX_CALL_PAYLOAD_BYTES));
    return callArgs(args).gasLimit + CALL_OVERHEAD_GAS;
  } catch {
    return 0;
  }
}

let querySandbox: Promise<ContractSandbox> | undefined;
const queryCodeCache: CodeCache = new Map();
/** Code artefacts the query side keeps (content-addressed, so never stale); cleared past this. */
const MAX_QUERY_CODE_CACHE = 64;

async function sandboxForQueries(): Promise<ContractSandbox> {
  const current = querySandbox ? await querySandbox : undefined;
  if (current && current.crashReason === undefined) return current;
  querySandbox = ContractSandbox.create();
  return querySandbox;
}

async function queryContract(context: ModuleQueryContext, params: JsonValue): Promise<JsonValue> {
  const raw = expectObject(params, 'params');
  const request = callArgs(raw);
  let caller = `0x${'00'.repeat(32)}`;
  if (raw.caller !== undefined) {
    if (typeof raw.caller !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(raw.caller))
      fail('PAYLOAD_INVALID', 'caller must be a 0x-hex public key');
    caller = raw.caller.toLowerCase();
  }
  const record = requireContract((key) => context.get(key), request.name);
  if (record.status !== 'active') fail('CONTRACT_DISABLED', `contract "${request.name}" is disabled`);
  if (queryCodeCache.size > MAX_QUERY_CODE_CACHE) queryCodeCache.clear();
  const sandbox = await sandboxForQueries();
  const receipt = await sandbox.query(queryHost(context, queryCodeCache), {
    contract: request.name,
    method: request.method,
    args: request.args,
    gasLimit: request.gasLimit,
    context: {
      caller,
      roles: rolesOf(context.read, caller),
      height: context.height,
      timestampMs: context.timestampMs,
    },
  });
  if (receipt.status === 'error') contractFailed(receipt);
  return {
    contract: request.name,
    method: request.method,
    version: record.version,
    codeHash: record.codeHash,
    gasUsed: receipt.gasUsed,
    result: receipt.result ?? null,
  };
}

export const contractModule: Module = {
  name: CONTRACT_MODULE,
  queries: {
    /** `{}` -> every contract: name, version, status, code hash, methods. */
    list(context) {
      return context.scan(META_PREFIX, MAX_QUERY_SCAN).map(([, raw]) => {
        const { history: _history, ...summary } = decodeJson(raw) as unknown as ContractRecord;
        return summary as unknown as JsonValue;
      });
    },
    /** `{ name }` -> the contract with its whole version history (code hashes), or CONTRACT_NOT_FOUND. */
    info(context, params) {
      const name = contractName(expectObject(params, 'params').name);
      return requireContract((key) => context.get(key), name) as unknown as JsonValue;
    },
    /** `{ codeHash }` -> `{ codeHash, code }`: any version's artefact, to audit or recompile and compare. */
    code(context, params) {
      const codeHash = expectObject(params, 'params').codeHash;
      const code = typeof codeHash === 'string' ? readCode((key) => context.get(key), codeHash) : undefined;
      if (code === undefined)
        throw new NotFoundError('CODE_NOT_FOUND', `no contract code with hash ${String(codeHash)}`);
      return { codeHash: codeHash as string, code };
    },
    /**
     * `{ name, method, args?, caller?, gasLimit? }` -> a read-only call at the head. `caller` is
     * claimed, not proven (queries are unsigned): the contract sees that key's on-chain roles, so
     * read restrictions in contracts are conveniences, not secrecy (all state is readable anyway).
     */
    query: queryContract,
  },
  async execute(call, method, payload) {
    const limit =
      method === 'deploy' || method === 'upgrade' ? MAX_DEPLOY_PAYLOAD_BYTES : MAX_CALL_PAYLOAD_BYTES;
    const args = expectObject(parseJsonPayload(payload, limit));
    switch (method) {
      case 'call':
        return callContract(call, args);
      case 'deploy':
        return deploy(call, args, false);
      case 'upgrade':
        return deploy(call, args, true);
      case 'disable':
        return setStatus(call, args, 'disabled');
      case 'enable':
        return setStatus(call, args, 'active');
      default:
        fail(
          'UNKNOWN_METHOD',
          `contract has no method "${method}"`,
          'send contract.call; deploy through governance',
        );
    }
  },
};
