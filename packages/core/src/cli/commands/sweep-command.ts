import type { BackendChoice } from '../../backend/select-backend';
import { createDefaultEnvironment } from '../../builtins';
import { parseSweepArguments } from '../../config/overrides';
import { loadRawConfig } from '../../config/resolve';
import { countSweepJobs, SWEEP_CONFIRM_JOBS } from '../../sweep/expand';
import { InvalidInputError } from '../../util/errors';
import { installInterruptHandler } from '../../run/interrupt';
import type { ProgressMode } from '../../run/progress';
import { runSweep } from '../../sweep/run-sweep';

export interface SweepCommandOptions {
  out?: string;
  jobs?: string;
  backend?: BackendChoice;
  progress?: ProgressMode;
  yes?: boolean;
}

export async function sweepCommand(file: string, args: string[], opts: SweepCommandOptions): Promise<number> {
  const jobs = opts.jobs === undefined ? 1 : Number(opts.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new InvalidInputError(`--jobs: must be a positive integer (got ${opts.jobs})`);
  const { overrides, axes } = parseSweepArguments(args);
  const raw = loadRawConfig(file, overrides);
  const count = countSweepJobs(raw.data['sweep'], axes, raw.locations);
  if (count > SWEEP_CONFIRM_JOBS && !opts.yes) {
    throw new InvalidInputError(`${file}: this sweep has ${count} jobs (more than ${SWEEP_CONFIRM_JOBS}); run it with --yes if that is what you mean`, 'E_SWEEP_CONFIRM');
  }
  const interrupt = installInterruptHandler(() => process.stderr.write('\ninterrupting the sweep: running jobs stop at their next step\n'));
  try {
    const result = await runSweep(
      file,
      { overrides, axes, outDir: opts.out, jobs, backend: opts.backend, progress: jobs > 1 ? 'lines' : opts.progress, signal: interrupt.signal },
      createDefaultEnvironment(),
    );
    const counts = new Map<string, number>();
    for (const r of result.records) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const tally = [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
    process.stdout.write(`sweep: ${tally} (${result.skipped} skipped as already finished)\n  ${result.outDir}/sweep.csv\n`);
    if (result.interrupted) return 130;
    return result.records.every((r) => r.status === 'completed') ? 0 : 1;
  } finally {
    interrupt.dispose();
  }
}
