import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempDir } from '@repscope/test-support';
import { acquireBlobLock } from '../blob-lock';

describe('blob lock', () => {
  test('a second taker waits until the first releases', async () => {
    const file = path.join(tempDir(), 'x.lock');
    const first = await acquireBlobLock(file);
    const waits: string[] = [];
    let second = false;
    const pending = acquireBlobLock(file, (owner) => waits.push(owner)).then((lock) => {
      second = true;
      return lock;
    });
    await new Promise((r) => setTimeout(r, 600));
    expect(second).toBe(false);
    expect(waits).toEqual([`pid ${process.pid} on ${os.hostname()}`]);
    first.release();
    (await pending).release();
    expect(second).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('a lock left by a dead process on this host, or untouched for minutes elsewhere, is taken over', async () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadLock = path.join(dir, 'dead.lock');
    fs.writeFileSync(deadLock, JSON.stringify({ pid: Number(dead.stdout), host: os.hostname() }));
    (await acquireBlobLock(deadLock)).release();

    const remoteLock = path.join(dir, 'remote.lock');
    fs.writeFileSync(remoteLock, JSON.stringify({ pid: 1, host: 'another-host' }));
    const old = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(remoteLock, old, old);
    (await acquireBlobLock(remoteLock)).release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
