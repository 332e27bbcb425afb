/**
 * Loading the QuickJS engine (bellard/quickjs 2025-09-13, compiled to WebAssembly by
 * quickjs-emscripten's `release-sync` variant).
 *
 * The WebAssembly *module* is compiled once per process and cached. Every
 * `newEngineInstance()` instantiates it afresh with its own linear memory, whose
 * maximum is SANDBOX_MEMORY_MAX_BYTES: that maximum is the sandbox's hard memory
 * cap (an allocation past it fails inside QuickJS as "out of memory").
 *
 * Why a fresh instance, and why one per block: the C allocator inside the
 * instance carves the linear memory up according to everything allocated and
 * freed before, so *whether* an allocation near the cap succeeds depends on the
 * instance's history. Two validators agree on it only if their instances saw the
 * same history: a fresh instance per block, used for that block's calls in block
 * order, gives every validator (including one that just restarted) the same one.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from 'quickjs-emscripten';
import { SANDBOX_MEMORY_MAX_BYTES } from './limits.ts';

const WASM_PAGE_BYTES = 64 * 1024;
/** The release build's memory import requires at least this much initial memory. */
const INITIAL_MEMORY_BYTES = 16 * 1024 * 1024;

let compiled: Promise<WebAssembly.Module> | undefined;

/** The compiled QuickJS WebAssembly module, shared by every instance in this process. */
export function compiledEngine(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const require = createRequire(import.meta.url);
    // `@jitl/quickjs-wasmfile-release-sync` is the variant package RELEASE_SYNC comes from.
    const path = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
    return WebAssembly.compile(await readFile(path));
  })();
  return compiled;
}

/** A fresh QuickJS instance with its own linear memory capped at `maxMemoryBytes`. */
export async function newEngineInstance(
  maxMemoryBytes = SANDBOX_MEMORY_MAX_BYTES,
): Promise<QuickJSWASMModule> {
  const wasmModule = await compiledEngine();
  const wasmMemory = new WebAssembly.Memory({
    initial: INITIAL_MEMORY_BYTES / WASM_PAGE_BYTES,
    maximum: Math.max(INITIAL_MEMORY_BYTES, maxMemoryBytes) / WASM_PAGE_BYTES,
  });
  return newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmModule, wasmMemory }));
}
