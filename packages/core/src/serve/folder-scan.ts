import * as path from 'node:path';
import { isRunDirectory, keySummaryFields, readPastRun, type PastRun } from '../run/past-runs';
import { isSweepFolder, MANIFEST_FILE, readSweepManifest, type SweepManifest } from '../sweep/manifest';
import { sweepRecords } from '../sweep/aggregate';
import { containedFile } from './safe-path';
import { lastMetricsRow } from './metrics-tail';
import { STOP_WALK, walkFolders } from '../util/walk-folders';

/** How deep under the served folder runs and sweeps are looked for, and how many at most. */
export const SCAN_MAX_DEPTH = 8;
export const SCAN_MAX_FOLDERS = 20_000;
export const SCAN_MAX_ENTRIES = 2_000;

/** The files of a run folder the server reads; each must resolve inside the served folder. */
export const RUN_FILES = ['config.yaml', 'summary.json', 'status.json', 'env.json', 'metrics.jsonl', 'report.html'];

/** The first file of `dir`'s run files (or the folder itself) that a link leads out of the served folder, if any. */
export function runFileOutside(rootReal: string, dir: string): string | undefined {
  if (containedFile(rootReal, dir) === 'outside') return '.';
  return RUN_FILES.find((f) => containedFile(rootReal, path.join(dir, f)) === 'outside');
}

/** A sweep whose jobs.json, or a job's folder or files, lead out of the served folder: what, relative to the sweep. */
export function sweepFileOutside(rootReal: string, dir: string, manifest?: SweepManifest): string | undefined {
  if (containedFile(rootReal, path.join(dir, MANIFEST_FILE)) !== 'inside') return MANIFEST_FILE;
  for (const job of (manifest ?? readSweepManifest(dir)).jobs) {
    const outside = runFileOutside(rootReal, path.join(dir, job.dir));
    if (outside) return outside === '.' ? job.dir : `${job.dir}/${outside}`;
  }
  return undefined;
}

/** A run as `repscope runs` reads it (readPastRun), less its full config and summary, plus what the list shows. */
export interface RunEntry extends Omit<PastRun, 'config' | 'summary'> {
  kind: 'run';
  /** Relative to the served folder, `/`-separated. */
  path: string;
  /** Steps done (the newest metrics row's step + 1) and the config's `steps`, when known. */
  step?: number;
  steps?: number;
  /** The newest metrics row's numbers (a few). */
  latest: Record<string, number>;
  /** The summary's key results (a few). */
  results: Record<string, string | number | boolean | null>;
  report: boolean;
  /** The sweep folder this run is a job of. */
  sweep?: string;
}

export interface SweepEntry {
  kind: 'sweep';
  path: string;
  name: string;
  config: string;
  jobs: number;
  counts: Record<string, number>;
  problem?: string;
}

export interface ScanResult {
  runs: RunEntry[];
  sweeps: SweepEntry[];
  /** True when the scan stopped at a bound (depth is silent; count is reported). */
  truncated: boolean;
}

function rel(rootReal: string, dir: string): string {
  return path.relative(rootReal, dir).split(path.sep).join('/');
}

function numbers(row: Record<string, unknown> | undefined, max: number): Record<string, number> {
  if (!row) return {};
  return Object.fromEntries(Object.entries(row).filter((e): e is [string, number] => typeof e[1] === 'number' && e[0] !== 'step').slice(0, max));
}

/** One run folder as the list shows it; files that link out of the served folder make it unreadable, unread. */
export function runEntry(rootReal: string, dir: string, sweep?: string): RunEntry {
  const base = { kind: 'run' as const, path: rel(rootReal, dir), latest: {}, results: {}, report: false, ...(sweep !== undefined ? { sweep } : {}) };
  const outside = runFileOutside(rootReal, dir);
  if (outside) return { ...base, experiment: '?', name: path.basename(dir), status: 'unreadable', problem: `${outside}: links outside the served folder` };
  const run = readPastRun(dir);
  const last = run.problem ? undefined : lastMetricsRow(path.join(dir, 'metrics.jsonl'));
  const steps = run.config['steps'];
  return {
    ...base,
    experiment: run.experiment,
    name: run.name,
    status: run.status,
    ...(run.problem ? { problem: run.problem } : {}),
    ...(run.startedAt ? { startedAt: run.startedAt } : {}),
    ...(run.durationSeconds !== undefined ? { durationSeconds: run.durationSeconds } : {}),
    // A run logs steps 0 … steps (the last after its final update): done is at most `steps`.
    ...(typeof last?.['step'] === 'number' ? { step: typeof steps === 'number' && steps > 0 ? Math.min(last['step'] + 1, steps) : last['step'] + 1 } : {}),
    ...(typeof steps === 'number' && steps > 0 ? { steps } : {}),
    latest: numbers(last, 4),
    results: Object.fromEntries(keySummaryFields(run.summary).slice(0, 4)),
    report: containedFile(rootReal, path.join(dir, 'report.html')) === 'inside',
  };
}

/** One sweep folder: its jobs' states, read afresh from their folders. */
export function sweepEntry(rootReal: string, dir: string): SweepEntry {
  const base = { kind: 'sweep' as const, path: rel(rootReal, dir), name: path.basename(dir), config: '?', jobs: 0, counts: {} };
  if (containedFile(rootReal, path.join(dir, MANIFEST_FILE)) !== 'inside') return { ...base, problem: `${MANIFEST_FILE}: links outside the served folder` };
  try {
    const manifest = readSweepManifest(dir);
    const outside = sweepFileOutside(rootReal, dir, manifest);
    if (outside) return { ...base, problem: `${outside}: links outside the served folder` };
    const counts: Record<string, number> = {};
    for (const r of sweepRecords(dir, manifest)) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return { ...base, config: path.basename(manifest.config), jobs: manifest.jobs.length, counts };
  } catch (err) {
    return { ...base, problem: (err as Error).message };
  }
}

/** A run as listed, or unreadable with why: one odd folder must not take the whole list down. */
function listedRun(rootReal: string, dir: string, sweep: string | undefined): RunEntry {
  try {
    return runEntry(rootReal, dir, sweep);
  } catch (err) {
    return { kind: 'run', path: rel(rootReal, dir), latest: {}, results: {}, report: false, ...(sweep !== undefined ? { sweep } : {}), experiment: '?', name: path.basename(dir), status: 'unreadable', problem: (err as Error).message };
  }
}

/** Runs and sweeps under the served folder (symlinked folders not followed), newest runs first. */
export function scanFolder(rootReal: string): ScanResult {
  const runs: RunEntry[] = [];
  const sweeps: SweepEntry[] = [];
  let folders = 0;
  let truncated = false;
  // The context a folder passes down: the sweep it belongs to (its path), if any.
  walkFolders<string>(rootReal, SCAN_MAX_DEPTH, (dir, sweep) => {
    if (++folders > SCAN_MAX_FOLDERS || runs.length + sweeps.length >= SCAN_MAX_ENTRIES) {
      truncated = true;
      return STOP_WALK;
    }
    let inSweep = sweep;
    if (isSweepFolder(dir)) {
      sweeps.push(sweepEntry(rootReal, dir));
      inSweep = rel(rootReal, dir);
    }
    if (isRunDirectory(dir)) runs.push(listedRun(rootReal, dir, sweep));
    return inSweep;
  });
  const time = (r: RunEntry) => (r.startedAt ? Date.parse(r.startedAt) : 0) || 0;
  runs.sort((a, b) => time(b) - time(a) || a.path.localeCompare(b.path));
  return { runs, sweeps, truncated };
}
