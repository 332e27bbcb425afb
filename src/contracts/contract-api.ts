/**
 * Types for contract authors. A contract is one ES module (TypeScript or
 * JavaScript, no imports except `import type` from this file); every exported
 * function is a method, called as `method(ctx, args)`:
 *
 * ```ts
 * import type { ContractContext } from '../../src/contracts/contract-api.ts';
 *
 * export function increment(ctx: ContractContext, args: { by: number }): number {
 *   const next = (ctx.state.get<number>('counter') ?? 0) + args.by;
 *   ctx.state.put('counter', next);
 *   ctx.emit('incremented', { by: args.by, caller: ctx.caller });
 *   return next;
 * }
 * ```
 *
 * This file only declares types; it is erased when the contract is compiled.
 * What the sandbox enforces is described in src/contracts/README.md.
 */

/** Anything JSON can express. Values put into state, emitted, passed or returned must be this. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ContractState {
  /** The value under `key` in this contract's namespace (this call's own writes included). */
  get<T extends Json = Json>(key: string): T | undefined;
  has(key: string): boolean;
  /** Buffers a write; it is committed only if the whole top-level call succeeds. */
  put(key: string, value: Json): void;
  del(key: string): void;
  /**
   * Entries whose key starts with `prefix`, in ascending order of the keys' UTF-8 bytes, at most
   * `limit` (default 50, at most 100); continue with `after` = the last key returned.
   */
  scan<T extends Json = Json>(
    prefix?: string,
    options?: { after?: string; limit?: number },
  ): Array<{ key: string; value: T }>;
}

export interface ContractContext {
  /** This contract's name. */
  readonly contract: string;
  /** Who called: the signer's public key (`0x`-hex), or `contract:<name>` for a nested call. */
  readonly caller: string;
  /** The signer of the transaction, whatever the nesting. */
  readonly origin: string;
  /** The caller's roles on chain (empty when the caller is a contract). */
  readonly roles: readonly string[];
  hasRole(role: string): boolean;
  /** The block being executed; `timestampMs` is consensus time, the only clock there is. */
  readonly block: { readonly height: number; readonly timestampMs: number };
  /** True in a query: writes and events then fail the call. */
  readonly readOnly: boolean;
  readonly state: ContractState;
  /** Adds an event to the receipt (discarded if the call fails). */
  emit(name: string, data?: Json): void;
  /**
   * Calls another contract's method and returns its result. If the callee fails (reverts, throws,
   * does not exist), this throws an `Error` with a `code`; the callee's writes and events are
   * discarded, and the caller may catch it. Calling a contract already on the call stack fails the
   * whole call (REENTRANCY).
   */
  call<T extends Json = Json>(contract: string, method: string, args?: Json): T;
  /** Fails the call with code REVERTED and this message; nothing it did is kept. */
  revert(message?: string): never;
  /** `revert(message)` unless `condition` holds. */
  require(condition: unknown, message?: string): asserts condition;
}

/** The shape of a method. */
export type ContractMethod<A extends Json = Json, R extends Json | undefined = Json | undefined> = (
  ctx: ContractContext,
  args: A,
) => R;
