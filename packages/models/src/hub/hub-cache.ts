import * as fs from 'node:fs';
import * as path from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { writeFileAtomic } from '../util/atomic-write';
import { COMMIT_PATTERN } from './hub-ref';
import { makeFolder } from '../util/make-folder';

/**
 * One model repo in the Hugging Face cache, laid out as Python's huggingface_hub does:
 *   models--org--name/blobs/<etag>                 file contents, named by the hub's ETag
 *   models--org--name/snapshots/<commit>/<file>    relative symlinks into blobs/
 *   models--org--name/refs/<revision>              the commit a branch or tag pointed at
 *   models--org--name/.no_exist/<commit>/<file>    empty: the repo has no such file at that commit
 *   .locks/models--org--name/<etag>.lock           what Python flocks while it downloads a blob
 * so either side uses what the other downloaded.
 */
export class CachedRepo {
  readonly dir: string;

  constructor(cacheDir: string, readonly repo: string) {
    this.dir = path.join(cacheDir, getRepoFolderName({ name: repo, type: 'model' }));
  }

  /** The commit `revision` resolved to when last fetched (a commit resolves to itself). */
  commitFor(revision: string): string | undefined {
    if (COMMIT_PATTERN.test(revision)) return revision;
    try {
      const commit = fs.readFileSync(path.join(this.dir, 'refs', revision), 'utf8').trim();
      return COMMIT_PATTERN.test(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Point refs/<revision> at `commit` — only when it points elsewhere: a shared cache that is
   * read-only to its users (and complete) must not fail a `repscope download` on a write that
   * would change nothing.
   */
  recordRef(revision: string, commit: string): void {
    if (revision === commit) return;
    const file = path.join(this.dir, 'refs', revision);
    try {
      if (fs.readFileSync(file, 'utf8').trim() === commit) return;
    } catch {
      // not there yet
    }
    writeFileAtomic(file, commit);
  }

  /** Python's record that `file` does not exist at `commit` (written when the hub answered 404 for it). */
  isKnownAbsent(commit: string, file: string): boolean {
    return fs.existsSync(path.join(this.dir, '.no_exist', commit, file));
  }

  /**
   * Record, as Python does, that the repo has no `file` at `commit` (commits never change, so
   * this stays true): a later offline run, ours or Python's, then knows the file is absent
   * rather than not downloaded. Best effort — a read-only cache just goes without.
   */
  recordAbsent(commit: string, file: string): void {
    const marker = path.join(this.dir, '.no_exist', commit, file);
    if (fs.existsSync(marker)) return;
    try {
      makeFolder(path.dirname(marker));
      fs.closeSync(fs.openSync(marker, 'a'));
    } catch {
      // read-only or full: the hub is asked again next time
    }
  }

  /** The lock file Python's huggingface_hub holds (flock) while it downloads blob `etag`. */
  pythonLock(etag: string): string {
    return path.join(path.dirname(this.dir), '.locks', path.basename(this.dir), `${etag}.lock`);
  }

  snapshotDir(commit: string): string {
    return path.join(this.dir, 'snapshots', commit);
  }

  snapshotFile(commit: string, file: string): string {
    return path.join(this.snapshotDir(commit), file);
  }

  /** True when the snapshot entry exists and resolves to a complete blob. */
  hasFile(commit: string, file: string): boolean {
    try {
      return fs.statSync(this.snapshotFile(commit, file)).isFile();
    } catch {
      return false;
    }
  }

  blob(etag: string): string {
    return path.join(this.dir, 'blobs', etag);
  }

  /** The blob a snapshot entry points at (its name is the hub's ETag), if it is a symlink. */
  blobNameOf(commit: string, file: string): string | undefined {
    try {
      return path.basename(fs.readlinkSync(this.snapshotFile(commit, file)));
    } catch {
      return undefined;
    }
  }

  /**
   * Point snapshots/<commit>/<file> at blobs/<etag>. The link is made under a temporary name
   * and renamed over, so a reader never sees a missing or dangling entry mid-update.
   */
  link(commit: string, file: string, etag: string): void {
    const entry = this.snapshotFile(commit, file);
    makeFolder(path.dirname(entry));
    const tmp = `${entry}.${process.pid}.link`;
    fs.rmSync(tmp, { force: true });
    try {
      fs.symlinkSync(path.relative(path.dirname(entry), this.blob(etag)), tmp);
    } catch {
      // No symlinks (some Windows set-ups, some shared filesystems): a copy, as Python does.
      fs.copyFileSync(this.blob(etag), tmp);
    }
    fs.renameSync(tmp, entry);
  }
}
