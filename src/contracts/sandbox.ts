/**
 * The contract sandbox: runs a contract method in QuickJS, deterministically,
 * isolated and metered, and returns its receipt.
 *
 * Isolation and determinism, by construction:
 * - one WebAssembly instance per `ContractSandbox` (see engine.ts: use one
 *   sandbox per block, for that block's calls in block order, and a separate
 *   one for queries);
 * - one QuickJS *runtime* per top-level call (its memory accounting, atoms and
 *   stack budget start from zero every time), disposed when the call ends;
 * - one QuickJS *context* per contract activation (a nested call gets a fresh
 *   global object and fresh built-ins, so prototype pollution by one contract,
 *   or by an earlier call, is never seen by another);
 * - the only way out is a set of host functions, each of which checks its
 *   arguments and charges gas before doing anything; everything leaving the
 *   sandbox is parsed and re-expressed as canonical JSON by the host.
 *
 * Gas is counted by `GasMeter` from interrupt ticks (see gas.ts for why these
 * are deterministic) and explicit charges. Memory is capped by QuickJS's
 * allocation limit and by the instance's linear-memory maximum; the stack by
 * MAX_STACK_BYTES. Every entry into QuickJS happens from a fresh microtask so
 * that the host's own native stack is nearly empty, which the stack margins
 * in limits.ts rely on.
 */
import {
  DefaultIntrinsics,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import { utf8 } from '../codec/bytes.ts';
import { assert, MeridianError, ValidationError } from '../errors.ts';
import {
  type CanonicalJson,
  canonicalize,
  isContractName,
  isMethodName,
  parseSandboxJson,
  truncateUtf8,
} from './boundary.ts';
import {
  type Activation,
  CallState,
  copyString,
  HostFailure,
  type Outcome,
  ROOM_SLACK_BYTES,
} from './call-state.ts';
import { contractCodeHash } from './code-hash.ts';
import { newEngineInstance } from './engine.ts';
import { type ContractErrorCode, contractFailure, isContractErrorCode } from './failures.ts';
import { CALL_GAS, CODE_GAS_PER_BYTE, IO_GAS_PER_BYTE } from './gas.ts';
import { hostFunctions as makeHostFunctions } from './host-functions.ts';
import {
  DEFAULT_GAS_LIMIT,
  MAX_ARGS_BYTES,
  MAX_CALL_DEPTH,
  MAX_CALLER_BYTES,
  MAX_CODE_BYTES,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_GAS_LIMIT,
  MAX_PARSE_STACK_BYTES,
  MAX_RETURN_BYTES,
  MAX_ROLE_BYTES,
  MAX_ROLES,
  MAX_STACK_BYTES,
  MEMORY_LIMIT_BYTES,
  SANDBOX_MEMORY_MAX_BYTES,
} from './limits.ts';
import { cHeapOf, MemoryReserve } from './memory-reserve.ts';
import { PRELUDE_SOURCE } from './prelude.ts';
import type {
  CallContext,
  CallReceipt,
  CallRequest,
  ContractFailure,
  ContractHost,
  DeployedContract,
  JsonValue,
} from './types.ts';
import { WriteLayer } from './write-layer.ts';

/** Built-ins a contract context gets: no Date, no typed arrays (binary data has no use in JSON state). */
const INTRINSICS = { ...DefaultIntrinsics, Date: false, TypedArrays: false } as const;

/** Kept free for winding a call down once a contract has exhausted memory (see memory-reserve.ts). */
const RESERVE_BYTES = 1024 * 1024;
/** The name code is deployed under while `inspect` loads it. */
const INSPECTED = 'inspected';

export interface SandboxOptions {
  /** The WebAssembly memory cap (tests use a small one); defaults to SANDBOX_MEMORY_MAX_BYTES. */
  readonly maxMemoryBytes?: number;
}

export class ContractSandbox {
  private queue: Promise<unknown> = Promise.resolve();
  private crashed: string | undefined;
  /** codeHash -> result of checking that code (hash, size, syntax), for this instance's lifetime. */
  private readonly codeChecks = new Map<string, { code: string; failure: string | undefined }>();

  private readonly reserve: MemoryReserve;

  private constructor(private readonly engine: QuickJSWASMModule) {
    this.reserve = new MemoryReserve(cHeapOf(engine), RESERVE_BYTES);
    assert(this.reserve.acquire(), 'a fresh instance has room for the memory reserve');
  }

  /** A sandbox on a fresh QuickJS instance (the compiled engine is cached per process). */
  static async create(options: SandboxOptions = {}): Promise<ContractSandbox> {
    return new ContractSandbox(await newEngineInstance(options.maxMemoryBytes ?? SANDBOX_MEMORY_MAX_BYTES));
  }

  /**
   * Executes a transaction's contract call. Resolves to the receipt whether the
   * call succeeded or failed; rejects only if the host failed (the error the
   * host threw) or the call context is malformed (`BAD_CALL_CONTEXT`, an
   * executor bug). Calls run one at a time, in the order they were made.
   */
  call(host: ContractHost, request: CallRequest): Promise<CallReceipt> {
    return this.enqueue(() => this.execute(host, request, false));
  }

  /** A read-only call: any write or event fails it with READ_ONLY. Its receipt has no writes. */
  query(host: ContractHost, request: CallRequest): Promise<CallReceipt> {
    return this.enqueue(() => this.execute(host, request, true));
  }

  /**
   * Deploy-time check of a JavaScript artefact: loads it as a contract would be
   * loaded (syntax, no imports, a top level that finishes within the default gas)
   * and lists its exported functions, i.e. its methods.
   */
  inspect(code: string): Promise<{ methods: string[] } | { error: ContractFailure }> {
    return this.enqueue(() => {
      const deployed = { code, codeHash: contractCodeHash(code) };
      const host: ContractHost = {
        readState: () => undefined,
        scanState: () => [],
        resolveContract: (name) => (name === INSPECTED ? deployed : undefined),
      };
      const context = { caller: 'inspect', roles: [], height: 0, timestampMs: 0 };
      const receipt = this.execute(host, { contract: INSPECTED, method: '', context }, true, true);
      if (receipt.status === 'error') return { error: receipt.error! };
      const methods = receipt.result;
      assert(Array.isArray(methods), 'inspection returns the list of methods');
      return { methods: methods.map(String) };
    });
  }

  /** Why this sandbox can no longer be used, if it cannot (see `execute`). */
  get crashReason(): string | undefined {
    return this.crashed;
  }

  private enqueue<T>(task: () => T): Promise<T> {
    // `then` runs the task from the microtask queue: the host's JS stack is nearly empty.
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private execute(
    host: ContractHost,
    request: CallRequest,
    readOnly: boolean,
    inspecting = false,
  ): CallReceipt {
    if (this.crashed)
      throw new ValidationError('SANDBOX_CRASHED', this.crashed, { hint: 'create a new sandbox' });
    checkCallContext(request.context);
    const base = {
      contract: String(request.contract),
      method: String(request.method),
      caller: request.context.caller,
      readOnly,
    };
    const rejected = (code: ContractErrorCode, message: string, args: JsonValue = null): CallReceipt => ({
      ...base,
      args,
      codeHash: null,
      status: 'error',
      error: { code, message: truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES) },
      events: [],
      writes: [],
      gasUsed: 0,
    });
    const gasLimit = request.gasLimit ?? DEFAULT_GAS_LIMIT;
    if (!Number.isSafeInteger(gasLimit) || gasLimit <= 0 || gasLimit > MAX_GAS_LIMIT) {
      return rejected('BAD_REQUEST', `the gas limit must be an integer from 1 to ${MAX_GAS_LIMIT}`);
    }
    if (!isContractName(request.contract)) {
      return rejected('BAD_REQUEST', 'a contract name is [a-z][a-z0-9-]* and at most 32 bytes');
    }
    if (!isMethodName(request.method) && !inspecting) {
      return rejected('BAD_REQUEST', 'a method name is a JavaScript identifier');
    }
    let args: CanonicalJson;
    try {
      args = canonicalize(request.args ?? null, MAX_ARGS_BYTES, 'the arguments', 'BAD_ARGS');
    } catch (error) {
      return rejected('BAD_ARGS', error instanceof Error ? error.message : String(error));
    }

    if (!this.reserve.acquire() || !this.reserve.fits(ROOM_SLACK_BYTES)) {
      throw this.crash(new Error('memory used by earlier calls was not given back'));
    }
    const runtime = this.engine.newRuntime();
    const call = new CallState(host, runtime, request.context, readOnly, gasLimit, this.reserve);
    let outcome: Outcome;
    try {
      runtime.setMemoryLimit(MEMORY_LIMIT_BYTES);
      runtime.setMaxStackSize(MAX_STACK_BYTES);
      runtime.setInterruptHandler(() => {
        if (call.stopped) return true;
        if (!call.gas.tick()) {
          call.setFatal('OUT_OF_GAS', `the call used all of its ${gasLimit} gas`);
          return true;
        }
        return false;
      });
      outcome = this.activate(call, request.contract, request.method, args, request.context.caller, [
        ...request.context.roles,
      ]);
    } catch (error) {
      this.disposeRuntime(runtime);
      if (error instanceof HostFailure) throw error.original;
      throw this.crash(error);
    }
    this.disposeRuntime(runtime);
    if (call.hostFailure) throw call.hostFailure.original;
    if (call.internalError !== undefined) throw this.crash(call.internalError);
    if (!this.reserve.acquire()) throw this.crash(new Error('the call did not give its memory back'));

    const receipt = { ...base, args: args.value, codeHash: call.codeHash, gasUsed: call.gas.gasUsed };
    if (call.fatal) return { ...receipt, status: 'error', error: call.fatal, events: [], writes: [] };
    if (!outcome.ok) {
      return {
        ...receipt,
        status: 'error',
        error: { code: outcome.code, message: outcome.message },
        events: [],
        writes: [],
      };
    }
    return {
      ...receipt,
      status: 'ok',
      result: outcome.result.value,
      events: call.events,
      writes: readOnly ? [] : call.layer.writes(),
    };
  }

  /** Runs one contract activation (top-level or nested). Fatal failures are left in `call.fatal`. */
  private activate(
    call: CallState,
    contract: string,
    method: string,
    args: CanonicalJson,
    caller: string,
    roles: readonly string[],
  ): Outcome {
    const fail = (code: ContractErrorCode, message: string): Outcome => ({
      ok: false,
      code,
      message: truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES),
    });
    const fatal = (code: ContractErrorCode, message: string): Outcome => {
      call.setFatal(code, message);
      return { ok: false, ...call.fatal! };
    };
    if (call.stack.length >= MAX_CALL_DEPTH) {
      return fatal('CALL_DEPTH_EXCEEDED', `calls may nest at most ${MAX_CALL_DEPTH} deep`);
    }
    if (call.stack.includes(contract)) {
      return fatal('REENTRANCY', `${contract} is already on the call stack (${call.stack.join(' -> ')})`);
    }
    const deployed = call.callHost(() => call.host.resolveContract(contract));
    if (deployed === undefined) return fail('CONTRACT_NOT_FOUND', `no contract named ${contract}`);
    if (call.stack.length === 0) call.codeHash = String(deployed.codeHash);
    const codeFailure = this.checkCode(deployed);
    if (codeFailure !== undefined) return fail('BAD_CONTRACT', `${contract}: ${codeFailure}`);
    try {
      call.charge(CALL_GAS + CODE_GAS_PER_BYTE * deployed.code.length + IO_GAS_PER_BYTE * args.bytes);
    } catch {
      return { ok: false, ...call.fatal! };
    }

    if (!call.hasRoom(0)) return { ok: false, ...call.fatal! };
    const parentLayer = call.layer;
    const eventsBefore = call.events.length;
    const activation: Activation = { contract, failure: undefined };
    call.layer = new WriteLayer(parentLayer);
    call.stack.push(contract);
    const vm = call.runtime.newContext({ intrinsics: INTRINSICS });
    let outcome: Outcome;
    try {
      outcome = this.runInContext(vm, call, activation, deployed.code, method, args, caller, roles);
    } finally {
      vm.dispose();
      call.stack.pop();
    }
    if (call.fatal) outcome = { ok: false, ...call.fatal };
    if (outcome.ok) {
      call.layer.mergeIntoParent();
    } else {
      call.events.length = eventsBefore;
    }
    call.layer = parentLayer;
    return outcome;
  }

  private runInContext(
    vm: QuickJSContext,
    call: CallState,
    activation: Activation,
    code: string,
    method: string,
    args: CanonicalJson,
    caller: string,
    roles: readonly string[],
  ): Outcome {
    const handles: QuickJSHandle[] = [];
    const own = (handle: QuickJSHandle) => {
      handles.push(handle);
      return handle;
    };
    try {
      call.ensureRoom(3 * (PRELUDE_SOURCE.length + args.text.length));
      const hostFunctions = makeHostFunctions(vm, call, activation, (...args) => this.activate(...args)).map(
        own,
      );
      const info = JSON.stringify({
        contract: activation.contract,
        caller,
        origin: call.context.caller,
        roles,
        height: call.context.height,
        timestampMs: call.context.timestampMs,
        readOnly: call.readOnly,
      });
      const prelude = vm.evalCode(PRELUDE_SOURCE, 'meridian:prelude', { type: 'global', strict: true });
      if (prelude.error) return this.engineFailure(vm, call, own(prelude.error), 'the prelude');
      const installed = vm.callFunction(
        own(prelude.value),
        vm.undefined,
        ...hostFunctions,
        own(vm.newString(info)),
      );
      if (installed.error) return this.engineFailure(vm, call, own(installed.error), 'the prelude');
      const invoke = own(installed.value);

      call.ensureRoom(3 * code.length);
      const loaded = vm.evalCode(code, `contract:${activation.contract}`, { type: 'module' });
      const loadedHandle = own(loaded.error ?? loaded.value);
      // Contract code just ran: if it left no room, the binding's result may already be unreliable.
      call.ensureRoom(0);
      if (loaded.error)
        return this.engineFailure(vm, call, loadedHandle, 'loading the contract', 'BAD_CONTRACT');
      const promise = vm.getPromiseState(loadedHandle);
      if (promise.type === 'pending') {
        return {
          ok: false,
          code: 'BAD_CONTRACT',
          message: `${activation.contract}: top-level await is not supported`,
        };
      }
      if (promise.type === 'rejected') {
        return this.engineFailure(vm, call, own(promise.error), 'loading the contract', 'BAD_CONTRACT');
      }
      const namespace = promise.notAPromise ? promise.value : own(promise.value);

      call.ensureRoom(3 * args.text.length);
      const invoked = vm.callFunction(
        invoke,
        vm.undefined,
        namespace,
        own(vm.newString(method)),
        own(vm.newString(args.text)),
      );
      const resultHandle = own(invoked.error ?? invoked.value);
      call.ensureRoom(0);
      if (invoked.error)
        return this.engineFailure(vm, call, resultHandle, `${activation.contract}.${method}`);
      if (call.fatal) return { ok: false, ...call.fatal };
      if (vm.typeof(resultHandle) !== 'string') {
        const failure = activation.failure ?? {
          code: 'CONTRACT_ERROR',
          message: 'the method did not complete',
        };
        return { ok: false, ...failure };
      }
      const resultText = copyString(vm, call, resultHandle, MAX_RETURN_BYTES);
      if (resultText === undefined)
        throw contractFailure('RETURN_TOO_LARGE', 'the return value is too large');
      const result = parseSandboxJson(resultText, MAX_RETURN_BYTES, 'the return value', 'RETURN_TOO_LARGE');
      call.charge(IO_GAS_PER_BYTE * result.bytes);
      return { ok: true, result };
    } catch (error) {
      if (error instanceof HostFailure) throw error;
      if (error instanceof MeridianError && isContractErrorCode(error.code)) {
        call.setFatal(error.code, error.message);
        return { ok: false, ...call.fatal! };
      }
      throw error;
    } finally {
      for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
    }
  }

  /**
   * Classifies an exception that escaped the prelude (so the engine raised it, or
   * the contract's top level threw while loading).
   */
  private engineFailure(
    vm: QuickJSContext,
    call: CallState,
    error: QuickJSHandle,
    during: string,
    otherwise: ContractErrorCode = 'CONTRACT_ERROR',
  ): Outcome {
    if (call.hostFailure) throw call.hostFailure;
    if (call.fatal) return { ok: false, ...call.fatal };
    if (!call.hasRoom(0) || vm.eq(error, vm.null)) {
      return { ok: false, code: 'OUT_OF_MEMORY', message: `out of memory during ${during}` };
    }
    let name = '';
    let message = '';
    try {
      if (vm.typeof(error) === 'object') {
        name = String(vm.getProp(error, 'name').consume((h) => vm.dump(h)));
        message = String(vm.getProp(error, 'message').consume((h) => vm.dump(h)));
      }
    } catch {
      // An error object that cannot even be read: memory is exhausted.
      return { ok: false, code: 'OUT_OF_MEMORY', message: `out of memory during ${during}` };
    }
    const engineRaised = name === 'InternalError' || name === 'SyntaxError' || name === 'RangeError';
    if (vm.typeof(error) !== 'object' || (engineRaised && message === 'out of memory')) {
      return { ok: false, code: 'OUT_OF_MEMORY', message: `out of memory during ${during}` };
    }
    if (engineRaised && message === 'stack overflow') {
      return { ok: false, code: 'STACK_OVERFLOW', message: `stack overflow during ${during}` };
    }
    const text = truncateUtf8(`${during}: ${name}: ${message}`, MAX_ERROR_MESSAGE_BYTES);
    return { ok: false, code: otherwise, message: text };
  }

  /**
   * Checks deployed code once per instance: size, hash, and that it parses within
   * MAX_PARSE_STACK_BYTES. The parse check runs in a scratch runtime created at the
   * current depth, so its verdict depends on the code alone. (It evaluates the module
   * with an interrupt at the first poll, so none of its code runs: quickjs-emscripten's
   * compile-only path for modules reads an uninitialised pointer.)
   */
  private checkCode(deployed: DeployedContract): string | undefined {
    const cached = this.codeChecks.get(deployed.codeHash);
    if (cached && cached.code === deployed.code) return cached.failure;
    const failure = this.findCodeFailure(deployed);
    this.codeChecks.set(deployed.codeHash, { code: deployed.code, failure });
    return failure;
  }

  private findCodeFailure(deployed: DeployedContract): string | undefined {
    if (typeof deployed.code !== 'string') return 'the code is not a string';
    const bytes = utf8(deployed.code);
    if (bytes.length > MAX_CODE_BYTES)
      return `the code is ${bytes.length} bytes; the limit is ${MAX_CODE_BYTES}`;
    if (contractCodeHash(bytes) !== deployed.codeHash) return 'the code does not match its code hash';
    const runtime = this.engine.newRuntime();
    try {
      runtime.setMemoryLimit(MEMORY_LIMIT_BYTES);
      runtime.setMaxStackSize(MAX_PARSE_STACK_BYTES);
      runtime.setInterruptHandler(() => true);
      const vm = runtime.newContext({ intrinsics: INTRINSICS });
      try {
        const loaded = vm.evalCode(deployed.code, 'contract', { type: 'module' });
        if (!loaded.error) {
          loaded.value.dispose();
          return undefined;
        }
        const name = vm.getProp(loaded.error, 'name').consume((h) => vm.dump(h));
        const message = vm.getProp(loaded.error, 'message').consume((h) => vm.dump(h));
        loaded.error.dispose();
        if (name !== 'SyntaxError') return undefined; // it parsed; loading reports the rest
        return truncateUtf8(`the code does not parse: ${name}: ${message}`, MAX_ERROR_MESSAGE_BYTES);
      } finally {
        vm.dispose();
      }
    } finally {
      this.disposeRuntime(runtime);
    }
  }

  private disposeRuntime(runtime: QuickJSRuntime): void {
    try {
      if (runtime.alive) runtime.dispose();
    } catch (error) {
      throw this.crash(error);
    }
  }

  /**
   * The engine failed in a way the limits should have prevented (the host's native stack
   * overflowed, or QuickJS aborted). Its state can no longer be trusted, so this sandbox refuses
   * further calls. This is a bug, not a contract failure: it must not be recorded in a receipt.
   */
  private crash(error: unknown): Error {
    const reason = error instanceof Error ? error.message : String(error);
    this.crashed ??= truncateUtf8(`the QuickJS instance failed: ${reason}`, MAX_ERROR_MESSAGE_BYTES);
    return new ValidationError('SANDBOX_CRASHED', this.crashed, {
      hint: 'report this as a bug; create a new sandbox to continue',
      cause: error,
    });
  }
}

/** The executor's part of a request; malformed = an executor bug, thrown, never a receipt. */
function checkCallContext(context: CallContext): void {
  const bad = (message: string) =>
    new ValidationError('BAD_CALL_CONTEXT', message, {
      hint: 'the executor must supply the signer and the block',
    });
  if (typeof context !== 'object' || context === null) throw bad('the call context is missing');
  if (
    typeof context.caller !== 'string' ||
    context.caller.length === 0 ||
    utf8(context.caller).length > MAX_CALLER_BYTES
  ) {
    throw bad(`the caller must be a string of 1 to ${MAX_CALLER_BYTES} bytes`);
  }
  if (!Array.isArray(context.roles) || context.roles.length > MAX_ROLES) {
    throw bad(`roles must be an array of at most ${MAX_ROLES} names`);
  }
  for (const role of context.roles) {
    if (typeof role !== 'string' || role.length === 0 || utf8(role).length > MAX_ROLE_BYTES) {
      throw bad(`a role is a string of 1 to ${MAX_ROLE_BYTES} bytes`);
    }
  }
  if (!Number.isSafeInteger(context.height) || context.height < 0)
    throw bad('the height must be an integer >= 0');
  if (!Number.isSafeInteger(context.timestampMs) || context.timestampMs < 0) {
    throw bad('the timestamp must be an integer number of milliseconds >= 0');
  }
}
