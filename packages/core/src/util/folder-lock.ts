import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidInputError } from '@repscope/models';
import { readJsonObjectIfAny } from './read-json';

/** The lock's file name; folders that hold one are being written by a live process. */
export const LOCK_FILE = '.repscope.lock';

export interface LockOwner {
  pid: number;
  host: string;
  purpose: string;
  since: string;
}

export interface FolderLock {
  readonly file: string;
  release(): void;
}

/**
 * One writer per folder (a run, a sweep): a second `repscope` pointed at a folder another
 * process is writing would otherwise clear or interleave its files. The lock file names the
 * owner's pid and host; it is stale — and taken over — only when that host is this one and
 * the pid is gone. A lock from another host (a shared filesystem) is never guessed stale.
 */
export function acquireFolderLock(dir: string, purpose: string): FolderLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), purpose, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
      return ownLock(file, me);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    if (owner && !isStale(owner)) {
      throw new InvalidInputError(
        `${dir} is in use by another repscope process (${owner.purpose}, pid ${owner.pid} on ${owner.host} since ${owner.since}); ` +
          `wait for it, choose another --out, or delete ${file} if that process is gone`,
        'E_FOLDER_BUSY',
      );
    }
    // Stale or unreadable (a writer died between create and write): take it over. Removing
    // and re-creating with 'wx' keeps two processes that both saw it stale from both winning.
    fs.rmSync(file, { force: true });
  }
  throw new InvalidInputError(`${dir}: could not take the folder lock ${file} (contended); try again`, 'E_FOLDER_BUSY');
}

/**
 * Who holds a folder's lock, if anyone: `live` is false only when the owner is provably gone
 * (this host, pid not running); a lock from another host is assumed live.
 */
export function folderLockHolder(dir: string): (LockOwner & { live: boolean }) | undefined {
  const owner = readOwner(path.join(dir, LOCK_FILE));
  return owner ? { ...owner, live: !isStale(owner) || owner.pid === process.pid } : undefined;
}

function ownLock(file: string, me: LockOwner): FolderLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const owner = readOwner(file);
    if (owner && owner.pid === me.pid && owner.host === me.host) fs.rmSync(file, { force: true });
  };
  // A crash still releases it where Node gets to run 'exit'; a SIGKILL leaves it, and the
  // pid check above makes it stale.
  process.on('exit', release);
  return { file, release };
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const parsed = (readJsonObjectIfAny(file) ?? {}) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, purpose: String(parsed.purpose ?? 'unknown'), since: String(parsed.since ?? '?') };
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
