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
