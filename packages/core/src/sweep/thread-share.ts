import * as os from 'node:os';

/** Cores this process may use: Slurm's allocation when inside a Slurm job, else the machine's. */
export function availableCores(env: NodeJS.ProcessEnv = process.env): number {
  for (const key of ['SLURM_CPUS_PER_TASK', ...(env['SLURM_JOB_ID'] ? ['SLURM_CPUS_ON_NODE'] : [])]) {
    const v = env[key];
    if (v && /^\d+$/.test(v) && Number(v) > 0) return Number(v);
  }
  return os.availableParallelism();
}

/** Each of `jobs` concurrent jobs gets cores ÷ jobs wasm threads (at least 1), so N workers never run N × cores threads. */
export function threadShare(jobs: number, env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(1, Math.floor(availableCores(env) / Math.max(1, jobs)));
}

/**
 * The REPSCOPE_WASM_THREADS a sweep job should see: a value the user set wins; otherwise the
 * share, set only when it differs from what the backend would pick by itself (all cores).
 */
export function threadEnvironment(jobs: number, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env['REPSCOPE_WASM_THREADS']) return {};
  const share = threadShare(jobs, env);
  return share === os.availableParallelism() && jobs === 1 ? {} : { REPSCOPE_WASM_THREADS: String(share) };
}
