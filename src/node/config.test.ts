import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNodeConfig } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'meridian-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  name: 'n',
  keyFile: 'key.json',
  genesisFile: 'genesis.json',
  chainDir: 'chain',
  p2p: { host: '127.0.0.1', port: 1 },
  api: { host: '127.0.0.1', port: 2 },
};

function load(extra: Record<string, unknown>) {
  const path = join(dir, 'node.json');
  writeFileSync(path, JSON.stringify({ ...base, ...extra }));
  return loadNodeConfig(path);
}

describe('node.json sql (off-chain records)', () => {
  it('is absent by default (the node then uses PGlite under its directory)', () => {
    expect(load({}).sql).toBeUndefined();
  });

  it('takes PGlite with a data directory relative to the node directory, or a PostgreSQL server', () => {
    expect(load({ sql: { kind: 'pglite', dataDir: 'db' } }).sql).toEqual({
      kind: 'pglite',
      dataDir: join(dir, 'db'),
    });
    expect(
      load({ sql: { kind: 'postgres', connectionString: 'postgres://u@h/d', schema: 'node_1' } }).sql,
    ).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@h/d',
      schema: 'node_1',
    });
  });

  it('refuses anything else with CONFIG_INVALID', () => {
    for (const sql of [
      { kind: 'sqlite', dataDir: 'x' },
      { kind: 'pglite' },
      { kind: 'pglite', dataDir: 'x', extra: 1 },
      { kind: 'postgres', connectionString: '' },
      'postgres://u@h/d',
      null,
    ]) {
      expect(() => load({ sql })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});

describe('node.json p2pCompressMinBytes (message compression)', () => {
  it('defaults to compressing payloads of 4 KiB and more, and takes 0 for off', () => {
    expect(load({}).p2pCompressMinBytes).toBe(4096);
    expect(load({ p2pCompressMinBytes: 0 }).p2pCompressMinBytes).toBe(0);
    expect(load({ p2pCompressMinBytes: 65_536 }).p2pCompressMinBytes).toBe(65_536);
  });

  it('refuses anything but a non-negative integer with CONFIG_INVALID', () => {
    for (const p2pCompressMinBytes of [-1, 1.5, '4096', true, null]) {
      expect(() => load({ p2pCompressMinBytes })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });
});
