import { createDefaultEnvironment } from '../../builtins';
import { parseSweepArguments } from '../../config/overrides';
import { loadRawConfig, resolveExperiment } from '../../config/resolve';
import { planSweep } from '../../sweep/run-sweep';

/** Validate a config — every job of it when it sweeps — without running anything. */
export async function validateCommand(file: string, args: string[]): Promise<number> {
  const env = createDefaultEnvironment();
  const { overrides, axes } = parseSweepArguments(args);
  const raw = loadRawConfig(file, overrides);
  if (raw.data['sweep'] !== undefined || axes.length > 0) {
    const plan = await planSweep(file, { overrides, axes }, env);
    process.stdout.write(`${file}: valid sweep of ${plan.jobs.length} jobs (experiment "${plan.jobs[0]!.resolved.config.experiment}")\n`);
    return 0;
  }
  const resolved = await resolveExperiment(raw, env);
  const model = resolved.config.model ? `, model ${resolved.config.model.kind}` : '';
  process.stdout.write(`${file}: valid (experiment "${resolved.config.experiment}"${model})\n`);
  return 0;
}
