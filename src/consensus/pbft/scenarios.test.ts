/**
 * Runs every script in `testdata/` (etcd raft's datadriven habit): each
 * command's output must equal the text under its `----`. `check` commands
 * assert on their own. `REWRITE=1 npx vitest run src/consensus/pbft/scenarios`
 * rewrites the expected outputs (read the diff before committing it).
 */

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, rewriteScenario, ScenarioHarness } from '../sim/scenario.ts';

const dir = join(import.meta.dirname, 'testdata');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('PBFT scenario scripts', () => {
  for (const file of files) {
    it(file.replace(/\.txt$/, ''), () => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const harness = new ScenarioHarness();
      const outputs = new Map<number, string>();
      for (const block of parseScenario(text)) {
        let actual: string;
        try {
          actual = harness.run(block.command);
        } catch (error) {
          throw new Error(`${file}:${block.line} ${block.command}\n${(error as Error).message}`);
        }
        outputs.set(block.line, actual);
        if (!process.env.REWRITE) {
          expect(actual, `${file}:${block.line} ${block.command}`).toBe(block.expected);
        }
      }
      if (process.env.REWRITE) writeFileSync(path, rewriteScenario(text, outputs));
    });
  }
});
