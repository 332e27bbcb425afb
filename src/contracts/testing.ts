/**
 * Test helpers for contract code: a context, a one-call runner, and a replica
 * set (independent sandboxes and hosts fed the same calls) for determinism checks.
 */
import { MemoryContractHost, receiptDigest } from './memory-host.ts';
import { ContractSandbox } from './sandbox.ts';
import type { CallContext, CallReceipt, CallRequest, JsonValue } from './types.ts';

export const ALICE = `0x${'a1'.repeat(32)}`;
export const BOB = `0x${'b0'.repeat(32)}`;

export function contextOf(
  caller = ALICE,
  roles: string[] = [],
  height = 7,
  timestampMs = 1_700_000_000_000,
): CallContext {
  return { caller, roles, height, timestampMs };
}

export interface Replica {
  readonly sandbox: ContractSandbox;
  readonly host: MemoryContractHost;
}

/** `count` independent replicas, each with `contracts` (name -> JavaScript) deployed. */
export async function replicas(count: number, contracts: Record<string, string>): Promise<Replica[]> {
  const out: Replica[] = [];
  for (let i = 0; i < count; i++) {
    const host = new MemoryContractHost();
    for (const [name, code] of Object.entries(contracts)) host.deploy(name, code);
    out.push({ sandbox: await ContractSandbox.create(), host });
  }
  return out;
}

/** Runs a call on one replica and commits it like the executor would. */
export async function run(
  replica: Replica,
  contract: string,
  method: string,
  args: JsonValue = null,
  context: CallContext = contextOf(),
  extra: Partial<CallRequest> = {},
): Promise<CallReceipt> {
  const receipt = await replica.sandbox.call(replica.host, { contract, method, args, context, ...extra });
  replica.host.apply(receipt);
  return receipt;
}

/** Runs the same call on every replica; returns the receipts and whether all replicas agree. */
export async function runEverywhere(
  set: readonly Replica[],
  contract: string,
  method: string,
  args: JsonValue = null,
  context: CallContext = contextOf(),
): Promise<{ receipts: CallReceipt[]; agree: boolean }> {
  const receipts: CallReceipt[] = [];
  for (const replica of set) receipts.push(await run(replica, contract, method, args, context));
  const digests = new Set(receipts.map(receiptDigest));
  const states = new Set(set.map((r) => r.host.stateDigest()));
  return { receipts, agree: digests.size === 1 && states.size === 1 };
}
