import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PythonLock {
  release(): void;
}

/** How long to wait for flock(1) before saying that someone else holds the lock. */
const ANNOUNCE_AFTER_MS = 300;

/**
 * Python's huggingface_hub downloads a blob while holding `flock` on
 * `<cache>/.locks/models--org--name/<etag>.lock` (filelock's UnixFileLock). Node has no flock,
 * so a `flock(1)` child takes it and holds it until we close its stdin (or die: the pipe closes
 * and the kernel drops the lock with the child). Resolves undefined where there is no flock(1)
 * (macOS, Windows) or the lock file cannot be opened (a read-only cache): then a Python download
 * at the same moment is not waited for. It writes its own `<etag>.incomplete` and we ours, and
 * each checks what it renames into place, so the cost is a second download, not a broken file.
 */
export async function acquirePythonLock(lockFile: string, onWait: () => void = () => {}): Promise<PythonLock | undefined> {
  try {
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  } catch {
    return undefined;
  }
  let child;
  try {
    // flock runs `sh` with the lock held; `echo` says so, `cat` holds it until stdin closes.
    child = spawn('flock', ['--exclusive', lockFile, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
  const proc = child;
  return new Promise<PythonLock | undefined>((resolve) => {
    let settled = false;
    const announce = setTimeout(() => !settled && onWait(), ANNOUNCE_AFTER_MS);
    const finish = (lock: PythonLock | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(announce);
      resolve(lock);
    };
    proc.on('error', () => finish(undefined)); // no flock(1) here
    proc.on('exit', () => finish(undefined)); // it could not open or lock the file
    proc.stdin.on('error', () => {});
    proc.stdout.once('data', () => {
      const release = () => {
        process.removeListener('exit', release);
        proc.stdin.end();
      };
      process.on('exit', release);
      finish({ release });
    });
  });
}
