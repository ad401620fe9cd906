import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolveEnvironment } from '../../config/resolve';
import { writeFileAtomic } from '@repscope/models';
import { InvalidInputError, UserFacingError } from '@repscope/models';
import { folderLockHolder } from '../../util/folder-lock';
import { SweepFiles } from '../aggregate';
import { jobLockDir } from '../job-state';
import { LauncherSettings, mergeLauncherFlags } from '../launcher';
import { prepareSweep, SweepOptions, SweepPlan } from '../run-sweep';
import { arraySpec } from './array-spec';
import { renderBatchScript } from './batch-script';
import { queuedTasks, slurmCommand } from './slurm-commands';
import { appendSubmission, readSubmissions, slurmDir } from './submissions';

export interface SlurmSubmitOptions extends SweepOptions {
  flags: Partial<Record<keyof LauncherSettings, unknown>>;
  /** Write the batch script but do not call sbatch. */
  dryRun?: boolean;
  /** Block until no task of the array is queued or running. */
  wait?: boolean;
  /** How tasks start repscope (node + CLI script); the running CLI by default. */
  command?: string[];
}

export interface SlurmSubmitResult {
  outDir: string;
  script: string;
  jobId?: string;
  submitted: number[];
  finished: number;
  active: number;
  total: number;
}

/**
 * Validate every job, write jobs.json and a batch script into the sweep folder, and submit
 * one Slurm job array with a task for each job that is neither finished (the local resume
 * rule) nor already queued or running from an earlier submission.
 */
export async function submitSlurmSweep(file: string, options: SlurmSubmitOptions, env: ResolveEnvironment): Promise<SlurmSubmitResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  // Launcher settings and the folder's name are checked before the sweep folder exists: a
  // refused submission leaves nothing behind.
  const checkPlan = (plan: SweepPlan): void => {
    mergeLauncherFlags(plan.launcher, options.flags);
    if (/[\s%]/.test(plan.outDir) || /\s/.test(process.cwd())) {
      throw new InvalidInputError(`${plan.outDir}: a Slurm sweep folder (and the current folder) must not contain spaces, newlines or %, which #SBATCH lines cannot carry`, 'E_SLURM_PATH');
    }
  };
  const { plan, manifest, lock } = await prepareSweep(file, { ...options, checkPlan }, env);
  try {
    const settings = mergeLauncherFlags(plan.launcher, options.flags);
    const submissions = readSubmissions(plan.outDir);
    const queued = queuedTasks(submissions.map((s) => s.jobId));
    const finished = plan.jobs.filter((p) => fs.existsSync(path.join(p.dir, 'summary.json'))).map((p) => p.job.index);
    const active = plan.jobs
      .filter((p) => !finished.includes(p.job.index))
      .filter((p) => queued.has(p.job.index) || folderLockHolder(jobLockDir(plan.outDir, p.job.dirName))?.live === true)
      .map((p) => p.job.index);
    const toSubmit = plan.jobs.map((p) => p.job.index).filter((i) => !finished.includes(i) && !active.includes(i));
    const script = path.join(slurmDir(plan.outDir), 'sweep.sbatch');
    const result: SlurmSubmitResult = { outDir: plan.outDir, script, submitted: toSubmit, finished: finished.length, active: active.length, total: plan.all.length };
    await new SweepFiles(plan.outDir, manifest, log).update();
    if (toSubmit.length === 0) return result;

    const name = `repscope-${String(plan.jobs[0]!.resolved.config.name)}`.slice(0, 60);
    const array = arraySpec(toSubmit, options.jobs);
    const command = options.command ?? [process.execPath, cliScript()];
    writeFileAtomic(script, renderBatchScript({ outDir: plan.outDir, workDir: process.cwd(), name, array, settings, command, jobs: manifest.jobs.filter((j) => toSubmit.includes(j.job)) }));
    fs.chmodSync(script, 0o755);
    if (options.dryRun) return result;

    const r = slurmCommand('sbatch', ['--parsable', script], { timeoutMs: 60_000 });
    const jobId = r.stdout.trim().split('\n')[0]?.split(';')[0];
    if (!r.ok || !jobId || !/^\d+$/.test(jobId)) {
      throw new UserFacingError(`sbatch could not submit ${script}: ${r.error || 'no job id in its output'}`, 'E_SLURM_SUBMIT');
    }
    appendSubmission(plan.outDir, { jobId, array, jobs: toSubmit, submittedAt: new Date().toISOString() });
    log(`sweep: submitted Slurm job array ${jobId} (--array=${array})`);
    if (options.wait) await waitForArray(jobId, options.signal);
    return { ...result, jobId };
  } finally {
    lock?.release();
  }
}

/** Until squeue lists no task of the array (or the wait is interrupted). */
async function waitForArray(jobId: string, signal?: AbortSignal): Promise<void> {
  while (!signal?.aborted) {
    await new Promise((r) => setTimeout(r, 1000));
    const r = slurmCommand('squeue', ['--noheader', '--array', `--jobs=${jobId}`, '--format=%i']);
    if (r.ok && r.stdout.trim() === '') return;
    // An array that has left the queue is unknown to squeue (an error), not an empty list.
    if (!r.ok && /invalid job id/i.test(r.error)) return;
  }
}

/** The CLI the tasks run: this build's bin.js (tests run from sources, so look in dist/ too). */
function cliScript(): string {
  for (const candidate of [path.resolve(__dirname, '..', '..', 'cli', 'bin.js'), path.resolve(__dirname, '..', '..', '..', 'dist', 'cli', 'bin.js')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('repscope CLI script (dist/cli/bin.js) not found; build @repscope/core first');
}
