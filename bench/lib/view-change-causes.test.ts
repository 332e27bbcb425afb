import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { viewChangeCauses } from './view-change-causes.ts';

const dir = mkdtempSync(join(tmpdir(), 'meridian-vc-causes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('viewChangeCauses', () => {
  it('reads every "view change started" line of every log, oldest first, skipping the rest', () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    writeFileSync(
      a,
      [
        'validator-0 listening: api http://127.0.0.1:1, p2p port 2',
        JSON.stringify({
          level: 40,
          time: 300,
          view: 2,
          cause: 'peers moved to a higher view',
          msg: 'view change started',
        }),
        JSON.stringify({ level: 30, time: 310, view: 2, msg: 'new view installed' }),
        '{"msg":"view change started", truncated by a crash',
      ].join('\n'),
    );
    writeFileSync(
      b,
      JSON.stringify({
        level: 40,
        time: 100,
        view: 1,
        cause: 'primaryTimeout timer',
        msg: 'view change started',
      }),
    );
    expect(
      viewChangeCauses([
        { node: 'validator-0', file: a },
        { node: 'validator-1', file: b },
        { node: 'validator-2', file: join(dir, 'missing.log') },
      ]),
    ).toEqual([
      { node: 'validator-1', view: 1, cause: 'primaryTimeout timer', atMs: 100 },
      { node: 'validator-0', view: 2, cause: 'peers moved to a higher view', atMs: 300 },
    ]);
  });
});
