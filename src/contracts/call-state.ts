/**
 * The state one top-level contract call carries through its activations: gas,
 * the call stack, buffered writes and events, the first fatal failure, and the
 * memory headroom the binding needs (see memory-reserve.ts).
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten';
import { MeridianError } from '../errors.ts';
import { type CanonicalJson, truncateUtf8 } from './boundary.ts';
import { type ContractErrorCode, contractFailure } from './failures.ts';
import { GasMeter } from './gas.ts';
import { MAX_ERROR_MESSAGE_BYTES } from './limits.ts';
import type { MemoryReserve } from './memory-reserve.ts';
import type { CallContext, ContractEvent, ContractHost } from './types.ts';
import { WriteLayer } from './write-layer.ts';

/** Room the binding must have, beyond the size of what it copies, before the host uses it. */
export const ROOM_SLACK_BYTES = 256 * 1024;

/** How one activation ended. */
export type Outcome =
  | { readonly ok: true; readonly result: CanonicalJson }
  | { readonly ok: false; readonly code: ContractErrorCode; readonly message: string };

/** Wraps an exception thrown by a `ContractHost` method so it can travel through QuickJS untouched. */
export class HostFailure extends Error {
  constructor(readonly original: unknown) {
    super('the contract host failed');
  }
}

/** Everything one top-level call shares across its activations. */
export class CallState {
  readonly gas: GasMeter;
  readonly stack: string[] = [];
  readonly events: ContractEvent[] = [];
  layer = new WriteLayer();
  fatal: { code: ContractErrorCode; message: string } | undefined;
  hostFailure: HostFailure | undefined;
  /** An exception the sandbox did not expect inside a host function: the instance is suspect. */
  internalError: unknown;
  /** Code hash of the top-level contract, once resolved. */
  codeHash: string | null = null;

  constructor(
    readonly host: ContractHost,
    readonly runtime: QuickJSRuntime,
    readonly context: CallContext,
    readonly readOnly: boolean,
    gasLimit: number,
    private readonly reserve: MemoryReserve,
  ) {
    this.gas = new GasMeter(gasLimit);
  }

  /**
   * True if the binding can allocate `bytes` (plus slack) now. If not, memory is exhausted: the
   * reserve is released for winding down, QuickJS may allocate nothing more, and the call fails.
   */
  hasRoom(bytes: number): boolean {
    if (this.reserve.held && this.reserve.fits(bytes + ROOM_SLACK_BYTES)) return true;
    this.reserve.release();
    this.runtime.setMemoryLimit(1);
    this.setFatal('OUT_OF_MEMORY', 'the sandbox memory is exhausted');
    return false;
  }

  /** `hasRoom`, as a contract failure to throw. */
  ensureRoom(bytes: number): void {
    if (!this.hasRoom(bytes)) throw contractFailure('OUT_OF_MEMORY', 'the sandbox memory is exhausted');
  }

  /** Records the first fatal failure; returns an error to throw into QuickJS. */
  setFatal(code: ContractErrorCode, message: string): Error {
    this.fatal ??= { code, message: truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES) };
    return new Error(`${this.fatal.code}: ${this.fatal.message}`);
  }

  /** True once nothing more may run: a fatal failure or a host failure happened. */
  get stopped(): boolean {
    return this.fatal !== undefined || this.hostFailure !== undefined || this.internalError !== undefined;
  }

  /** Calls a host method; a throw is recorded and stops the call (it is not a contract failure). */
  callHost<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.hostFailure ??= new HostFailure(error);
      throw this.hostFailure;
    }
  }

  charge(amount: number): void {
    try {
      this.gas.charge(amount);
    } catch (error) {
      if (error instanceof MeridianError) throw this.setFatal('OUT_OF_GAS', error.message);
      throw error;
    }
  }
}

/** Per-activation bookkeeping the host functions need. */
export interface Activation {
  readonly contract: string;
  failure: { code: ContractErrorCode; message: string } | undefined;
}

/**
 * Copies a string out of QuickJS, or undefined if it is longer than `maxLength`. The length is read
 * first (nothing is copied for an oversized string), and room is checked before the binding copies.
 * The strings the prelude hands over are JSON, so they never contain NUL: a copy shorter than the
 * original means QuickJS could not allocate the C string (the binding then returns ''), i.e. memory
 * ran out.
 */
export function copyString(
  vm: QuickJSContext,
  call: CallState,
  handle: QuickJSHandle,
  maxLength: number,
): string | undefined {
  const length = vm.getProp(handle, 'length').consume((h) => vm.getNumber(h));
  if (length > maxLength) return undefined;
  call.ensureRoom(3 * length);
  const value = vm.getString(handle);
  if (value.length !== length) throw contractFailure('OUT_OF_MEMORY', 'the sandbox memory is exhausted');
  return value;
}
