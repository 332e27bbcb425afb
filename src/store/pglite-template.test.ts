import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgliteSqlStore } from './pglite-sql.ts';
import { seedFromTemplate } from './pglite-template.ts';

const root = mkdtempSync(join(tmpdir(), 'meridian-pglite-template-test-'));
const templateDir = join(root, 'template');

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('PGlite template', () => {
  it('makes the pristine database once, then seeds every empty directory from it', async () => {
    const first = join(root, 'first');
    expect(await seedFromTemplate(first, { templateDir })).toBe(true);
    expect(existsSync(join(first, 'PG_VERSION'))).toBe(true);
    // A file added to the template shows up in the next copy: it was copied, not made again.
    writeFileSync(join(templateDir, 'copied-from-template'), '');
    const second = join(root, 'second');
    mkdirSync(second);
    writeFileSync(join(second, 'meridian.lock'), '1');
    expect(await seedFromTemplate(second, { templateDir, ignore: ['meridian.lock'] })).toBe(true);
    expect(existsSync(join(second, 'copied-from-template'))).toBe(true);
    expect(readdirSync(templateDir).filter((n) => n.includes('building'))).toEqual([]);
  }, 60_000);

  it('never touches a directory that holds anything else', async () => {
    const used = join(root, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'notes.txt'), 'mine');
    expect(await seedFromTemplate(used, { templateDir })).toBe(false);
    expect(readdirSync(used)).toEqual(['notes.txt']);
  });

  it('reports false and leaves the directory empty when no template can be made', async () => {
    const blocker = join(root, 'a-file');
    writeFileSync(blocker, '');
    const target = join(root, 'target');
    expect(await seedFromTemplate(target, { templateDir: join(blocker, 'template') })).toBe(false);
    expect(existsSync(join(target, 'PG_VERSION'))).toBe(false);
  });

  it('gives each new store a pristine database, whatever earlier stores wrote', async () => {
    const a = await openPgliteSqlStore({ dataDir: join(root, 'store-a') });
    await a.exec('CREATE TABLE only_in_a (x integer)');
    await a.close();
    const b = await openPgliteSqlStore({ dataDir: join(root, 'store-b') });
    try {
      const rows = await b.query<{ n: number }>(
        "SELECT count(*)::integer AS n FROM pg_tables WHERE tablename = 'only_in_a'",
      );
      expect(rows[0]!.n).toBe(0);
    } finally {
      await b.close();
    }
  }, 60_000);
});
