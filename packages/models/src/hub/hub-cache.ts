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

  recordRef(revision: string, commit: string): void {
    if (revision !== commit) writeFileAtomic(path.join(this.dir, 'refs', revision), commit);
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
