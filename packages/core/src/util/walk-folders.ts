import * as fs from 'node:fs';
import * as path from 'node:path';

/** Folders no run lives in, and that can be huge. */
const SKIPPED = new Set(['node_modules', '.git']);

/** Returned by a visit to end the whole walk (a scan limit reached). */
export const STOP_WALK = Symbol('stop walk');

/**
 * Depth-first over `root` and the folders under it, in name order, to `maxDepth` levels: never
 * through a symlink (a shared runs folder may link anywhere), into a hidden folder, or into
 * node_modules/.git. `visit` gets each folder and its parent's context, and returns the context
 * its children get (or STOP_WALK). An unreadable folder is skipped.
 */
export function walkFolders<C>(root: string, maxDepth: number, visit: (dir: string, context: C | undefined) => C | undefined | typeof STOP_WALK, context?: C): void {
  let stopped = false;
  const walk = (dir: string, depth: number, parent: C | undefined): void => {
    const mine = visit(dir, parent);
    if (mine === STOP_WALK) {
      stopped = true;
      return;
    }
    if (depth >= maxDepth) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (stopped) return;
      if (e.isDirectory() && !SKIPPED.has(e.name) && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1, mine);
    }
  };
  walk(root, 0, context);
}
