/**
 * Measures the sandbox: `npx tsx src/contracts/measure.ts`. Prints what a call
 * costs (gas and wall time), what instantiation costs, and where the time of a
 * call goes, comparing a fresh runtime per call (what the sandbox does) with a
 * runtime reused across calls. Wall times depend on the machine and its load;
 * gas does not.
 */
import { readFileSync } from 'node:fs';
import { DefaultIntrinsics } from 'quickjs-emscripten';
import { compileContract } from './compile.ts';
import { compiledEngine, newEngineInstance } from './engine.ts';
import { MemoryContractHost } from './memory-host.ts';
import { PRELUDE_HOST_FUNCTIONS, PRELUDE_SOURCE } from './prelude.ts';
import { ContractSandbox } from './sandbox.ts';
import type { CallRequest } from './types.ts';

const TOKEN = `
export function transfer(ctx, args) {
  const from = ctx.state.get('balance/' + ctx.caller) ?? 1000000;
  const to = ctx.state.get('balance/' + args.to) ?? 0;
  ctx.require(from >= args.amount, 'insufficient balance');
  ctx.state.put('balance/' + ctx.caller, from - args.amount);
  ctx.state.put('balance/' + args.to, to + args.amount);
  ctx.emit('Transfer', { from: ctx.caller, to: args.to, amount: args.amount });
  return from - args.amount;
}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time, and mean CPU time (what one uncontended core spends), per call. */
async function timeCalls(
  sandbox: ContractSandbox,
  host: MemoryContractHost,
  make: (i: number) => CallRequest,
  n: number,
) {
  const times: number[] = [];
  let gas = 0;
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const receipt = await sandbox.call(host, make(i));
    times.push(performance.now() - start);
    if (receipt.status !== 'ok') throw new Error(`${receipt.error?.code}: ${receipt.error?.message}`);
    host.apply(receipt);
    gas = receipt.gasUsed;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { medianMs: median(times), cpuMs: (cpu.user + cpu.system) / 1000 / n, gas };
}

const rows: Array<[string, string]> = [];
const row = (what: string, value: string) => {
  rows.push([what, value]);
  console.log(`${what.padEnd(58)} ${value}`);
};

let start = performance.now();
await compiledEngine();
row(
  'compile the QuickJS WebAssembly module (once per process)',
  `${(performance.now() - start).toFixed(1)} ms`,
);

const instances: number[] = [];
for (let i = 0; i < 20; i++) {
  start = performance.now();
  await ContractSandbox.create();
  instances.push(performance.now() - start);
}
row('new sandbox = new WebAssembly instance (once per block)', `${median(instances).toFixed(2)} ms`);

const context = { caller: `0x${'a1'.repeat(32)}`, roles: [], height: 1, timestampMs: 1_700_000_000_000 };
const sandbox = await ContractSandbox.create();
const host = new MemoryContractHost();
host.deploy('token', TOKEN);
const transfer = (i: number): CallRequest => ({
  contract: 'token',
  method: 'transfer',
  args: { to: `0x${(i % 50).toString(16).padStart(64, '0')}`, amount: 1 },
  context,
});
await timeCalls(sandbox, host, transfer, 200); // warm-up: V8 tiers the engine's hot code up
const typical = await timeCalls(sandbox, host, transfer, 500);
row(
  'typical call: 2 reads, 2 writes, 1 event (token.transfer)',
  `${typical.medianMs.toFixed(3)} ms wall, ${typical.cpuMs.toFixed(3)} ms CPU, ${typical.gas} gas`,
);
row(
  '  calls per second on one core (wall / CPU)',
  `${Math.round(1000 / typical.medianMs)} / ${Math.round(1000 / typical.cpuMs)}`,
);

const agency = (
  await compileContract(
    readFileSync(new URL('../../examples/contracts/agency-approval.ts', import.meta.url), 'utf8'),
  )
).code;
host.deploy('agency-approval', agency);
const submit = (i: number): CallRequest => ({
  contract: 'agency-approval',
  method: 'submit',
  args: { projectName: `Project ${i}`, location: 'Wuchang', documentsHash: `0x${'ab'.repeat(32)}` },
  context,
});
const submits = await timeCalls(sandbox, host, submit, 200);
row(
  `agency-approval.submit (${agency.length} bytes of code)`,
  `${submits.medianMs.toFixed(3)} ms wall, ${submits.cpuMs.toFixed(3)} ms CPU, ${submits.gas} gas`,
);

// Where the time of one activation goes, with a runtime per call and with a reused runtime.
const engine = await newEngineInstance();
const intrinsics = { ...DefaultIntrinsics, Date: false, TypedArrays: false } as const;
const parts: Record<string, number[]> = {};
const lap = (name: string, since: number) => {
  parts[name] ??= [];
  parts[name].push(performance.now() - since);
  return performance.now();
};
const info = JSON.stringify({
  contract: 't',
  caller: 'c',
  origin: 'c',
  roles: [],
  height: 1,
  timestampMs: 1,
  readOnly: false,
});
const reused = engine.newRuntime();
for (let i = 0; i < 600; i++) {
  const fresh = i % 2 === 0;
  let t = performance.now();
  const runtime = fresh ? engine.newRuntime() : reused;
  runtime.setInterruptHandler(() => false);
  if (fresh) t = lap('runtime: create', t);
  const vm = runtime.newContext({ intrinsics });
  t = lap('context: create', t);
  const fns = PRELUDE_HOST_FUNCTIONS.map((name) => vm.newFunction(name, () => undefined));
  const prelude = vm.unwrapResult(vm.evalCode(PRELUDE_SOURCE, 'prelude', { type: 'global', strict: true }));
  t = lap(`prelude: parse (${PRELUDE_SOURCE.length} bytes)`, t);
  const infoHandle = vm.newString(info);
  const invoke = vm.unwrapResult(vm.callFunction(prelude, vm.undefined, ...fns, infoHandle));
  t = lap('prelude: run', t);
  const namespace = vm.unwrapResult(vm.evalCode(agency, 'contract', { type: 'module' }));
  t = lap(`contract: parse and load (${agency.length} bytes)`, t);
  for (const handle of [namespace, invoke, infoHandle, prelude, ...fns]) handle.dispose();
  vm.dispose();
  if (fresh) runtime.dispose();
  lap(fresh ? 'dispose context + runtime' : 'dispose context (runtime reused)', t);
}
reused.dispose();
for (const [name, times] of Object.entries(parts))
  row(`  ${name}`, `${median(times.slice(50)).toFixed(3)} ms`);
