/**
 * System modules: native, deterministic TypeScript that owns a slice of the
 * world state (keys `<module>/...`) and handles the transactions whose kind is
 * `<module>.<method>`. A module must be a pure function of (state, call): no
 * clock (use `call.timestampMs`, the consensus time), no randomness, no I/O,
 * no iteration over unordered host collections. An expected failure is thrown
 * as a `MeridianError`; it becomes the receipt's error and the transaction's
 * writes are discarded (its nonce is still consumed).
 */
import type { Genesis } from '../chain/genesis.ts';
import type { JsonValue } from '../codec/json.ts';

export interface ModuleState {
  get(key: Uint8Array): Uint8Array | undefined;
  put(key: Uint8Array, value: Uint8Array): void;
  del(key: Uint8Array): void;
}

/**
 * What a module's `execute` gets for one call. Its methods are called on it (`call.read(...)`):
 * pass a wrapper such as `(module, key) => call.read(module, key)`, never a detached method.
 */
export interface ModuleCall {
  readonly chainId: string;
  readonly sender: Uint8Array;
  readonly senderHex: string;
  readonly height: number;
  readonly timestampMs: number;
  readonly txHash: Uint8Array;
  /** The module whose `invoke` made this call; undefined for a transaction's own call. */
  readonly invokedBy: string | undefined;
  /** This module's own namespace of the world state. */
  readonly state: ModuleState;
  /**
   * Entries of this module's namespace whose key starts with `prefix` (keys
   * relative to the namespace), in ascending key-byte order, strictly after
   * `after` when given, at most `limit`. Sees this transaction's own writes.
   */
  scan(prefix: Uint8Array, limit: number, after?: Uint8Array): [Uint8Array, Uint8Array][];
  /** Read-only view of another module's namespace. */
  read(module: string, key: Uint8Array): Uint8Array | undefined;
  /** Adds an event to the receipt. */
  emit(name: string, data: JsonValue): void;
  /** Adds to the gas the receipt reports; what was charged stays charged if the call then fails. */
  chargeGas(gas: number): void;
  /**
   * An internal call: runs `<module>.<method>` inside this transaction, with
   * the same sender, `invokedBy` set to the calling module, writing the target
   * module's own namespace. Its writes and events are kept only if it returns;
   * if it throws, they are discarded and the error propagates (the caller may
   * catch it and carry on). System modules use this to act on each other's
   * state through the owner's code (governance executing a passed proposal),
   * never by writing another namespace directly.
   */
  invoke(module: string, method: string, payload: Uint8Array): Promise<JsonValue | undefined>;
  /** Anchors a provenance entry hash under a URI in this block's provenance trie. */
  anchorProvenance(uri: string, entryHash: Uint8Array): void;
  /** Resources that live for one block's execution (e.g. a contract sandbox); see `BlockScope`. */
  readonly blockScope: BlockScope;
}

/**
 * Per-block resources shared by the calls of one block, created on first use
 * and disposed when the block's execution ends (in success or failure).
 */
export interface BlockScope {
  get<T>(key: string, create: () => Promise<T> | T, dispose?: (value: T) => void): Promise<T>;
}

/** What a read-only module query sees: the committed head state, never a write. */
export interface ModuleQueryContext {
  readonly height: number;
  readonly timestampMs: number;
  /** A key in this module's own namespace. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Entries under `prefix` in this module's namespace (keys relative to it), in key order, at most `limit`. */
  scan(prefix: Uint8Array, limit: number): [Uint8Array, Uint8Array][];
  /** A key in another module's namespace. */
  read(module: string, key: Uint8Array): Uint8Array | undefined;
}

export type ModuleQuery = (context: ModuleQueryContext, params: JsonValue) => JsonValue | Promise<JsonValue>;

export interface Module {
  readonly name: string;
  /** Executes `<name>.<method>`; returns the call's result (recorded in the receipt). */
  execute(
    call: ModuleCall,
    method: string,
    payload: Uint8Array,
  ): JsonValue | undefined | Promise<JsonValue | undefined>;
  /** Read-only queries by name (`POST /v1/query/<module>/<name>`), answered from the committed head. */
  readonly queries?: Readonly<Record<string, ModuleQuery>>;
  /** Writes the module's initial state from the genesis document (block 0). */
  initGenesis?(state: ModuleState, genesis: Genesis): void;
}
