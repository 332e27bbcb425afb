/**
 * The host functions a contract activation gets (through the prelude only):
 * state access in its own namespace, events, nested calls, gas for metered
 * built-ins, failure reports. Each one checks every argument and charges gas
 * before it does anything, and checks the binding has room before it copies
 * anything into QuickJS.
 */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import { utf8 } from '../codec/bytes.ts';
import { MeridianError } from '../errors.ts';
import {
  type CanonicalJson,
  canonicalize,
  checkEventName,
  checkJsonValue,
  checkStateKey,
  compareKeys,
  isContractName,
  isMethodName,
  parseSandboxJson,
  truncateUtf8,
} from './boundary.ts';
import { type Activation, type CallState, copyString, HostFailure, type Outcome } from './call-state.ts';
import { type ContractErrorCode, contractFailure, isContractErrorCode, isFatal } from './failures.ts';
import {
  DELETE_GAS,
  EMIT_GAS,
  EMIT_GAS_PER_BYTE,
  READ_GAS,
  READ_GAS_PER_BYTE,
  SCAN_GAS,
  SCAN_GAS_PER_ENTRY,
  WRITE_GAS,
  WRITE_GAS_PER_BYTE,
} from './gas.ts';
import {
  MAX_ARGS_BYTES,
  MAX_CONTRACT_NAME_BYTES,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_EVENT_DATA_BYTES,
  MAX_EVENT_NAME_BYTES,
  MAX_EVENTS_PER_CALL,
  MAX_METHOD_NAME_BYTES,
  MAX_SCAN_LIMIT,
  MAX_STATE_KEY_BYTES,
  MAX_STATE_VALUE_BYTES,
  MAX_WRITES_PER_CALL,
} from './limits.ts';
import { PRELUDE_HOST_FUNCTIONS } from './prelude.ts';
import type { StateEntry } from './types.ts';
import { type Buffered, mergeScan } from './write-layer.ts';

/** Default number of entries `state.scan` returns. */
const DEFAULT_SCAN_LIMIT = 50;

/** Runs a nested activation (the sandbox's `activate`). */
export type Activate = (
  call: CallState,
  contract: string,
  method: string,
  args: CanonicalJson,
  caller: string,
  roles: readonly string[],
) => Outcome;

/** The host functions of one activation, in PRELUDE_HOST_FUNCTIONS order. */
export function hostFunctions(
  vm: QuickJSContext,
  call: CallState,
  activation: Activation,
  activate: Activate,
): QuickJSHandle[] {
  const contract = activation.contract;
  const guard =
    (body: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) =>
    (...args: QuickJSHandle[]): QuickJSHandle | undefined => {
      if (call.hostFailure) throw call.hostFailure;
      if (call.stopped) throw new Error('the call is stopping');
      try {
        call.ensureRoom(0);
        return body(...args);
      } catch (error) {
        if (error instanceof HostFailure) throw error;
        if (error instanceof MeridianError && isContractErrorCode(error.code)) {
          throw call.setFatal(error.code, error.message);
        }
        if (call.fatal) throw error; // already recorded (setFatal's own error)
        // Anything else (an engine or binding failure) must not become contract-visible behaviour.
        call.internalError ??= error;
        throw new Error('internal sandbox error');
      }
    };
  /** A string argument, its length checked before it is copied out of QuickJS. */
  const text = (handle: QuickJSHandle | undefined, maxLength: number): string | undefined => {
    if (handle === undefined || vm.typeof(handle) !== 'string') return undefined;
    return copyString(vm, call, handle, maxLength);
  };
  const isAbsent = (handle: QuickJSHandle | undefined) =>
    handle === undefined || vm.typeof(handle) === 'undefined';
  /** A name or key the prelude sent as a JSON string literal (so NUL and lone surrogates survive). */
  const quoted = (handle: QuickJSHandle | undefined, maxLength: number, failure: () => Error): string => {
    // A character takes at most 6 in a JSON literal (a \\u escape), plus the two quotes.
    const literal = text(handle, 6 * maxLength + 2);
    if (literal === undefined) throw failure();
    let value: unknown;
    try {
      value = JSON.parse(literal);
    } catch {
      throw failure();
    }
    if (typeof value !== 'string' || value.length > maxLength) throw failure();
    return value;
  };
  const key = (handle: QuickJSHandle | undefined, what = 'a state key', allowEmpty = false): string =>
    checkStateKey(
      quoted(handle, MAX_STATE_KEY_BYTES, () =>
        contractFailure('BAD_KEY', `${what} must be a string of at most ${MAX_STATE_KEY_BYTES} bytes`),
      ),
      what,
      allowEmpty,
    );
  const json = (
    handle: QuickJSHandle | undefined,
    maxBytes: number,
    what: string,
    tooLarge: ContractErrorCode,
  ) => {
    if (handle === undefined || vm.typeof(handle) !== 'string')
      throw contractFailure('NOT_JSON', `${what} is not JSON text`);
    const value = text(handle, maxBytes);
    if (value === undefined) throw contractFailure(tooLarge, `${what} is larger than ${maxBytes} bytes`);
    return parseSandboxJson(value, maxBytes, what, tooLarge);
  };
  /** A message the prelude sent as a JSON literal, cut to the receipt's limit. */
  const quotedMessage = (handle: QuickJSHandle | undefined): string => {
    const literal = text(handle, 6 * MAX_ERROR_MESSAGE_BYTES + 2);
    let value: unknown;
    try {
      value = literal === undefined ? undefined : JSON.parse(literal);
    } catch {
      value = undefined;
    }
    return truncateUtf8(typeof value === 'string' ? value : 'failed', MAX_ERROR_MESSAGE_BYTES);
  };
  const writable = (what: string) => {
    if (call.readOnly) throw contractFailure('READ_ONLY', `${what} is not allowed in a query`);
  };
  const readValue = (stateKey: string): Buffered | undefined => {
    const buffered = call.layer.lookup(contract, stateKey);
    if (buffered !== undefined) return buffered;
    const committed = call.callHost(() => call.host.readState(contract, stateKey));
    if (committed === undefined) return undefined;
    const what = `committed state ${contract}/${stateKey}`;
    const value = canonicalize(committed, MAX_STATE_VALUE_BYTES, what, 'VALUE_TOO_LARGE');
    return { text: value.text, value: value.value, bytes: value.bytes };
  };

  const fns: Record<
    (typeof PRELUDE_HOST_FUNCTIONS)[number],
    (...args: QuickJSHandle[]) => QuickJSHandle | undefined
  > = {
    hostGet: (keyHandle) => {
      const stateKey = key(keyHandle);
      call.charge(READ_GAS);
      const value = readValue(stateKey);
      if (value === undefined || value === null) return undefined;
      call.charge(READ_GAS_PER_BYTE * value.bytes);
      call.ensureRoom(3 * value.text.length);
      return vm.newString(value.text);
    },
    hostPut: (keyHandle, valueHandle) => {
      writable('state.put');
      const stateKey = key(keyHandle);
      const value = json(valueHandle, MAX_STATE_VALUE_BYTES, `the value of ${stateKey}`, 'VALUE_TOO_LARGE');
      call.charge(WRITE_GAS + WRITE_GAS_PER_BYTE * (value.bytes + utf8(stateKey).length));
      checkWriteCount(call, contract, stateKey);
      call.layer.set(contract, stateKey, { text: value.text, value: value.value, bytes: value.bytes });
      return undefined;
    },
    hostDel: (keyHandle) => {
      writable('state.del');
      const stateKey = key(keyHandle);
      call.charge(DELETE_GAS);
      checkWriteCount(call, contract, stateKey);
      call.layer.set(contract, stateKey, null);
      return undefined;
    },
    hostScan: (prefixHandle, afterHandle, limitHandle) => {
      const prefix = key(prefixHandle, 'a scan prefix', true);
      const after = isAbsent(afterHandle) ? undefined : key(afterHandle, 'scan option "after"');
      const limit = isAbsent(limitHandle)
        ? DEFAULT_SCAN_LIMIT
        : vm.typeof(limitHandle!) === 'number'
          ? vm.getNumber(limitHandle!)
          : Number.NaN;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SCAN_LIMIT) {
        throw contractFailure(
          'BAD_API_USE',
          `scan option "limit" must be an integer from 1 to ${MAX_SCAN_LIMIT}`,
        );
      }
      call.charge(SCAN_GAS);
      const entries = mergeScan(call.layer.bufferedWithPrefix(contract, prefix), after, limit, (count) =>
        committedPage(call, contract, prefix, after, count),
      );
      const page = JSON.stringify(entries);
      call.charge(SCAN_GAS_PER_ENTRY * entries.length + READ_GAS_PER_BYTE * page.length);
      call.ensureRoom(3 * page.length);
      return vm.newString(page);
    },
    hostEmit: (nameHandle, dataHandle) => {
      writable('ctx.emit');
      const name = checkEventName(
        quoted(nameHandle, MAX_EVENT_NAME_BYTES, () =>
          contractFailure('BAD_EVENT', 'an event name is a string'),
        ),
      );
      const data = json(dataHandle, MAX_EVENT_DATA_BYTES, `the data of event ${name}`, 'EVENT_TOO_LARGE');
      call.charge(EMIT_GAS + EMIT_GAS_PER_BYTE * (data.bytes + name.length));
      if (call.events.length >= MAX_EVENTS_PER_CALL) {
        throw contractFailure('TOO_MANY_EVENTS', `a call may emit at most ${MAX_EVENTS_PER_CALL} events`);
      }
      call.events.push({ contract, name, data: data.value });
      return undefined;
    },
    hostCall: (contractHandle, methodHandle, argsHandle) => {
      const badCall = () =>
        contractFailure('BAD_API_USE', 'ctx.call needs a contract name and a method name');
      const callee = quoted(contractHandle, MAX_CONTRACT_NAME_BYTES, badCall);
      const method = quoted(methodHandle, MAX_METHOD_NAME_BYTES, badCall);
      if (!isContractName(callee)) throw contractFailure('BAD_API_USE', 'ctx.call needs a contract name');
      if (!isMethodName(method)) throw contractFailure('BAD_API_USE', 'ctx.call needs a method name');
      const args = json(argsHandle, MAX_ARGS_BYTES, 'the call arguments', 'BAD_ARGS');
      const outcome = activate(call, callee, method, args, `contract:${contract}`, []);
      if (call.hostFailure) throw call.hostFailure;
      if (call.stopped) throw new Error('the call is stopping');
      const envelope = outcome.ok
        ? `{"ok":true,"result":${outcome.result.text}}`
        : JSON.stringify({
            ok: false,
            code: outcome.code,
            message: `${callee}.${method}: ${outcome.message}`,
          });
      call.ensureRoom(3 * envelope.length);
      return vm.newString(envelope);
    },
    hostGas: (gasHandle) => {
      const gas =
        gasHandle !== undefined && vm.typeof(gasHandle) === 'number' ? vm.getNumber(gasHandle) : Number.NaN;
      call.charge(Number.isSafeInteger(gas) && gas >= 0 ? gas : Number.MAX_SAFE_INTEGER);
      return undefined;
    },
    hostFail: (codeHandle, messageHandle) => {
      const code = text(codeHandle, 64);
      const message = quotedMessage(messageHandle);
      // The prelude reports what the contract threw: only contract-failure codes may come from there.
      const safe = isContractErrorCode(code) && !isFatal(code) ? code : 'CONTRACT_ERROR';
      activation.failure ??= { code: safe, message };
      return undefined;
    },
    hostAbort: (codeHandle, messageHandle) => {
      const code = text(codeHandle, 64);
      const allowed: readonly ContractErrorCode[] = ['NOT_JSON', 'JSON_TOO_DEEP', 'ASYNC_NOT_SUPPORTED'];
      const known = allowed.find((c) => c === code) ?? 'BAD_API_USE';
      throw call.setFatal(known, quotedMessage(messageHandle));
    },
    hostForbidden: (nameHandle) => {
      const name = text(nameHandle, 64) ?? 'this facility';
      throw call.setFatal(
        'FORBIDDEN',
        `${name} is not available in contracts: they must be deterministic and run only reviewed code` +
          ' (use ctx.block.timestampMs for time)',
      );
    },
  };
  return PRELUDE_HOST_FUNCTIONS.map((name) => vm.newFunction(name, guard(fns[name])));
}

function checkWriteCount(call: CallState, contract: string, key: string): void {
  if (call.layer.lookup(contract, key) === undefined && call.layer.distinctKeys() >= MAX_WRITES_PER_CALL) {
    throw contractFailure('TOO_MANY_WRITES', `a call may write at most ${MAX_WRITES_PER_CALL} distinct keys`);
  }
}

/** Committed entries from the host, checked: in the page, in order, JSON values. */
function committedPage(
  call: CallState,
  contract: string,
  prefix: string,
  after: string | undefined,
  count: number,
): StateEntry[] {
  const raw = call.callHost(() => call.host.scanState(contract, prefix, after, count));
  const out: StateEntry[] = [];
  for (const entry of raw.slice(0, count)) {
    if (typeof entry.key !== 'string' || !entry.key.startsWith(prefix)) continue;
    if (after !== undefined && compareKeys(entry.key, after) <= 0) continue;
    checkJsonValue(entry.value, `committed state ${contract}/${entry.key}`);
    out.push({ key: entry.key, value: entry.value });
  }
  return out;
}
