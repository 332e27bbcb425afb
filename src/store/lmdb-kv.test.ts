import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../codec/bytes.ts';
import type { KvOp } from './kv.ts';
import { openLmdbKv } from './lmdb-kv.ts';

const root = mkdtempSync(join(tmpdir(), 'meridian-lmdb-'));
let counter = 0;
const freshDir = () => join(root, `db-${counter++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CHILD = fileURLToPath(new URL('./lmdb-kv.crash-child.ts', import.meta.url));
const KEYS_PER_BATCH = 64; // as in lmdb-kv.crash-child.ts

describe('LmdbKvStore', () => {
  it('keeps what was written across close and reopen', async () => {
    const dir = freshDir();
    const first = await openLmdbKv(dir);
    const ops: KvOp[] = [];
    for (let i = 0; i < 1000; i++)
      ops.push({ type: 'put', key: utf8(`key-${i}`), value: utf8(`value-${i}`) });
    await first.write(ops);
    await first.del(utf8('key-5'));
    await first.close();

    const second = await openLmdbKv(dir);
    expect(second.get(utf8('key-999'))).toEqual(utf8('value-999'));
    expect(second.has(utf8('key-5'))).toBe(false);
    expect([...second.iterate()].length).toBe(999);
    await second.close();
  });

  it('creates a missing directory, nested', async () => {
    const dir = join(freshDir(), 'a', 'b');
    const store = await openLmdbKv(dir);
    await store.put(utf8('k'), utf8('v'));
    await store.close();
  });

  it('refuses a second open of the same directory in this process with STORE_LOCKED, until the first closes', async () => {
    const dir = freshDir();
    const first = await openLmdbKv(dir);
    await expect(openLmdbKv(dir)).rejects.toMatchObject({ code: 'STORE_LOCKED', hint: expect.any(String) });
    await first.close();
    const again = await openLmdbKv(dir);
    await again.close();
  });

  it('refuses a path that runs through a file with STORE_OPEN_FAILED and a hint', async () => {
    const file = join(root, `file-${counter++}`);
    writeFileSync(file, 'not a directory');
    await expect(openLmdbKv(join(file, 'db'))).rejects.toMatchObject({
      code: 'STORE_OPEN_FAILED',
      hint: expect.stringContaining('directory'),
    });
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dir = freshDir();
    await (await openLmdbKv(dir)).close();
    // pid 2^22 + 1 is above Linux's default pid_max, so no live process has it.
    writeFileSync(join(dir, 'meridian.lock'), `${2 ** 22 + 1}\n`);
    const store = await openLmdbKv(dir);
    await store.close();
  });

  it('after SIGKILL mid-write, every reported batch is complete and no batch is partial', async () => {
    const dir = freshDir();
    let reported = -1;
    for (const killAfter of [15, 25, 40]) {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines = linesOf(child);
      const opened = await lines.next();
      expect(opened.value).toMatch(/^open \d+$/);
      // While the child holds the directory, we cannot open it.
      await expect(openLmdbKv(dir)).rejects.toMatchObject({
        code: 'STORE_LOCKED',
        details: { pid: child.pid },
      });
      let seenThisRound = 0;
      for await (const line of lines) {
        reported = Number(line);
        if (++seenThisRound >= killAfter) break;
      }
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const store = await openLmdbKv(dir); // the dead child's lock is stale
      const batches = new Map<number, number>();
      for (const [key, value] of store.iterate()) {
        if (key.length !== 6) continue;
        const batch = new DataView(key.buffer, key.byteOffset).getUint32(0);
        expect(value).toEqual(new Uint8Array(256).fill(batch & 0xff));
        batches.set(batch, (batches.get(batch) ?? 0) + 1);
      }
      const present = [...batches.keys()].sort((a, b) => a - b);
      const newest = present.at(-1)!;
      expect(present).toEqual(Array.from({ length: newest + 1 }, (_, i) => i)); // no gaps
      for (const [, count] of batches) expect(count).toBe(KEYS_PER_BATCH); // none partial
      expect(newest).toBeGreaterThanOrEqual(reported); // nothing reported is lost
      const last = store.get(utf8('last'))!;
      expect(new DataView(last.buffer, last.byteOffset).getUint32(0)).toBe(newest); // marker moved with its batch
      await store.close();
    }
  }, 120_000);
});

/** Lines of a child's stdout as an async iterator; fails with its stderr if it exits early. */
function linesOf(child: ChildProcess): AsyncIterableIterator<string> {
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const queue: string[] = [];
  let buffered = '';
  let waiting: ((result: IteratorResult<string>) => void) | undefined;
  let failing: ((error: Error) => void) | undefined;
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    queue.push(...parts);
    if (waiting && queue.length > 0) {
      const resolve = waiting;
      waiting = undefined;
      failing = undefined;
      resolve({ done: false, value: queue.shift()! });
    }
  });
  child.once('exit', (code, signal) => {
    if (failing && signal !== 'SIGKILL')
      failing(new Error(`crash child exited (${code ?? signal}): ${stderr}`));
  });
  const iterator: AsyncIterableIterator<string> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () =>
      queue.length > 0
        ? Promise.resolve({ done: false, value: queue.shift()! })
        : new Promise((resolve, reject) => {
            waiting = resolve;
            failing = reject;
          }),
    // Breaking out of for-await must not kill the child: the test does that itself.
    return: async () => ({ done: true, value: undefined }),
  };
  return iterator;
}
