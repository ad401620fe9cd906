import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * mkdir -p, except that a failure carries its real cause: Node's recursive mkdir reports
 * ENOENT when a missing folder cannot be created on a read-only file system, where the
 * plain call says EROFS (or EACCES) — the difference between "internal error" and a line
 * that names the read-only folder.
 */
export function makeFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const parent = path.dirname(dir);
    if (parent !== dir && !fs.existsSync(parent)) makeFolder(parent);
    fs.mkdirSync(dir);
  }
}
