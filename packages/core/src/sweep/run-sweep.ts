import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendChoice } from '@repscope/models';
import type { ResolveEnvironment } from '../config/resolve';
import type { Override, SweepAxisOverride } from '../config/overrides';
import { writeJsonAtomic } from '@repscope/models';
import { InvalidInputError, UserFacingError } from '@repscope/models';
import { acquireFolderLock, folderLockHolder, FolderLock } from '../util/folder-lock';
import { runExperiment, RunOutcome } from '../run/runner';
import { prepareJobs } from '../config/prepare';
import type { ProgressMode } from '../run/progress';
import { SweepFiles, sweepRecords } from './aggregate';
import type { SweepRecord } from './write-sweep-files';
import { finishedSummary, jobLockDir, readJobState } from './job-state';
import { buildManifest, resolvedConfigHash, isSweepFolder, readSweepManifest, SweepManifest, writeManifest } from './manifest';
import { checkableJobs, planSweep, PlannedJob, SweepPlan } from './plan';
import { threadEnvironment } from './thread-share';
import { runJobsInWorkers, WorkerJob } from './worker-pool';
import { readJsonObjectIfAny } from '../util/read-json';

export { planSweep } from './plan';
export type { PlannedJob, SweepPlan } from './plan';

export interface SweepOptions {
  overrides: Override[];
  axes: SweepAxisOverride[];
  outDir?: string;
  jobs?: number;
  backend?: BackendChoice;
  progress?: ProgressMode;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /**
   * Run only these jobs, as one shard or array task among others writing into the same
   * folder: no sweep lock (each job is locked instead), and the folder must hold this sweep.
   */
  select?: (index: number) => boolean;
  /** Checks of the launcher's own (its settings, the folder's name), run after planning and before the sweep folder is created. */
  checkPlan?: (plan: SweepPlan) => void;
}

export interface SweepResult {
  outDir: string;
  /** Every job of the sweep, as the folder says after this invocation. */
  records: SweepRecord[];
  /** The jobs this invocation was asked for. */
  selected: number[];
  ran: number;
  /** Already finished before this invocation. */
  skipped: number;
  /** Left alone because another process is running them. */
  busy: number;
  interrupted: boolean;
}

/** The command-line arguments as typed, recorded in jobs.json so a task can rebuild its job. */
export function argumentTexts(options: Pick<SweepOptions, 'overrides' | 'axes'>): string[] {
  return [...options.overrides.map((o) => o.text), ...options.axes.map((a) => a.text)];
}

/**
 * Plan a sweep for running, and own or join its folder. A coordinator (a whole sweep) takes
 * the folder's lock, so two sweeps cannot run into one folder at once, and (re)writes
 * jobs.json. A shard or array task validates only its own jobs when jobs.json is there and
 * checks they are the ones listed, so any number of them can share the folder.
 */
export async function prepareSweep(file: string, options: SweepOptions, env: ResolveEnvironment): Promise<{ plan: SweepPlan; manifest: SweepManifest; lock?: FolderLock }> {
  const args = argumentTexts(options);
  if (!options.select) {
    const plan = await planSweep(file, options, env);
    // Every hub model the jobs need, once, and every job checked against it, before the sweep
    // folder exists (workers then hit the cache; a shape error in job 37 stops job 0 starting).
    options.checkPlan?.(plan);
    await prepareJobs(checkableJobs(plan.jobs), 'download');
    fs.mkdirSync(plan.outDir, { recursive: true });
    const lock = acquireFolderLock(plan.outDir, 'sweep');
    try {
      for (const p of plan.jobs) finishedSummary(p);
      refuseToOrphanFinishedJobs(plan);
      const manifest = buildManifest(plan.file, args, plan.jobs);
      writeManifest(plan.outDir, manifest, 'coordinator');
      return { plan, manifest, lock };
    } catch (err) {
      lock.release();
      throw err;
    }
  }
  if (!options.outDir) throw new InvalidInputError('--shard and --job-index need --out DIR (every shard must write into the same folder)', 'E_SWEEP_SHARD_OUT');
  const outDir = path.resolve(options.outDir);
  if (isSweepFolder(outDir)) {
    const manifest = readSweepManifest(outDir);
    const plan = await planSweep(file, options, env);
    requireSelected(plan);
    const listed = new Map(manifest.jobs.map((j) => [j.job, j]));
    const sameJobs = manifest.jobs.length === plan.all.length && plan.all.every((j) => listed.get(j.index)?.dir === j.dirName);
    if (!sameJobs) {
      throw new InvalidInputError(`${outDir} holds another sweep (its jobs.json lists different jobs); use the same config and arguments, or \`repscope sweep ${outDir}\``, 'E_SWEEP_MISMATCH');
    }
    for (const p of plan.jobs) {
      if (listed.get(p.job.index)!.configHash !== resolvedConfigHash(p.resolved.config)) {
        throw new InvalidInputError(
          `job ${p.job.index} (${p.job.label}): its config changed since the sweep in ${outDir} was written (the config file or a file it extends was edited); re-run the whole sweep to rewrite jobs.json`,
          'E_SWEEP_CHANGED',
        );
      }
      finishedSummary(p);
    }
    // This shard's jobs, all checked against their weights before its first job runs.
    await prepareJobs(checkableJobs(plan.jobs), 'download');
    return { plan, manifest };
  }
  // No jobs.json yet: validate the whole sweep, as a coordinator would, and write it.
  const full = await planSweep(file, { ...options, select: undefined }, env);
  requireSelected({ ...full, jobs: full.jobs.filter((p) => options.select!(p.job.index)) });
  for (const p of full.jobs) finishedSummary(p);
  await prepareJobs(checkableJobs(full.jobs), 'download');
  const manifest = buildManifest(full.file, args, full.jobs);
  fs.mkdirSync(full.outDir, { recursive: true });
  writeManifest(full.outDir, manifest, 'shard');
  return { plan: { ...full, jobs: full.jobs.filter((p) => options.select!(p.job.index)) }, manifest };
}

/**
 * Rewriting jobs.json for a different job list would drop finished jobs of the sweep already in
 * the folder from its sweep.json, report and status while their folders stay: two sweeps' results
 * mixed in one folder. A coordinator refuses instead; one that lists every finished job there (the
 * same sweep, resumed) goes on.
 */
function refuseToOrphanFinishedJobs(plan: SweepPlan): void {
  if (!isSweepFolder(plan.outDir)) return;
  const planned = new Set(plan.all.map((j) => j.dirName));
  const dropped = readSweepManifest(plan.outDir).jobs.filter((j) => !planned.has(j.dir) && fs.existsSync(path.join(plan.outDir, j.dir, 'summary.json')));
  if (dropped.length === 0) return;
  const names = dropped.slice(0, 3).map((j) => j.dir).join(', ') + (dropped.length > 3 ? `, … (${dropped.length} in all)` : '');
  throw new InvalidInputError(
    `${plan.outDir} holds finished jobs of another sweep that this one does not list (${names}); use a new --out, \`repscope sweep ${plan.outDir}\` to resume that sweep, or delete those folders`,
    'E_SWEEP_MISMATCH',
  );
}

function requireSelected(plan: SweepPlan): void {
  if (plan.jobs.length === 0) {
    throw new InvalidInputError(`no job selected: the sweep has ${plan.all.length} jobs (indices 0–${plan.all.length - 1})`, 'E_SWEEP_SELECT');
  }
}

/**
 * Run a sweep's jobs (all, or a shard's) into `outDir/<index>-<slug>/`, skipping jobs that
 * finished there and jobs another process is running, with `jobs` worker processes (each
 * with its own TF.js backend and its share of the cores) or in-process when 1. sweep.json,
 * sweep.csv and report.html are rebuilt from the job folders after every job.
 */
export async function runSweep(file: string, options: SweepOptions, env: ResolveEnvironment): Promise<SweepResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const { plan, manifest, lock } = await prepareSweep(file, options, env);
  try {
    return await runPlannedJobs(plan, manifest, options, log);
  } finally {
    lock?.release();
  }
}

async function runPlannedJobs(plan: SweepPlan, manifest: SweepManifest, options: SweepOptions, log: (line: string) => void): Promise<SweepResult> {
  const files = new SweepFiles(plan.outDir, manifest, log);
  // A job whose process died (SIGKILL, power loss) still says "running"; say what happened.
  for (const p of plan.jobs) {
    const state = readJobState(plan.outDir, p.job.dirName);
    if (state.status === 'killed') recordUnrecordedOutcome(p, { status: 'killed', error: state.error });
  }
  const finished = new Set(plan.jobs.filter((p) => fs.existsSync(path.join(p.dir, 'summary.json'))).map((p) => p.job.index));
  const pending = plan.jobs.filter((p) => !finished.has(p.job.index));
  const workers = Math.max(1, options.jobs ?? 1);
  const scope = options.select ? `${plan.jobs.length} of ${plan.all.length} jobs` : `${plan.all.length} jobs`;
  log(`sweep: ${scope} in ${plan.outDir} (${finished.size} already finished, ${pending.length} to run, ${Math.min(workers, Math.max(pending.length, 1))} at a time)`);
  await files.update();

  const byIndex = new Map(plan.jobs.map((p) => [p.job.index, p]));
  const locks = new Map<number, FolderLock>();
  let busy = 0;
  let ran = 0;
  const claim = (index: number): boolean => {
    const p = byIndex.get(index)!;
    try {
      locks.set(index, acquireFolderLock(jobLockDir(plan.outDir, p.job.dirName), `sweep job ${index}`));
    } catch (err) {
      if (!(err instanceof UserFacingError) || err.code !== 'E_FOLDER_BUSY') throw err;
      const holder = folderLockHolder(jobLockDir(plan.outDir, p.job.dirName));
      log(`sweep: job ${index} is being run by another process${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''}; left to it`);
      busy++;
      return false;
    }
    // Another process may have finished it between our scan and the lock.
    if (fs.existsSync(path.join(p.dir, 'summary.json'))) {
      locks.get(index)!.release();
      locks.delete(index);
      return false;
    }
    ran++;
    return true;
  };
  const onDone = async (index: number, outcome: Pick<RunOutcome, 'status' | 'summary' | 'error'> | { status: 'killed'; error: string }): Promise<void> => {
    const p = byIndex.get(index)!;
    recordUnrecordedOutcome(p, outcome);
    locks.get(index)?.release();
    locks.delete(index);
    log(`sweep: job ${index} ${outcome.status}${outcome.error && outcome.status !== 'completed' ? `: ${outcome.error.split('\n')[0]}` : ''}`);
    await files.update();
  };

  try {
    if (workers === 1 || pending.length <= 1) {
      for (const p of pending) {
        if (options.signal?.aborted) break;
        if (!claim(p.job.index)) continue;
        const outcome = await runExperiment(p.resolved, {
          outDir: p.dir,
          backend: options.backend,
          progress: options.progress,
          signal: options.signal,
          log,
          label: `job ${p.job.index}`,
        });
        await onDone(p.job.index, outcome);
      }
    } else {
      const work: WorkerJob[] = pending.map((p) => ({
        index: p.job.index,
        file: plan.file,
        overrides: options.overrides,
        assignments: p.job.assignments,
        outDir: p.dir,
        backend: options.backend,
        label: `job ${p.job.index}`,
      }));
      await runJobsInWorkers(work, workers, { claim, onDone, signal: options.signal, log, env: threadEnvironment(workers) });
    }
  } finally {
    for (const l of locks.values()) l.release();
  }
  await files.update();
  const records = sweepRecords(plan.outDir, manifest);
  return {
    outDir: plan.outDir,
    records,
    selected: plan.jobs.map((p) => p.job.index),
    ran,
    skipped: finished.size,
    busy,
    interrupted: Boolean(options.signal?.aborted),
  };
}

/**
 * A job that ended without the runner recording it (its worker was killed, or it failed
 * before its run started) would otherwise keep a "running" status.json, or none at all.
 */
function recordUnrecordedOutcome(p: PlannedJob, outcome: { status: string; error?: string }): void {
  if (outcome.status === 'completed' || outcome.status === 'diverged') return;
  const file = path.join(p.dir, 'status.json');
  const status = readJsonObjectIfAny(file)?.['status'];
  const recorded = typeof status === 'string' ? status : undefined;
  if (recorded !== undefined && recorded !== 'running') return;
  writeJsonAtomic(file, { status: outcome.status, endedAt: new Date().toISOString(), ...(outcome.error ? { error: outcome.error } : {}) });
}

/** Only the selected jobs' records, for a shard's own tally. */
export function selectedRecords(result: SweepResult): SweepRecord[] {
  const chosen = new Set(result.selected);
  return result.records.filter((r) => chosen.has(r.job));
}
