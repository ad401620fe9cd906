import type { BackendChoice } from '@repscope/models';
import { createDefaultEnvironment } from '../../config/resolve';
import { parseOverrides } from '../../config/overrides';
import { loadRawConfig, resolveExperiment } from '../../config/resolve';
import { prepareJobs } from '../../config/prepare';
import { installInterruptHandler, signalExitCode } from '../../run/interrupt';
import type { ProgressMode } from '../../run/progress';
import { runExperiment } from '../../run/runner';
import { formatScalar } from '../format';

export interface RunCommandOptions {
  out?: string;
  backend?: BackendChoice;
  progress?: ProgressMode;
}

/** `repscope run CONFIG [key=value …]` → exit code. */
export async function runCommand(file: string, args: string[], opts: RunCommandOptions): Promise<number> {
  const raw = loadRawConfig(file, parseOverrides(args));
  const resolved = await resolveExperiment(raw, createDefaultEnvironment());
  await prepareJobs([{ exp: resolved }], 'download');
  const interrupt = installInterruptHandler((sig) => process.stderr.write(`\ninterrupting (${sig}): finishing the current step (Ctrl-C again to quit at once)\n`));
  try {
    const outcome = await runExperiment(resolved, { outDir: opts.out, backend: opts.backend, progress: opts.progress, signal: interrupt.signal });
    if (outcome.status === 'completed') {
      const summary = outcome.summary ?? {};
      const shown = Object.entries(summary).filter(([k, v]) => !['artifacts', 'status', 'experiment', 'name'].includes(k) && (v === null || typeof v !== 'object')).slice(0, 12);
      process.stdout.write(`completed: ${outcome.dir}\n${shown.map(([k, v]) => `  ${k}: ${formatScalar(v)}`).join('\n')}\n`);
      return 0;
    }
    process.stderr.write(`${outcome.status}: ${outcome.error?.split('\n')[0] ?? ''}\n  run directory: ${outcome.dir}\n`);
    if (outcome.status === 'failed' && outcome.error?.includes('\n')) process.stderr.write(outcome.error.split('\n').slice(1).join('\n') + '\n');
    return outcome.status === 'interrupted' ? signalExitCode(interrupt.signal.reason as string | undefined) : outcome.invalidInput ? 2 : 1;
  } finally {
    interrupt.dispose();
  }
}
