import * as fs from 'node:fs';
import * as os from 'node:os';

/** A lock whose owner stopped refreshing it for this long is dead (another host, a SIGKILL). */
const STALE_AFTER_MS = 120_000;
const HEARTBEAT_MS = 20_000;
const POLL_MS = 200;

interface Owner {
  pid: number;
  host: string;
}

export interface BlobLock {
  release(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One downloader per blob across processes and hosts sharing the cache (a `--jobs 4` sweep,
 * cluster tasks on one filesystem): the others wait, then find the finished blob. The owner
 * touches the lock while it works; a lock left by a dead process on this host, or not touched
 * for two minutes, is taken over.
 */
export async function acquireBlobLock(file: string, onWait: (owner: string) => void = () => {}): Promise<BlobLock> {
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, host: os.hostname() }) + '\n', { flag: 'wx' });
      return holdLock(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    if (isStale(file, owner)) {
      // Rename first: of two processes that both judged it stale, only one removes it.
      const doomed = `${file}.${process.pid}.stale`;
      try {
        fs.renameSync(file, doomed);
        fs.rmSync(doomed, { force: true });
      } catch {
        /* someone else took it over */
      }
      continue;
    }
    if (!announced) {
      onWait(owner ? `pid ${owner.pid} on ${owner.host}` : 'another process');
      announced = true;
    }
    await sleep(POLL_MS);
  }
}

function holdLock(file: string): BlobLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
    } catch {
      /* released under us; the rename in the caller will still be atomic */
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const release = (): void => {
    clearInterval(heartbeat);
    process.removeListener('exit', release);
    const owner = readOwner(file);
    if (owner && owner.pid === process.pid && owner.host === os.hostname()) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { release };
}

function readOwner(file: string): Owner | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Owner>;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? { pid: parsed.pid, host: parsed.host } : undefined;
  } catch {
    return undefined;
  }
}

function isStale(file: string, owner: Owner | undefined): boolean {
  let age: number;
  try {
    age = Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return false; // gone already: the next attempt creates it
  }
  if (age > STALE_AFTER_MS) return true;
  if (!owner) return age > 2_000; // a writer that died between create and write
  if (owner.host !== os.hostname() || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
