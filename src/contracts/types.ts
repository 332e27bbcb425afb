/**
 * The sandbox's boundary with the block executor: what the executor must
 * provide (`ContractHost`, `CallRequest`) and what it gets back (`CallReceipt`).
 */

import type { JsonValue } from '../codec/json.ts';

export type { JsonValue };

/** Deployed code as the chain stores it: the JavaScript artefact and the SHA-256 of its UTF-8 bytes. */
export interface DeployedContract {
  readonly code: string;
  /** `0x` + 64 lowercase hex digits. */
  readonly codeHash: string;
}

export interface StateEntry {
  readonly key: string;
  readonly value: JsonValue;
}

/**
 * What the executor gives the sandbox: read access to *committed* state (state
 * as of the start of this top-level call) and the code registry. The sandbox
 * never writes through the host: it returns the writes in the receipt, and the
 * executor applies them only if the call succeeded.
 *
 * Every method must be deterministic (a pure function of the committed state)
 * and synchronous. If a method throws, the sandbox aborts the call and rethrows
 * the error to the executor: an infrastructure failure is not a contract
 * failure and must not be recorded in a receipt.
 *
 * Namespaces: `contract` is always a name the sandbox checked
 * (`[a-z][a-z0-9-]*`, so it contains no `/`) and `key` is any string of 1 to
 * MAX_STATE_KEY_BYTES UTF-8 bytes. The host must store (contract, key) pairs
 * injectively, e.g. under `contracts/<name>/<key bytes>`; the contract never
 * builds that path, so `../x` or `\u0000` in a key stays inside its namespace.
 */
export interface ContractHost {
  /** The committed value, or `undefined` if the key is absent. */
  readState(contract: string, key: string): JsonValue | undefined;
  /**
   * Up to `limit` committed entries whose key starts with `prefix` and sorts strictly after
   * `after` (when given), in ascending order of the keys' UTF-8 bytes.
   */
  scanState(
    contract: string,
    prefix: string,
    after: string | undefined,
    limit: number,
  ): readonly StateEntry[];
  /** The deployed contract of that name, or `undefined`. */
  resolveContract(name: string): DeployedContract | undefined;
}

/** Who is calling and when: supplied by the executor from the transaction and the block header. */
export interface CallContext {
  /** The signer's Ed25519 public key, `0x`-hex. */
  readonly caller: string;
  /** The signer's roles as registered on chain (e.g. `agency:planning`). */
  readonly roles: readonly string[];
  readonly height: number;
  /** Consensus time of the block (header timestamp), never the host clock. */
  readonly timestampMs: number;
}

export interface CallRequest {
  readonly contract: string;
  readonly method: string;
  /** Defaults to `null`. */
  readonly args?: JsonValue;
  readonly context: CallContext;
  /** Defaults to DEFAULT_GAS_LIMIT; at most MAX_GAS_LIMIT. */
  readonly gasLimit?: number;
}

export interface ContractEvent {
  /** The contract that emitted it. */
  readonly contract: string;
  readonly name: string;
  readonly data: JsonValue;
}

/** One key a successful call changed: `value` null = deleted. */
export interface StateWrite {
  readonly contract: string;
  readonly key: string;
  readonly value: JsonValue | null;
}

export interface ContractFailure {
  /** A stable code from `CONTRACT_ERROR_CODES`. */
  readonly code: string;
  readonly message: string;
}

/**
 * The execution log of one top-level call. On `error`, `events` and `writes`
 * are empty (everything the call did is discarded) but `gasUsed` is charged.
 * `writes` holds each changed key once (its final value), ordered by contract
 * then key (UTF-8 byte order), so equal calls give byte-identical receipts.
 */
export interface CallReceipt {
  readonly contract: string;
  readonly method: string;
  readonly args: JsonValue;
  readonly caller: string;
  /** Code hash of the called contract, or null if it does not exist. */
  readonly codeHash: string | null;
  readonly readOnly: boolean;
  readonly status: 'ok' | 'error';
  readonly result?: JsonValue;
  readonly error?: ContractFailure;
  readonly events: readonly ContractEvent[];
  readonly writes: readonly StateWrite[];
  readonly gasUsed: number;
}
