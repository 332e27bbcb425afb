/**
 * Every bound the contract sandbox enforces, in one place. Each is listed in
 * docs/limits.md. Changing a value changes consensus (a call that fitted may no
 * longer fit): do it only at a network upgrade, never on one validator alone.
 */

// ---- gas -------------------------------------------------------------------

/** Gas a call gets when the transaction names none. */
export const DEFAULT_GAS_LIMIT = 2_000_000;
/** The most gas one top-level call (with all its nested calls) may be given. */
export const MAX_GAS_LIMIT = 20_000_000;

// ---- memory and stack ------------------------------------------------------

/**
 * QuickJS's own allocation limit for one top-level call (all nested calls share it). In this WASM
 * build QuickJS cannot see block sizes, so it counts 8 bytes per live allocation plus the size of
 * the allocation being made: it bounds the number of live objects and the size of any one block.
 */
export const MEMORY_LIMIT_BYTES = 16 * 1024 * 1024;
/**
 * The hard memory cap: the WebAssembly memory of one sandbox instance may not grow past this. The
 * engine's static data and C stack take about 7 MiB of it; what remains is what a call can really
 * allocate (an allocation past it fails with OUT_OF_MEMORY).
 */
export const SANDBOX_MEMORY_MAX_BYTES = 64 * 1024 * 1024;
/**
 * The QuickJS stack budget of a top-level call, shared by its nested calls (about 180 frames of
 * plain recursion). Kept small so that QuickJS reports the overflow well before the host's own
 * native stack could run out (measured margin: 6x or more on every recursion path tested).
 */
export const MAX_STACK_BYTES = 32 * 1024;
/** The stack budget for parsing a contract's code (bounds nesting depth in the source). */
export const MAX_PARSE_STACK_BYTES = 8 * 1024;

// ---- code ------------------------------------------------------------------

/** TypeScript/JavaScript source given to `compileContract`. */
export const MAX_SOURCE_BYTES = 512 * 1024;
/** Deployed JavaScript (the artefact whose SHA-256 is the code hash). */
export const MAX_CODE_BYTES = 256 * 1024;
/** Contract names: `[a-z][a-z0-9-]*`, so a name never contains `/` or `:`. */
export const MAX_CONTRACT_NAME_BYTES = 32;
/** Method names: a JavaScript identifier. */
export const MAX_METHOD_NAME_BYTES = 64;

// ---- call inputs -----------------------------------------------------------

/** Canonical JSON of a call's arguments (top-level or nested). */
export const MAX_ARGS_BYTES = 16 * 1024;
/** The caller's identity (0x-hex public key, or `contract:<name>`). */
export const MAX_CALLER_BYTES = 256;
/** Roles one caller may carry into a call. */
export const MAX_ROLES = 32;
/** One role name. */
export const MAX_ROLE_BYTES = 64;
/** Nesting of contract calls, the top-level call included. */
export const MAX_CALL_DEPTH = 8;

// ---- state -----------------------------------------------------------------

/** One state key (UTF-8). */
export const MAX_STATE_KEY_BYTES = 256;
/** Canonical JSON of one state value. */
export const MAX_STATE_VALUE_BYTES = 16 * 1024;
/** Distinct keys one top-level call may write or delete (all contracts together). */
export const MAX_WRITES_PER_CALL = 256;
/** Entries one `state.scan` may return. */
export const MAX_SCAN_LIMIT = 100;
/** Nesting depth of any JSON value crossing the sandbox boundary (args, state, events, results). */
export const MAX_JSON_DEPTH = 64;

// ---- outputs ---------------------------------------------------------------

/** One event name. */
export const MAX_EVENT_NAME_BYTES = 64;
/** Canonical JSON of one event's data. */
export const MAX_EVENT_DATA_BYTES = 4 * 1024;
/** Events one top-level call may emit (all contracts together). */
export const MAX_EVENTS_PER_CALL = 64;
/** Canonical JSON of a method's return value. */
export const MAX_RETURN_BYTES = 64 * 1024;
/** Error messages in receipts are cut to this many bytes. */
export const MAX_ERROR_MESSAGE_BYTES = 512;
