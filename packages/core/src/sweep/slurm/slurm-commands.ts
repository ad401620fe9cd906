import { spawnSync } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  stdout: string;
  /** First line of stderr (or why the command could not start). */
  error: string;
}

/** Run a Slurm client command; never throws (a missing command is a result, not a crash). */
export function slurmCommand(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): CommandResult {
  const r = spawnSync(command, args, { cwd: options.cwd, encoding: 'utf8', timeout: options.timeoutMs ?? 30_000 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, stdout: '', error: missing ? `${command} not found on PATH` : r.error.message };
  }
  const error = (r.stderr ?? '').trim().split('\n')[0] ?? '';
  return { ok: r.status === 0, stdout: r.stdout ?? '', error: error || (r.status === 0 ? '' : `${command} exited with code ${r.status}`) };
}

export function hasSlurm(): boolean {
  return slurmCommand('sbatch', ['--version'], { timeoutMs: 10_000 }).ok;
}

export type TaskState = { state: string; reason?: string };

/**
 * Queue state of the array tasks of these Slurm jobs: `jobId → (task → state)`. Pending
 * tasks are listed one by one (`--array`). Empty when squeue is unavailable.
 */
export function queuedTasks(jobIds: string[]): Map<number, TaskState> {
  const out = new Map<number, TaskState>();
  if (jobIds.length === 0) return out;
  const wanted = new Set(jobIds);
  const r = slurmCommand('squeue', ['--noheader', '--array', '--format=%F|%K|%T|%r']);
  if (!r.ok) return out;
  for (const line of r.stdout.split('\n')) {
    const [job, task, state, reason] = line.trim().split('|');
    if (!job || !wanted.has(job) || !task || !/^\d+$/.test(task)) continue;
    out.set(Number(task), { state: state ?? 'UNKNOWN', reason: reason && reason !== 'None' ? reason : undefined });
  }
  return out;
}

/**
 * Final Slurm states of array tasks (COMPLETED, FAILED, TIMEOUT, CANCELLED, OUT_OF_MEMORY…)
 * from accounting, newest submission last so it wins. Empty when accounting is off.
 */
export function accountedTasks(jobIds: string[]): Map<number, TaskState> {
  const out = new Map<number, TaskState>();
  if (jobIds.length === 0) return out;
  const r = slurmCommand('sacct', ['--noheader', '--parsable2', '-X', `--jobs=${jobIds.join(',')}`, '--format=JobID,State,ExitCode']);
  if (!r.ok) return out;
  const order = new Map(jobIds.map((id, i) => [id, i]));
  const rows = r.stdout
    .split('\n')
    .map((l) => l.trim().split('|'))
    .filter((f) => /^\d+_\d+$/.test(f[0] ?? ''))
    .sort((a, b) => (order.get(a[0]!.split('_')[0]!) ?? 0) - (order.get(b[0]!.split('_')[0]!) ?? 0));
  for (const [id, state, exit] of rows) out.set(Number(id!.split('_')[1]), { state: (state ?? '').split(' ')[0]!, reason: exit && exit !== '0:0' ? `exit ${exit}` : undefined });
  return out;
}
