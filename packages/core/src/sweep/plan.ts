import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, ConfigIssue } from '../config/config-error';
import { loadRawConfig, resolveExperiment, ResolveEnvironment, ResolvedExperiment } from '../config/resolve';
import type { Override, SweepAxisOverride } from '../config/overrides';
import type { PreparedJob } from '../config/prepare';
import { defaultRunDir } from '../run/runner';
import { expandSweep, SweepJob } from './expand';
import { jobRawConfig } from './job-config';
import { LauncherSettings, validateLauncherBlock } from './launcher';

export interface PlanOptions {
  overrides: Override[];
  axes: SweepAxisOverride[];
  outDir?: string;
  /** Resolve only these jobs (a shard or one array task); the others are listed, not validated. */
  select?: (index: number) => boolean;
}

export interface PlannedJob {
  job: SweepJob;
  resolved: ResolvedExperiment;
  dir: string;
}

export interface SweepPlan {
  file: string;
  outDir: string;
  /** Every job of the sweep, in index order. */
  all: SweepJob[];
  /** The selected jobs, validated. */
  jobs: PlannedJob[];
  launcher: LauncherSettings;
}

/** Expand and validate every selected job; any invalid job fails the whole sweep before anything runs. */
export async function planSweep(file: string, options: PlanOptions, env: ResolveEnvironment): Promise<SweepPlan> {
  const raw = loadRawConfig(file, options.overrides);
  const all = expandSweep(raw.data['sweep'], options.axes, raw.locations);
  const launcher = validateLauncherBlock(raw.data['launcher'], raw.locations);
  const selected = options.select ? all.filter((j) => options.select!(j.index)) : all;
  const issues: ConfigIssue[] = [];
  const planned: { job: SweepJob; resolved: ResolvedExperiment }[] = [];
  for (const job of selected) {
    try {
      planned.push({ job, resolved: await resolveExperiment(jobRawConfig(raw, job), env) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) {
        const fromJob = job.assignments.some((a) => a.location && issue.location && a.location.source === issue.location.source && a.location.line === issue.location.line);
        // The same base-config problem fails every job: report it once, not N times.
        issues.push(fromJob || all.length === 1 ? { ...issue, context: `job ${job.index} (${job.label}):` } : issue);
      }
    }
  }
  if (issues.length) throw new ConfigError(dedupeIssues(issues));
  let outDir = options.outDir;
  if (!outDir) {
    // The default folder is named after the first job, which a shard may not have resolved.
    const first = planned[0]?.job.index === 0 ? planned[0].resolved : await resolveExperiment(jobRawConfig(raw, all[0]!), env);
    const runDir = defaultRunDir(first.config);
    outDir = path.join(path.dirname(runDir), `sweep-${path.basename(runDir)}`);
  }
  outDir = path.resolve(outDir);
  return { file: raw.file, outDir, all, jobs: planned.map((p) => ({ ...p, dir: path.join(outDir!, p.job.dirName) })), launcher };
}

/** The planned jobs as the pipeline's check step takes them, each labelled for its issues. */
export function checkableJobs(jobs: { job: SweepJob; resolved: ResolvedExperiment }[]): PreparedJob[] {
  return jobs.map((p) => ({ exp: p.resolved, context: `job ${p.job.index} (${p.job.label}):` }));
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

/** True when `dir` is an existing folder (a sweep folder given in place of a config). */
export function isDirectory(target: string): boolean {
  try {
    return fs.statSync(target).isDirectory();
  } catch {
    return false;
  }
}
