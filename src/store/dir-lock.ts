import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StoreError } from '../errors.ts';

/**
 * One process at a time per data directory. lmdb itself lets several processes
 * share an environment, and PGlite has no lock at all; two Meridian nodes writing
 * one directory would corrupt each other's chain, so stores take this lock.
 *
 * The lock is a file holding the owner's pid, created atomically (written to a
 * private temp file, then hard-linked into place, which fails if it exists). A
 * lock whose pid is not alive is stale (the owner crashed or was killed) and is
 * taken over. Known gap: if two processes find the same stale lock at the same
 * instant, both may take it over; it needs a crash and a simultaneous double
 * start.
 */

const heldByThisProcess = new Set<string>();

export interface DirectoryLock {
  readonly lockFile: string;
  /** Removes the lock file. Idempotent. */
  release(): void;
}

/**
 * Takes the lock on `lockFile`, which must sit in an existing directory. Throws
 * `STORE_LOCKED` if a live process (this one included) holds it, `STORE_OPEN_FAILED`
 * if the file cannot be written.
 */
export function lockFile(lockFile: string, what: string): DirectoryLock {
  const path = resolve(lockFile);
  if (heldByThisProcess.has(path)) throw lockedError(what, path, process.pid);
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    writeFileSync(temp, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    throw cannotWrite(what, path, error);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(temp, path);
        heldByThisProcess.add(path);
        return { lockFile: path, release: () => release(path) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotWrite(what, path, error);
      }
      const owner = readOwner(path);
      // Our own pid without an entry in heldByThisProcess: a previous process had our pid (containers).
      if (owner !== undefined && owner !== process.pid && isAlive(owner))
        throw lockedError(what, path, owner);
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(what, path, error);
      }
    }
    throw lockedError(what, path, readOwner(path));
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone; nothing else to clean.
    }
  }
}

/** The lock file `lockDirectory` takes in a directory. */
export const LOCK_FILE_NAME = 'meridian.lock';

/** `lockFile` on `<dir>/meridian.lock`. */
export function lockDirectory(dir: string, what: string): DirectoryLock {
  return lockFile(join(dir, LOCK_FILE_NAME), what);
}

function release(path: string): void {
  if (!heldByThisProcess.delete(path)) return;
  try {
    if (readOwner(path) === process.pid) unlinkSync(path);
  } catch {
    // The file went away (someone removed the directory); the lock is released either way.
  }
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(what: string, path: string, owner: number | undefined): StoreError {
  const by =
    owner === process.pid ? 'this process' : owner === undefined ? 'another process' : `process ${owner}`;
  return new StoreError('STORE_LOCKED', `${what} is already open in ${by} (lock file ${path})`, {
    hint:
      owner === process.pid
        ? 'close the store you already opened on this directory, or share that instance'
        : 'stop the other Meridian process using this data directory, or point this one at another directory',
    details: { lockFile: path, ...(owner === undefined ? {} : { pid: owner }) },
  });
}

function cannotWrite(what: string, path: string, error: unknown): StoreError {
  const code = (error as NodeJS.ErrnoException).code;
  return new StoreError(
    'STORE_OPEN_FAILED',
    `cannot create the lock file for ${what} at ${path} (${code ?? error})`,
    {
      hint: 'check that the data directory exists, is a directory, and is writable by this user',
      details: { lockFile: path, ...(code === undefined ? {} : { errno: code }) },
      cause: error,
    },
  );
}
