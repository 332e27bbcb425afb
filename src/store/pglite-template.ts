/**
 * New PGlite databases start as a copy of a pristine one instead of running initdb.
 *
 * PGlite's initdb costs about 2.7 s of CPU on the calling thread (measured on the 2-core dev
 * machine; opening an existing database, or a copy of one, about 0.2 s). A devnet's four
 * validators each create a record store at the first anchoring block, which stalled consensus for
 * seconds. The pristine database is made once per PGlite version (in the OS temp directory by
 * default), cleanly closed, and copied like a cold backup.
 *
 * Contract: `seedFromTemplate(dir)` fills `dir` only when it is empty (but for named files such
 * as the store's lock); it never touches an existing database. The template is published by an atomic rename, so
 * processes that race to make it each get a complete one. Any failure to make or copy it is
 * reported as `false`, and the caller lets PGlite run initdb as before.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/** The installed PGlite's version: a template is only ever copied into the same version. */
function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  // The package does not export its package.json; its entry point lives in <package>/dist.
  const root = dirname(dirname(require.resolve('@electric-sql/pglite')));
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where the pristine database of the installed PGlite version is kept by default. */
export function defaultTemplateDir(): string {
  return join(tmpdir(), `meridian-pglite-template-${pgliteVersion()}`);
}

function holdsDatabase(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

async function makeTemplate(templateDir: string): Promise<void> {
  const building = mkdtempSync(`${templateDir}-building-`);
  try {
    const db = await PGlite.create(building);
    await db.close();
    try {
      renameSync(building, templateDir);
    } catch (error) {
      // Another process published its template first: use that one.
      if (!holdsDatabase(templateDir)) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

/**
 * Copies the pristine database into `dataDir` if `dataDir` is missing or holds nothing but the
 * files named in `ignore` (making the template first if needed). Returns whether `dataDir` now
 * holds the copy; on `false` it is as it was.
 */
export async function seedFromTemplate(
  dataDir: string,
  options: { ignore?: readonly string[]; templateDir?: string } = {},
): Promise<boolean> {
  const ignore = new Set(options.ignore ?? []);
  if (existsSync(dataDir) && readdirSync(dataDir).some((name) => !ignore.has(name))) return false;
  const templateDir = options.templateDir ?? defaultTemplateDir();
  try {
    if (!holdsDatabase(templateDir)) await makeTemplate(templateDir);
    cpSync(templateDir, dataDir, { recursive: true });
    return true;
  } catch {
    if (existsSync(templateDir)) {
      for (const name of readdirSync(templateDir))
        rmSync(join(dataDir, name), { recursive: true, force: true });
    }
    return false;
  }
}
