import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { BackendChoice } from '../backend/select-backend';
import { ConfigError, ConfigIssue } from '../config/config-error';
import { loadRawConfig, resolveExperiment, ResolveEnvironment, ResolvedExperiment, RawConfig } from '../config/resolve';
import type { Override, SweepAxisOverride } from '../config/overrides';
import { InvalidInputError } from '../util/errors';
import { defaultRunDir, runExperiment, RunOutcome } from '../run/runner';
import { fetchHubWeights } from '../hub/config-weights';
import type { ProgressMode } from '../run/progress';
import { expandSweep, SweepJob } from './expand';
import { jobRawConfig } from './job-config';
import { SweepRecord, writeSweepFiles } from './collect';
import { runJobsInWorkers, WorkerJob } from './worker-pool';

export interface SweepOptions {
  overrides: Override[];
  axes: SweepAxisOverride[];
  outDir?: string;
  jobs?: number;
  backend?: BackendChoice;
  progress?: ProgressMode;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface PlannedJob {
  job: SweepJob;
  resolved: ResolvedExperiment;
  dir: string;
}

export interface SweepPlan {
  file: string;
  outDir: string;
  jobs: PlannedJob[];
}

/** Expand and validate every job; any invalid job fails the whole sweep before anything runs. */
export async function planSweep(file: string, options: Pick<SweepOptions, 'overrides' | 'axes' | 'outDir'>, env: ResolveEnvironment): Promise<SweepPlan> {
  const raw = loadRawConfig(file, options.overrides);
  const jobs = expandSweep(raw.data['sweep'], options.axes, raw.locations);
  const issues: ConfigIssue[] = [];
  const planned: { job: SweepJob; resolved: ResolvedExperiment }[] = [];
  for (const job of jobs) {
    try {
      planned.push({ job, resolved: await resolveExperiment(jobRawConfig(raw, job), env) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) {
        const fromJob = job.assignments.some((a) => a.location && issue.location && a.location.source === issue.location.source && a.location.line === issue.location.line);
        // The same base-config problem fails every job: report it once, not N times.
        issues.push(fromJob || jobs.length === 1 ? { ...issue, context: `job ${job.index} (${job.label}):` } : issue);
      }
    }
  }
  if (issues.length) throw new ConfigError(dedupeIssues(issues));
  const first = planned[0]!.resolved.config;
  const outDir = path.resolve(options.outDir ?? path.join(path.dirname(defaultRunDir(first)), `sweep-${path.basename(defaultRunDir(first))}`));
  return { file: raw.file, outDir, jobs: planned.map((p) => ({ ...p, dir: path.join(outDir, p.job.dirName) })) };
}

function dedupeIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.context ?? ''}|${i.location?.source}:${i.location?.line}:${i.location?.col}|${i.path.join('.')}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A finished job (summary.json present) counts only if it was run with the same resolved config. */
function finishedRecord(p: PlannedJob): Record<string, unknown> | undefined {
  const summaryFile = path.join(p.dir, 'summary.json');
  if (!fs.existsSync(summaryFile)) return undefined;
  const existing = fs.existsSync(path.join(p.dir, 'config.yaml')) ? fs.readFileSync(path.join(p.dir, 'config.yaml'), 'utf8') : '';
  if (existing !== toYaml(p.resolved.config, { lineWidth: 0 })) {
    throw new InvalidInputError(
      `${p.dir} holds a finished job run with a different config; this --out belongs to another sweep. Use a new --out, or delete that folder.`,
      'E_SWEEP_MISMATCH',
    );
  }
  return JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Record<string, unknown>;
}

export interface SweepResult {
  outDir: string;
  records: SweepRecord[];
  ran: number;
  skipped: number;
  interrupted: boolean;
}

/**
 * Run a sweep's jobs into `outDir/<index>-<slug>/`, skipping jobs that already finished there,
 * with `jobs` worker processes (each with its own TF.js backend) or in-process when 1.
 * sweep.json / sweep.csv are rewritten after every job, so they are current even after a kill.
 */
export async function runSweep(file: string, options: SweepOptions, env: ResolveEnvironment): Promise<SweepResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const plan = await planSweep(file, options, env);
  // Every hub model the jobs need, once, before the sweep folder exists (workers then hit the cache).
  await fetchHubWeights(plan.jobs.map((p) => p.resolved.config));
  fs.mkdirSync(plan.outDir, { recursive: true });
  const records: SweepRecord[] = plan.jobs.map((p) => {
    const summary = finishedRecord(p) ?? null;
    return {
      job: p.job.index,
      dir: path.relative(plan.outDir, p.dir),
      overrides: Object.fromEntries(p.job.assignments.map((a) => [a.key, a.value])),
      status: summary ? ((summary['status'] as SweepRecord['status']) ?? 'completed') : 'pending',
      resumed: summary ? true : undefined,
      summary,
    };
  });
  const pending = plan.jobs.filter((_, i) => records[i]!.status === 'pending');
  const skipped = plan.jobs.length - pending.length;
  log(`sweep: ${plan.jobs.length} jobs in ${plan.outDir} (${skipped} already finished, ${pending.length} to run, ${Math.min(options.jobs ?? 1, Math.max(pending.length, 1))} at a time)`);
  writeSweepFiles(plan.outDir, records);

  const onDone = (index: number, outcome: Pick<RunOutcome, 'status' | 'summary' | 'error'>): void => {
    const record = records[index]!;
    record.status = outcome.status;
    record.summary = outcome.summary ?? null;
    if (outcome.error) record.error = outcome.error.split('\n')[0];
    writeSweepFiles(plan.outDir, records);
    log(`sweep: job ${index} ${outcome.status}${outcome.error && outcome.status !== 'completed' ? `: ${outcome.error.split('\n')[0]}` : ''}`);
  };
  const onStart = (index: number): void => {
    records[index]!.status = 'running';
    writeSweepFiles(plan.outDir, records);
  };

  const workers = Math.max(1, options.jobs ?? 1);
  if (workers === 1 || pending.length <= 1) {
    for (const p of pending) {
      if (options.signal?.aborted) break;
      onStart(p.job.index);
      const outcome = await runExperiment(p.resolved, {
        outDir: p.dir,
        backend: options.backend,
        progress: options.progress,
        signal: options.signal,
        log,
        label: `job ${p.job.index}`,
      });
      onDone(p.job.index, outcome);
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
    await runJobsInWorkers(work, workers, { onStart, onDone, signal: options.signal, log });
  }
  for (const r of records) if (r.status === 'running' || r.status === 'pending') r.status = options.signal?.aborted ? 'interrupted' : r.status;
  writeSweepFiles(plan.outDir, records);
  return { outDir: plan.outDir, records, ran: pending.length, skipped, interrupted: Boolean(options.signal?.aborted) };
}

export type { RawConfig };
