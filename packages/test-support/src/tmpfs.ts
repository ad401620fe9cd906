import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

/**
 * A small tmpfs mounted at a fresh temp folder (root only): a real full disk or a real
 * read-only folder for the storage-failure tests. Returns the reason when mounting is not
 * possible here, so the test can say why it skipped.
 */
export function mountTmpfs(sizeBytes: number, options: { readOnly?: boolean } = {}): Tmpfs | string {
  if (os.platform() !== 'linux') return `tmpfs needs Linux (this is ${os.platform()})`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-tmpfs-'));
  const opts = [`size=${sizeBytes}`, ...(options.readOnly ? ['ro'] : [])].join(',');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmdirSync(dir);
    return `cannot mount a tmpfs here (${(r.stderr || r.error?.message || `exit ${r.status}`).trim()})`;
  }
  return {
    dir,
    unmount() {
      spawnSync('umount', [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Why no tmpfs can be mounted here, or undefined when one can (mounts and unmounts a probe). */
export function tmpfsUnavailable(): string | undefined {
  const probe = mountTmpfs(4096);
  if (typeof probe === 'string') return probe;
  probe.unmount();
  return undefined;
}

/**
 * Run `fn` with a tmpfs mounted for it, unmounted afterwards whatever happens (a mount made
 * at collection time would outlive a run filtered with -t, whose afterAll never runs).
 */
export async function withTmpfs<T>(sizeBytes: number, options: { readOnly?: boolean }, fn: (dir: string) => T | Promise<T>): Promise<T> {
  const disk = mountTmpfs(sizeBytes, options);
  if (typeof disk === 'string') throw new Error(disk);
  try {
    return await fn(disk.dir);
  } finally {
    disk.unmount();
  }
}
