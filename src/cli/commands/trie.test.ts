import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/meridian.js', import.meta.url));
const VECTORS = new URL('../../../test/vectors/ethereum-trie/trietest.json', import.meta.url);

function meridian(args: string[], input: string) {
  return spawnSync(process.execPath, [BIN, 'trie', ...args], { input, encoding: 'utf8', timeout: 60_000 });
}

describe('meridian trie (spawned)', () => {
  it('root: prints the Ethereum root of the entries on stdin (null deletes)', () => {
    const vector = JSON.parse(readFileSync(VECTORS, 'utf8')).emptyValues;
    const run = meridian(['root'], JSON.stringify(vector.in));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(vector.root);
  });

  it('prove --prefix then verify: valid with the entries, invalid (exit 1) once an entry is altered', () => {
    const entries = JSON.stringify([
      ['http://example.com/resource/dataset_7', '0x01'],
      ['http://example.com/resource/dataset_7/feature_1', '0x02'],
      ['http://example.com/resource/dataset_8', '0x03'],
    ]);
    const root = meridian(['root'], entries).stdout.trim();
    const prove = meridian(['prove', '--prefix', 'http://example.com/resource/dataset_7'], entries);
    expect(prove.status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'meridian-trie-'));
    const file = join(dir, 'proof.json');
    writeFileSync(file, prove.stdout);
    const ok = meridian(
      ['verify', root, '--prefix', 'http://example.com/resource/dataset_7', '--proof', file],
      '',
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^valid: 2 entries/);
    const proof = JSON.parse(prove.stdout);
    proof.entries[1][1] = '0x09';
    const bad = meridian(
      ['verify', root, '--prefix', 'http://example.com/resource/dataset_7'],
      JSON.stringify(proof),
    );
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^invalid: .*altered, dropped or added/);
  });
});
