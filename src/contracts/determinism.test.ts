/**
 * Replicas: independent sandboxes (each its own QuickJS instance) and hosts,
 * fed the same calls, must produce byte-identical receipts and state digests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { receiptDigest } from './memory-host.ts';
import { contextOf, type Replica, replicas, run } from './testing.ts';
import type { JsonValue } from './types.ts';

const KV = `
export function put(ctx, a) { ctx.state.put(a.k, a.v); ctx.emit('put', a); }
export function del(ctx, a) { ctx.state.del(a.k); }
export function sum(ctx, a) {
  let s = 0;
  for (const e of ctx.state.scan(a.p, { limit: 100 })) s += typeof e.value === 'number' ? e.value : 0;
  return s;
}
export function burn(ctx, a) { let x = 0; for (let i = 0; i < a.n; i++) x = (x * 31 + i) % 1000003; return x; }
export function fail(ctx, a) { ctx.state.put(a.k, 1); ctx.emit('never'); ctx.revert('refused ' + a.k); }
export function relay(ctx, a) { ctx.state.put('relay', a.k); return ctx.call('counter', 'count', a); }
export function numbers(ctx, a) {
  return [Math.sqrt(a.n), Math.sin(a.n), Math.exp(a.n / 7), (a.n / 3).toFixed(5), String(0.1 + 0.2), 2 ** 53 + a.n];
}
export function sorted(ctx, a) { return [...a.xs].sort((x, y) => x - y).concat(Object.keys({ b: 1, a: 2, 1: 3 })); }
export function junk(ctx) { Object.prototype.junk = 1; for (;;) {} }
`;
const COUNTER = `export function count(ctx) { const n = (ctx.state.get('n') ?? 0) + 1; ctx.state.put('n', n); return n; }`;

const key = fc.constantFrom('a', 'b', 'a/1', 'a/2', 'b/1', '键');
const op = fc.oneof(
  fc.record({
    method: fc.constant('put'),
    args: fc.record({ k: key, v: fc.oneof(fc.integer(), fc.string(), fc.boolean()) }),
  }),
  fc.record({ method: fc.constant('del'), args: fc.record({ k: key }) }),
  fc.record({ method: fc.constant('sum'), args: fc.record({ p: fc.constantFrom('', 'a', 'a/', 'b') }) }),
  fc.record({ method: fc.constant('burn'), args: fc.record({ n: fc.integer({ min: 0, max: 60_000 }) }) }),
  fc.record({ method: fc.constant('fail'), args: fc.record({ k: key }) }),
  fc.record({ method: fc.constant('relay'), args: fc.record({ k: key }) }),
  fc.record({
    method: fc.constant('numbers'),
    args: fc.record({ n: fc.integer({ min: -1000, max: 1000 }) }),
  }),
  fc.record({
    method: fc.constant('sorted'),
    args: fc.record({ xs: fc.array(fc.integer(), { maxLength: 20 }) }),
  }),
);

async function replay(set: Replica[], ops: Array<{ method: string; args: JsonValue }>): Promise<string[][]> {
  const perReplica: string[][] = [];
  for (const replica of set) {
    const digests: string[] = [];
    for (const [i, { method, args }] of ops.entries()) {
      const receipt = await run(
        replica,
        'kv',
        method,
        args,
        contextOf(undefined, [], 100 + i, 1_700_000_000_000 + i),
      );
      digests.push(receiptDigest(receipt));
    }
    digests.push(replica.host.stateDigest());
    perReplica.push(digests);
  }
  return perReplica;
}

describe('determinism across replicas', () => {
  it('gives identical receipts and state digests on independent sandboxes, whatever ran before', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 6 }), async (ops) => {
        const set = await replicas(3, { kv: KV, counter: COUNTER });
        // One replica has a history: a hostile call ran on its sandbox first (and its receipt was dropped).
        await set[2]!.sandbox.call(set[2]!.host, {
          contract: 'kv',
          method: 'junk',
          context: contextOf(),
          gasLimit: 100_000,
        });
        const [a, b, c] = await replay(set, ops);
        expect(b).toEqual(a);
        expect(c).toEqual(a);
      }),
      { numRuns: 15 },
    );
  });

  it('keeps a replica that re-executes on a fresh sandbox in step with one that did not restart', async () => {
    const ops: Array<{ method: string; args: JsonValue }> = [
      { method: 'put', args: { k: 'a/1', v: 5 } },
      { method: 'relay', args: { k: 'b' } },
      { method: 'burn', args: { n: 50_000 } },
      { method: 'fail', args: { k: 'a/2' } },
      { method: 'sum', args: { p: 'a/' } },
    ];
    const [long, restarted] = await replicas(2, { kv: KV, counter: COUNTER });
    const full = await replay([long!], ops);
    // The restarted replica replays the same calls on a new sandbox halfway through.
    const first = await replay([restarted!], ops.slice(0, 2));
    const [fresh] = await replicas(1, { kv: KV, counter: COUNTER });
    const second = await replay([{ sandbox: fresh!.sandbox, host: restarted!.host }], ops.slice(2));
    expect(restarted!.host.stateDigest()).toBe(long!.host.stateDigest());
    expect([...first[0]!.slice(0, 2), ...second[0]!.slice(0, 3)]).toEqual(full[0]!.slice(0, 5));
  });
});
