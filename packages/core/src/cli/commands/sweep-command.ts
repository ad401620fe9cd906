import * as path from 'node:path';
import type { BackendChoice } from '@repscope/models';
import { createDefaultEnvironment } from '../../config/resolve';
import { parseSweepArguments } from '../../config/overrides';
import { loadRawConfig } from '../../config/resolve';
import { countSweepJobs, SWEEP_CONFIRM_JOBS } from '../../sweep/expand';
import { InvalidInputError } from '@repscope/models';
import { installInterruptHandler } from '../../run/interrupt';
import type { ProgressMode } from '../../run/progress';
import { LauncherSettings } from '../../sweep/launcher';
import { readSweepManifest } from '../../sweep/manifest';
import { isDirectory } from '../../sweep/plan';
import { runSweep, selectedRecords } from '../../sweep/run-sweep';
import { submitSlurmSweep } from '../../sweep/slurm/submit';
import { formatStatus, sweepStatus } from '../../sweep/status';
import { threadEnvironment } from '../../sweep/thread-share';

export interface SweepCommandOptions {
  out?: string;
  jobs?: string;
  backend?: BackendChoice;
  progress?: ProgressMode;
  yes?: boolean;
  launcher?: 'local' | 'slurm';
  status?: boolean;
  shard?: string;
  jobIndex?: string;
  partition?: string;
  time?: string;
  cpusPerTask?: string;
  mem?: string;
  gpus?: string;
  account?: string;
  qos?: string;
  sbatch?: string[];
  setup?: string[];
  dryRun?: boolean;
  wait?: boolean;
}

/** `repscope sweep CONFIG|DIR …`: run a sweep here, submit it to Slurm, run one shard or job, or report its status. */
export async function sweepCommand(target: string, args: string[], opts: SweepCommandOptions): Promise<number> {
  let file = target;
  let outDir = opts.out;
  if (isDirectory(target)) {
    // A sweep folder stands for its config and arguments, fixed in its jobs.json.
    const manifest = readSweepManifest(target);
    if (args.length) throw new InvalidInputError(`${target} is a sweep folder: its overrides are fixed in jobs.json (${manifest.arguments.join(' ') || 'none'}); give the config file to sweep with other ones`);
    if (opts.out && path.resolve(opts.out) !== path.resolve(target)) throw new InvalidInputError(`--out ${opts.out}: a sweep folder runs into itself (${target})`);
    file = manifest.config;
    args = manifest.arguments;
    outDir = target;
  }
  if (opts.status) {
    if (!outDir) throw new InvalidInputError('--status needs the sweep folder: `repscope sweep DIR --status` (or CONFIG --out DIR --status)');
    process.stdout.write(formatStatus(outDir, sweepStatus(outDir)));
    return 0;
  }
  const jobs = opts.jobs === undefined ? 1 : Number(opts.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new InvalidInputError(`--jobs: must be a positive integer (got ${opts.jobs})`);
  const select = selection(opts);
  const { overrides, axes } = parseSweepArguments(args);
  const raw = loadRawConfig(file, overrides);
  const count = countSweepJobs(raw.data['sweep'], axes, raw.locations);
  if (count > SWEEP_CONFIRM_JOBS && !opts.yes && !select && !opts.status) {
    throw new InvalidInputError(`${file}: this sweep has ${count} jobs (more than ${SWEEP_CONFIRM_JOBS}); run it with --yes if that is what you mean`, 'E_SWEEP_CONFIRM');
  }
  const configured = (raw.data['launcher'] as { kind?: unknown } | undefined)?.kind;
  const launcher = opts.launcher ?? (select ? 'local' : configured === 'slurm' ? 'slurm' : 'local');
  if (launcher === 'slurm' && select) throw new InvalidInputError('--shard and --job-index run jobs on this machine; they cannot be combined with --launcher slurm');

  const env = createDefaultEnvironment();
  const interrupt = installInterruptHandler(() => process.stderr.write('\ninterrupting the sweep: running jobs stop at their next step\n'));
  try {
    if (launcher === 'slurm') return await submit(file, { overrides, axes, outDir, jobs: opts.jobs === undefined ? undefined : jobs, backend: opts.backend }, opts, interrupt.signal, env);
    if (jobs === 1) Object.assign(process.env, threadEnvironment(1));
    const result = await runSweep(
      file,
      { overrides, axes, outDir, jobs, backend: opts.backend, progress: jobs > 1 ? 'lines' : opts.progress, signal: interrupt.signal, select },
      env,
    );
    const mine = selectedRecords(result);
    const counts = new Map<string, number>();
    for (const r of mine) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const tally = [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
    const busy = result.busy ? `, ${result.busy} left to another process` : '';
    process.stdout.write(`sweep: ${tally} (${result.skipped} skipped as already finished${busy})\n  ${result.outDir}/sweep.csv\n  ${result.outDir}/report.html\n`);
    if (result.interrupted) return 130;
    return mine.every((r) => r.status === 'completed' || r.status === 'running') ? 0 : 1;
  } finally {
    interrupt.dispose();
  }
}

function selection(opts: SweepCommandOptions): ((index: number) => boolean) | undefined {
  if (opts.shard !== undefined && opts.jobIndex !== undefined) throw new InvalidInputError('--shard and --job-index: give one of them');
  if (opts.jobIndex !== undefined) {
    if (!/^\d+$/.test(opts.jobIndex)) throw new InvalidInputError(`--job-index: must be a job index 0, 1, … (got ${opts.jobIndex})`);
    const k = Number(opts.jobIndex);
    return (i) => i === k;
  }
  if (opts.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(opts.shard);
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new InvalidInputError(`--shard: must be I/N with 0 ≤ I < N, e.g. 0/4 (got ${opts.shard})`);
    const [i, n] = [Number(m[1]), Number(m[2])];
    return (index) => index % n === i;
  }
  return undefined;
}

async function submit(
  file: string,
  base: { overrides: ReturnType<typeof parseSweepArguments>['overrides']; axes: ReturnType<typeof parseSweepArguments>['axes']; outDir?: string; jobs?: number; backend?: BackendChoice },
  opts: SweepCommandOptions,
  signal: AbortSignal,
  env: ReturnType<typeof createDefaultEnvironment>,
): Promise<number> {
  const flags: Partial<Record<keyof LauncherSettings, unknown>> = {
    partition: opts.partition,
    time: opts.time !== undefined && /^\d+$/.test(opts.time) ? Number(opts.time) : opts.time,
    cpusPerTask: opts.cpusPerTask !== undefined && /^\d+$/.test(opts.cpusPerTask) ? Number(opts.cpusPerTask) : opts.cpusPerTask,
    mem: opts.mem,
    gpus: opts.gpus !== undefined && /^\d+$/.test(opts.gpus) ? Number(opts.gpus) : opts.gpus,
    account: opts.account,
    qos: opts.qos,
    sbatch: opts.sbatch,
    setup: opts.setup,
  };
  const r = await submitSlurmSweep(file, { ...base, flags, dryRun: opts.dryRun, wait: opts.wait, signal }, env);
  const head = `sweep: ${r.total} jobs in ${r.outDir}: ${r.finished} finished, ${r.active} queued or running`;
  if (r.submitted.length === 0) {
    process.stdout.write(`${head}; nothing to submit\n  status: repscope sweep ${r.outDir} --status\n`);
  } else if (!r.jobId) {
    process.stdout.write(`${head}; ${r.submitted.length} to submit — batch script written, not submitted (--dry-run):\n  ${r.script}\n`);
  } else {
    process.stdout.write(`${head}, ${r.submitted.length} submitted as Slurm job array ${r.jobId}\n  script: ${r.script}\n  status: repscope sweep ${r.outDir} --status\n`);
  }
  if (!opts.wait || !r.jobId) return 0;
  const status = sweepStatus(r.outDir);
  process.stdout.write(formatStatus(r.outDir, status));
  if (signal.aborted) return 130;
  return status.rows.every((row) => row.status === 'completed') ? 0 : 1;
}
