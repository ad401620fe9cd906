import * as path from 'node:path';
import { acquireFolderLock, FolderLock } from '../util/folder-lock';
import { errorMessage, UserFacingError } from '@repscope/models';
import { SweepRecord, writeSweepFiles } from './write-sweep-files';
import { readJobState } from './job-state';
import type { SweepManifest } from './manifest';
import { writeSweepReport } from './sweep-report';

/** Every job's record as its folder says now (not as some process remembers it). */
export function sweepRecords(outDir: string, manifest: SweepManifest): SweepRecord[] {
  return manifest.jobs.map((j) => {
    const state = readJobState(outDir, j.dir);
    return { job: j.job, dir: j.dir, overrides: j.overrides, status: state.status, summary: state.summary, ...(state.error ? { error: state.error } : {}) };
  });
}

const LOCK_WAIT_MS = 30_000;

/**
 * Rewrites sweep.json, sweep.csv and report.html. Many processes (array tasks, shards, a
 * local coordinator) finish jobs into one folder; each rewrite takes a short lock, reads every
 * job folder afresh and writes atomically, so the last writer always writes the newest state
 * and nobody overwrites it with a stale memory of the sweep.
 */
export class SweepFiles {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly outDir: string,
    private readonly manifest: SweepManifest,
    private readonly log: (line: string) => void,
  ) {}

  update(): Promise<void> {
    this.chain = this.chain.then(() => this.rewrite());
    return this.chain;
  }

  private async rewrite(): Promise<void> {
    const lock = await waitForLock(path.join(this.outDir, '.locks', 'aggregate'));
    if (!lock) {
      this.log(`sweep: ${this.outDir}: another process kept the sweep files busy for ${LOCK_WAIT_MS / 1000} s; not rewritten now (\`repscope report\` rewrites them)`);
      return;
    }
    try {
      const records = sweepRecords(this.outDir, this.manifest);
      writeSweepFiles(this.outDir, records);
      await writeSweepReport(this.outDir, this.manifest, records);
    } catch (err) {
      this.log(`sweep: could not rewrite the sweep files in ${this.outDir}: ${errorMessage(err)}`);
    } finally {
      lock.release();
    }
  }
}

async function waitForLock(dir: string): Promise<FolderLock | undefined> {
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return acquireFolderLock(dir, 'sweep files');
    } catch (err) {
      if (!(err instanceof UserFacingError) || err.code !== 'E_FOLDER_BUSY' || Date.now() > until) {
        if (err instanceof UserFacingError && err.code === 'E_FOLDER_BUSY') return undefined;
        throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
}
