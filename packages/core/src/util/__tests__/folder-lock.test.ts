import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { acquireFolderLock, LOCK_FILE } from '../folder-lock';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-lock-'));
}

describe('folder lock', () => {
  test('a second writer is refused with the owner named; release frees the folder', () => {
    const dir = tempDir();
    const first = acquireFolderLock(dir, 'run');
    expect(() => acquireFolderLock(dir, 'run')).toThrow(/in use by another repscope process \(run, pid \d+/);
    first.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    acquireFolderLock(dir, 'run').release();
  });

  test('a lock left by a process that is gone is taken over', () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid, host: os.hostname(), purpose: 'run', since: 'then' }));
    const lock = acquireFolderLock(dir, 'run');
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  test('a lock from another host is never assumed stale', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'some-other-node', purpose: 'sweep', since: 'then' }));
    expect(() => acquireFolderLock(dir, 'run')).toThrow(/pid 1 on some-other-node/);
  });
});
