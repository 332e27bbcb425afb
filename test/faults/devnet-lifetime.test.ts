/**
 * `meridian devnet` killed outright (kill -9: a crashed terminal, test worker or benchmark) must
 * not leave its validators running: they hold ports and CPU, and skewed benchmarks here before.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortBlock } from '../../src/net/free-ports.ts';
import { eventually } from '../support/devnet.ts';

const BIN = resolve(import.meta.dirname, '../../bin/meridian.js');
const dir = mkdtempSync(join(tmpdir(), 'meridian-devnet-lifetime-'));
let devnet: ChildProcess | undefined;

/** PIDs of the validator processes of this devnet directory. */
function validators(): number[] {
  try {
    return execFileSync('pgrep', ['-f', `node start --dir ${dir}/`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The last lines each validator logged, to tell from a failure where a validator got stuck. */
function lastLogLines(): string {
  return [0, 1, 2, 3]
    .map((i) => {
      const file = join(dir, `validator-${i}`, 'node.log');
      const lines = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-4) : [];
      return `validator-${i}:\n  ${lines.join('\n  ')}`;
    })
    .join('\n');
}

afterAll(() => {
  devnet?.kill('SIGKILL');
  for (const pid of validators()) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('devnet lifetime', () => {
  it('its validators stop when the devnet process is killed with SIGKILL', async () => {
    const base = await freePortBlock(14);
    devnet = spawn(
      process.execPath,
      [
        BIN,
        'devnet',
        '--dir',
        dir,
        '--p2p-port',
        String(base),
        '--api-port',
        String(base + 10),
        '--no-console',
      ],
      { stdio: 'ignore' },
    );
    // Up and serving (a process killed while its loader is still compiling modules is another matter).
    await eventually(
      async () => {
        const answers = await Promise.all(
          [0, 1, 2, 3].map((i) =>
            fetch(`http://127.0.0.1:${base + 10 + i}/v1/status`).then(
              (r) => r.ok,
              () => false,
            ),
          ),
        );
        return answers.every(Boolean) ? true : undefined;
      },
      90_000,
      'four validators serving',
    );
    expect(validators()).toHaveLength(4);
    devnet.kill('SIGKILL');
    try {
      await eventually(
        async () => (validators().length === 0 ? true : undefined),
        20_000,
        'validators to stop',
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${lastLogLines()}`);
    }
    expect(validators()).toEqual([]);
  }, 150_000);
});
