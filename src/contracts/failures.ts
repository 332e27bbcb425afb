/**
 * The stable error codes a contract call can fail with (receipt `error.code`).
 * Codes are never renamed once shipped; callers branch on them, not on messages.
 *
 * Two kinds:
 * - a **contract failure** is something the called contract did (threw, reverted,
 *   does not exist). A nested `ctx.call` that fails this way throws a catchable
 *   error into the caller, which may handle it; the callee's writes and events
 *   are discarded either way.
 * - a **fatal** failure is a broken limit or a forbidden action (out of gas, too
 *   many writes, re-entrancy, a write in a query, `Math.random`, ...). It ends
 *   the whole top-level call: catching the error inside the contract does not
 *   save it, the receipt carries this code.
 */
import { NotFoundError, ValidationError } from '../errors.ts';

export const CONTRACT_ERROR_CODES = {
  REVERTED: 'the contract called ctx.revert(message)',
  CONTRACT_ERROR: 'the contract threw an error it did not catch',
  CONTRACT_NOT_FOUND: 'no contract is deployed under that name',
  METHOD_NOT_FOUND: 'the contract exports no function of that name',
  BAD_CONTRACT:
    'the code cannot be loaded: wrong hash, syntax error, import, throwing top level, top-level await',
  OUT_OF_MEMORY: 'an allocation did not fit the memory cap',
  STACK_OVERFLOW: 'recursion went past the stack budget',
  OUT_OF_GAS: 'the gas limit was reached',
  BAD_REQUEST: 'the call names a malformed contract or method, or a gas limit out of range',
  BAD_ARGS: 'arguments are not JSON, too large or too deeply nested',
  BAD_API_USE: 'a ctx function was called with arguments of the wrong type or range',
  BAD_KEY: 'a state key is empty, too long, not well-formed Unicode or contains control characters',
  NOT_JSON: 'a value cannot be expressed as JSON (undefined, function, BigInt, cycle, ...)',
  JSON_TOO_DEEP: 'a value is nested deeper than MAX_JSON_DEPTH',
  VALUE_TOO_LARGE: 'a state value is larger than MAX_STATE_VALUE_BYTES',
  TOO_MANY_WRITES: 'the call writes more than MAX_WRITES_PER_CALL distinct keys',
  BAD_EVENT: 'an event name is empty, too long or has characters outside [A-Za-z0-9_.:-]',
  EVENT_TOO_LARGE: 'event data is larger than MAX_EVENT_DATA_BYTES',
  TOO_MANY_EVENTS: 'the call emits more than MAX_EVENTS_PER_CALL events',
  RETURN_TOO_LARGE: 'the return value is larger than MAX_RETURN_BYTES',
  ASYNC_NOT_SUPPORTED: 'the method returned a Promise: contract methods are synchronous',
  READ_ONLY: 'a query tried to write state or emit an event',
  REENTRANCY: 'a call would re-enter a contract already on the call stack',
  CALL_DEPTH_EXCEEDED: 'nested calls went deeper than MAX_CALL_DEPTH',
  FORBIDDEN:
    'the contract used a non-deterministic or dynamic-code facility (Date, Math.random, eval, Function)',
} as const;

export type ContractErrorCode = keyof typeof CONTRACT_ERROR_CODES;

const CATCHABLE: ReadonlySet<ContractErrorCode> = new Set<ContractErrorCode>([
  'REVERTED',
  'CONTRACT_ERROR',
  'CONTRACT_NOT_FOUND',
  'METHOD_NOT_FOUND',
  'BAD_CONTRACT',
  'OUT_OF_MEMORY',
  'STACK_OVERFLOW',
]);

/** True if this failure ends the whole top-level call, whatever the contract does about it. */
export function isFatal(code: ContractErrorCode): boolean {
  return !CATCHABLE.has(code);
}

/** A failure raised by the sandbox: `NotFoundError` for missing contracts/methods, else `ValidationError`. */
export function contractFailure(code: ContractErrorCode, message: string): ValidationError | NotFoundError {
  const hint = CONTRACT_ERROR_CODES[code];
  return code === 'CONTRACT_NOT_FOUND' || code === 'METHOD_NOT_FOUND'
    ? new NotFoundError(code, message, { hint })
    : new ValidationError(code, message, { hint });
}

export function isContractErrorCode(code: unknown): code is ContractErrorCode {
  return typeof code === 'string' && Object.hasOwn(CONTRACT_ERROR_CODES, code);
}
