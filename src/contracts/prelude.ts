/**
 * The prelude: trusted JavaScript evaluated in every fresh contract context
 * before the contract's code. It
 *
 * - captures the built-ins it needs before the contract can touch them;
 * - removes what would make validators disagree or let code escape review:
 *   `Date` and `Math.random` (non-deterministic), `eval` and the `Function`
 *   constructors (dynamic code: it escapes the reviewed artefact, and parsing at
 *   run time has the worst native-stack cost per level of nesting, see
 *   limits.ts). Calling any of them fails the call with FORBIDDEN;
 * - meters native string/array built-ins that do work proportional to their
 *   operands without ever polling the interpreter (`'x'.repeat(1e7)`,
 *   `s.indexOf(t)` on a huge string): each wrapped call adds the lengths of its
 *   receiver (unless the method is O(result)), arguments and result to a counter
 *   that is flushed to the host as gas (BUILTIN_UNITS_PER_GAS per gas);
 * - replaces `JSON.stringify` with a version that refuses nesting deeper than
 *   MAX_JSON_DEPTH (the native serialiser recurses in C with little QuickJS
 *   stack per level, see limits.ts) and `JSON.parse` with a metered one;
 * - builds the frozen `ctx` object (see contract-api.ts) on top of the host
 *   functions, which are reachable only through this closure; and
 * - returns `invoke(namespace, method, argsText)`, which calls the method and
 *   returns its result as JSON text, or reports the failure with `hostFail`.
 *
 * Nothing here is a security boundary: a contract can subvert its own context
 * in many ways. The boundary is the host, which checks every argument of every
 * host function (types, sizes, names) and every value that leaves. The prelude
 * only makes the honest path convenient and the limits uniform.
 */
import { BUILTIN_UNITS_PER_GAS } from './gas.ts';
import { MAX_ERROR_MESSAGE_BYTES, MAX_JSON_DEPTH } from './limits.ts';

/** Names of the host functions, in the order `installMeridian` takes them (after them: infoText). */
export const PRELUDE_HOST_FUNCTIONS = [
  'hostGet',
  'hostPut',
  'hostDel',
  'hostScan',
  'hostEmit',
  'hostCall',
  'hostGas',
  'hostFail',
  'hostAbort',
  'hostForbidden',
] as const;

const PRELUDE_TEXT = `'use strict';
(function installMeridian(${PRELUDE_HOST_FUNCTIONS.join(', ')}, infoText) {
  const G = globalThis, O = Object, apply = Reflect.apply, freeze = O.freeze, defineProperty = O.defineProperty;
  const isArray = Array.isArray, floor = Math.floor, parseJson = JSON.parse, stringifyJson = JSON.stringify;
  const mapGet = Map.prototype.get, mapSet = Map.prototype.set, MapC = Map, PromiseC = Promise;
  const ErrorC = Error, TypeErrorC = TypeError, RangeErrorC = RangeError, InternalErrorC = G.InternalError;
  const StringC = String, split = StringC.prototype.split, slice = StringC.prototype.slice;
  const FunctionPrototype = Function.prototype, MAX_MESSAGE = ${MAX_ERROR_MESSAGE_BYTES};
  function define(target, name, value) {
    defineProperty(target, name, { value, writable: true, enumerable: false, configurable: true });
  }
  // ---- gas for bulk built-ins: units are characters or elements ------------
  let units = 0;
  function flush() {
    if (units >= ${BUILTIN_UNITS_PER_GAS}) {
      const gas = floor(units / ${BUILTIN_UNITS_PER_GAS});
      units -= gas * ${BUILTIN_UNITS_PER_GAS};
      hostGas(gas);
    }
  }
  function sizeOf(x) {
    if (typeof x === 'string') return x.length;
    if (!isArray(x)) return 0;
    const n = x.length;
    return typeof n === 'number' && n > 0 ? n : 0;
  }
  function addUnits(n) {
    units += n;
    if (units >= ${BUILTIN_UNITS_PER_GAS * 1024}) flush();
  }
  // Methods whose native work grows with their operands. The second list costs only what it
  // returns (a slice of a huge string is cheap); the first also pays for its receiver.
  function meter(target, full, resultOnly) {
    for (let k = 0; k < 2; k++) {
      const names = apply(split, k === 0 ? full : resultOnly, [' ']);
      for (let i = 0; i < names.length; i++) {
        const original = target[names[i]];
        if (typeof original !== 'function') continue;
        const withReceiver = k === 0;
        define(target, names[i], function (...args) {
          const result = apply(original, this, args);
          let n = withReceiver ? sizeOf(this) : 0;
          for (let j = 0; j < args.length; j++) n += sizeOf(args[j]);
          addUnits(n + sizeOf(result));
          return result;
        });
      }
    }
  }
  meter(StringC.prototype, 'concat repeat padStart padEnd split replace replaceAll indexOf lastIndexOf includes search '
    + 'match matchAll localeCompare normalize toLowerCase toUpperCase toLocaleLowerCase toLocaleUpperCase trim '
    + 'trimStart trimEnd isWellFormed toWellFormed', 'slice substring substr startsWith endsWith');
  meter(Array.prototype, 'join concat splice indexOf lastIndexOf includes fill sort reverse shift unshift flat '
    + 'copyWithin toSorted toReversed toSpliced with', 'slice');
  meter(RegExp.prototype, 'exec test', '');
  meter(Array, 'from', '');
  meter(StringC, 'fromCharCode fromCodePoint raw', '');
  meter(O, 'keys values entries getOwnPropertyNames fromEntries', '');
  // ---- determinism, and no code but the reviewed artefact ----------------
  function forbid(name) {
    return { [name]() { return hostForbidden(name); } }[name];
  }
  const DateStub = function Date() { return hostForbidden('Date'); };
  DateStub.now = forbid('Date.now');
  DateStub.parse = forbid('Date.parse');
  DateStub.UTC = forbid('Date.UTC');
  define(G, 'Date', DateStub);
  define(Math, 'random', forbid('Math.random'));
  define(G, 'eval', forbid('eval'));
  const FunctionStub = function Function() { return hostForbidden('Function'); };
  FunctionStub.prototype = FunctionPrototype;
  define(G, 'Function', FunctionStub);
  const getPrototypeOf = O.getPrototypeOf;
  const prototypes = [FunctionPrototype, getPrototypeOf(function* () {}), getPrototypeOf(async function () {}),
    getPrototypeOf(async function* () {})];
  for (let i = 0; i < 4; i++) define(prototypes[i], 'constructor', FunctionStub);
  delete G.WeakRef;
  delete G.FinalizationRegistry;
  // Names, keys and messages travel to the host as JSON string literals: QuickJS hands strings
  // out as NUL-terminated UTF-8, which would cut 'a\\u0000b' short and mangle unpaired surrogates.
  function q(x) {
    return typeof x === 'string' ? stringifyJson(x) : undefined;
  }
  function abort(code, message) {
    hostAbort(code, q(cut(message)));
  }
  function failWith(code, message) {
    hostFail(code, q(cut(message)));
  }
  // ---- JSON, nested at most MAX_JSON_DEPTH deep --------------------------
  // Native JSON.stringify recurses only into values a replacer returned, passing their container
  // as 'this': so the replacer knows every value's depth.
  let tooDeep = false;
  function depthLimiter(userReplacer) {
    const depths = new MapC();
    return function (key, value) {
      if (userReplacer !== undefined) value = apply(userReplacer, this, [key, value]);
      if (value !== null && typeof value === 'object') {
        const holder = apply(mapGet, depths, [this]);
        const depth = holder === undefined ? 1 : holder + 1;
        if (depth > ${MAX_JSON_DEPTH}) {
          tooDeep = true;
          throw new RangeErrorC('JSON value nested deeper than ${MAX_JSON_DEPTH} levels');
        }
        apply(mapSet, depths, [value, depth]);
      }
      return value;
    };
  }
  define(JSON, 'stringify', function stringify(value, replacer, space) {
    if (isArray(replacer)) throw new TypeErrorC('JSON.stringify: array replacers are not supported in contracts');
    const text = apply(stringifyJson, undefined, [value, depthLimiter(typeof replacer === 'function' ? replacer : undefined), space]);
    addUnits(sizeOf(text));
    return text;
  });
  define(JSON, 'parse', function parse(text, reviver) {
    const source = StringC(text);
    addUnits(source.length);
    return apply(parseJson, undefined, typeof reviver === 'function' ? [source, reviver] : [source]);
  });
  // JSON text of a value leaving the sandbox; a value JSON cannot express fails the call.
  function boundaryJson(value, what) {
    let text;
    tooDeep = false;
    try {
      text = apply(stringifyJson, undefined, [value, depthLimiter(undefined)]);
    } catch (e) {
      if (tooDeep) abort('JSON_TOO_DEEP', what + ' is nested deeper than ${MAX_JSON_DEPTH} levels');
      if (e instanceof TypeErrorC) abort('NOT_JSON', what + ' cannot be expressed as JSON: ' + e.message);
      throw e;
    }
    if (typeof text !== 'string') abort('NOT_JSON', what + ' cannot be expressed as JSON');
    addUnits(text.length);
    return text;
  }
  // ---- ctx ----------------------------------------------------------------
  const info = parseJson(infoText);
  const roles = freeze(info.roles);
  function fail(code, message) {
    const error = new ErrorC(message);
    define(error, 'name', 'ContractError');
    error.code = code;
    throw error;
  }
  function revert(message) {
    fail('REVERTED', message === undefined ? 'reverted' : StringC(message));
  }
  const state = freeze({
    get(key) {
      flush();
      const text = hostGet(q(key));
      return text === undefined ? undefined : parseJson(text);
    },
    has(key) {
      flush();
      return hostGet(q(key)) !== undefined;
    },
    put(key, value) {
      flush();
      if (value === undefined) abort('NOT_JSON', 'state.put needs a value (state.del deletes)');
      hostPut(q(key), boundaryJson(value, 'the state value'));
    },
    del(key) {
      flush();
      hostDel(q(key));
    },
    scan(prefix, options) {
      flush();
      const o = options === undefined || options === null ? {} : options;
      return parseJson(hostScan(q(prefix === undefined ? '' : prefix), q(o.after), o.limit));
    },
  });
  const ctx = freeze({
    contract: info.contract,
    caller: info.caller,
    origin: info.origin,
    roles,
    block: freeze({ height: info.height, timestampMs: info.timestampMs }),
    readOnly: info.readOnly,
    state,
    hasRole(role) {
      for (let i = 0; i < roles.length; i++) if (roles[i] === role) return true;
      return false;
    },
    emit(name, data) {
      flush();
      hostEmit(q(name), boundaryJson(data === undefined ? null : data, 'the event data'));
    },
    call(contract, method, args) {
      flush();
      const outcome = parseJson(hostCall(q(contract), q(method), boundaryJson(args === undefined ? null : args, 'the call arguments')));
      if (outcome.ok) return outcome.result;
      fail(outcome.code, outcome.message);
    },
    revert,
    require(condition, message) {
      if (!condition) revert(message);
    },
  });
  // ---- invoking a method --------------------------------------------------
  function cut(x) {
    const s = StringC(x);
    return s.length > MAX_MESSAGE ? apply(slice, s, [0, MAX_MESSAGE]) : s;
  }
  // [code, message] for what a method threw. The host accepts only contract-failure codes from here.
  function describe(e) {
    try {
      // QuickJS throws null when it cannot even allocate the "out of memory" error.
      if (e === null) return ['OUT_OF_MEMORY', 'out of memory'];
      if (e instanceof ErrorC) {
        const message = cut(e.message);
        if (typeof e.code === 'string') return [cut(e.code), message];
        const engine = (InternalErrorC !== undefined && e instanceof InternalErrorC) || e.name === 'SyntaxError';
        if (engine && message === 'out of memory') return ['OUT_OF_MEMORY', message];
        if (engine && message === 'stack overflow') return ['STACK_OVERFLOW', message];
        return ['CONTRACT_ERROR', cut(cut(e.name) + ': ' + message)];
      }
      return ['CONTRACT_ERROR', cut('threw ' + cut(e))];
    } catch (inner) {
      return ['CONTRACT_ERROR', 'threw a value that cannot be described'];
    }
  }
  return function invoke(namespace, method, argsText) {
    if (method === '') {
      // Deploy-time inspection (no user method can be named ''): the exported functions.
      const names = O.keys(namespace), methods = [];
      for (let i = 0; i < names.length; i++) if (typeof namespace[names[i]] === 'function') methods[methods.length] = names[i];
      return stringifyJson(methods);
    }
    const fn = namespace[method];
    if (typeof fn !== 'function') {
      failWith('METHOD_NOT_FOUND', 'the contract exports no function "' + method + '"');
      return undefined;
    }
    let text;
    try {
      const result = apply(fn, undefined, [ctx, parseJson(argsText)]);
      if (result instanceof PromiseC) {
        abort('ASYNC_NOT_SUPPORTED', 'method "' + method + '" returned a Promise; contract methods are synchronous');
      }
      text = result === undefined ? 'null' : boundaryJson(result, 'the return value');
    } catch (e) {
      const described = describe(e);
      flush();
      failWith(described[0], described[1]);
      return undefined;
    }
    flush();
    return text;
  };
})`;

/**
 * What is evaluated: the text above without indentation, blank lines and comment lines (parsing
 * costs about a microsecond per ten bytes here, on every activation). A fixed function of the text,
 * so every validator evaluates the same bytes.
 */
export const PRELUDE_SOURCE = PRELUDE_TEXT.split('\n')
  .map((line) => line.trimStart())
  .filter((line) => line.length > 0 && !line.startsWith('//'))
  .join('\n');
