import { stringify as toYaml } from 'yaml';
import { createDefaultEnvironment } from '../../config/resolve';
import { parseSweepArguments } from '../../config/overrides';
import { loadRawConfig, resolveExperiment } from '../../config/resolve';
import { planSweep } from '../../sweep/run-sweep';
import { checkableJobs } from '../../sweep/plan';
import { prepareJobs } from '../../config/prepare';

export interface ValidateOptions {
  /** Print the fully resolved config (a sweep's first job) as YAML, as a run would write it. */
  print?: boolean;
  /** Print each sweep job's overrides, one line per job. */
  jobsList?: boolean;
}

const yaml = (config: unknown) => toYaml(config, { lineWidth: 0 });

/** Validate a config — every job of it when it sweeps — without running anything. */
export async function validateCommand(file: string, args: string[], opts: ValidateOptions = {}): Promise<number> {
  const env = createDefaultEnvironment();
  // With --print/--jobs-list, stdout carries only the YAML or the list (so it can be piped).
  const say = (line: string) => (opts.print || opts.jobsList ? process.stderr : process.stdout).write(line);
  const { overrides, axes } = parseSweepArguments(args);
  const raw = loadRawConfig(file, overrides);
  if (raw.data['sweep'] !== undefined || axes.length > 0) {
    const plan = await planSweep(file, { overrides, axes }, env);
    for (const note of await prepareJobs(checkableJobs(plan.jobs), 'headers')) say(note + '\n');
    if (opts.jobsList) for (const { job } of plan.jobs) process.stdout.write(`${String(job.index).padStart(3)}  ${job.label}\n`);
    if (opts.print) process.stdout.write(`# job 0 of ${plan.jobs.length}: ${plan.jobs[0]!.job.label}\n${yaml(plan.jobs[0]!.resolved.config)}`);
    say(`${file}: valid sweep of ${plan.jobs.length} jobs (experiment "${plan.jobs[0]!.resolved.config.experiment}")\n`);
    return 0;
  }
  const resolved = await resolveExperiment(raw, env);
  for (const note of await prepareJobs([{ exp: resolved }], 'headers')) say(note + '\n');
  if (opts.print) process.stdout.write(yaml(resolved.config));
  const model = resolved.config.model ? `, model ${resolved.config.model.kind}` : '';
  say(`${file}: valid (experiment "${resolved.config.experiment}"${model})\n`);
  return 0;
}
