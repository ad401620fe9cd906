import { terminalSafe } from '../util/terminal-text';
import * as os from 'node:os';
import * as path from 'node:path';
import { folderLockHolder } from '../util/folder-lock';
import { sweepRecords } from './aggregate';
import type { SweepRecord } from './write-sweep-files';
import { jobLockDir } from './job-state';
import { readSweepManifest } from './manifest';
import { describeIdenticalWeights, identicalWeights } from './identical-weights';
import { accountedTasks, queuedTasks } from './slurm/slurm-commands';
import { readSubmissions } from './slurm/submissions';

export interface JobStatusRow extends SweepRecord {
  /** Slurm's word for the job's latest task (PENDING, RUNNING, TIMEOUT, CANCELLED…), when known. */
  slurm?: string;
}

/** `queued` is a job waiting in Slurm's queue; `pending` one that is neither queued nor started. */
export type StatusKey = SweepRecord['status'] | 'queued';

export function statusOf(row: JobStatusRow): StatusKey {
  return row.status === 'pending' && row.slurm?.startsWith('PENDING') ? 'queued' : row.status;
}

/**
 * Every job's state from its run folder, with Slurm's view laid over it for sweeps submitted
 * there: queued tasks, and tasks that ended without recording anything (a time limit or
 * scancel that arrived as SIGKILL, a node failure).
 */
export function sweepStatus(outDir: string): { rows: JobStatusRow[]; counts: Map<StatusKey, number>; notes: string[] } {
  const manifest = readSweepManifest(outDir);
  const records = sweepRecords(outDir, manifest);
  const submissions = readSubmissions(outDir);
  const ids = submissions.map((s) => s.jobId);
  const queue = queuedTasks(ids);
  const accounting = accountedTasks(ids);
  const submitted = new Set(submissions.flatMap((s) => s.jobs));
  const dirs = new Map(manifest.jobs.map((j) => [j.job, j.dir]));
  const rows = records.map((r): JobStatusRow => {
    const q = queue.get(r.job);
    const a = accounting.get(r.job);
    const slurm = q ? `${q.state}${q.reason ? ` (${q.reason})` : ''}` : a ? `${a.state}${a.reason ? ` (${a.reason})` : ''}` : undefined;
    if (r.status === 'running' && submitted.has(r.job) && ids.length && !q) {
      const holder = folderLockHolder(jobLockDir(outDir, dirs.get(r.job)!));
      if (holder && holder.host !== os.hostname()) return { ...r, status: 'killed', error: r.error ?? `its Slurm task ended without recording a result${a ? ` (${a.state})` : ''}`, slurm };
    }
    return { ...r, slurm };
  });
  const counts = new Map<StatusKey, number>();
  for (const row of rows) counts.set(statusOf(row), (counts.get(statusOf(row)) ?? 0) + 1);
  return { rows, counts, notes: describeIdenticalWeights(identicalWeights(outDir, manifest)) };
}

const ORDER: StatusKey[] = ['completed', 'diverged', 'running', 'queued', 'pending', 'failed', 'killed', 'interrupted', 'unreadable'];

export function formatStatus(outDir: string, status: ReturnType<typeof sweepStatus>): string {
  const tally = ORDER.filter((s) => status.counts.get(s)).map((s) => `${status.counts.get(s)} ${s}`).join(', ');
  const header = ['job', 'status', 'slurm', 'folder', 'error'];
  const lines = status.rows.map((r) => [String(r.job), statusOf(r), r.slurm ?? '', r.dir, r.error ?? ''].map(terminalSafe));
  const showSlurm = lines.some((l) => l[2]);
  const columns = showSlurm ? [0, 1, 2, 3, 4] : [0, 1, 3, 4];
  const widths = columns.map((c) => Math.max(header[c]!.length, ...lines.map((l) => l[c]!.length)));
  const fmt = (cells: string[]) => columns.map((c, i) => (i === columns.length - 1 ? cells[c]! : cells[c]!.padEnd(widths[i]!))).join('  ').trimEnd();
  const notes = status.notes.map((n) => `note: ${terminalSafe(n)}`);
  return [`sweep ${path.resolve(outDir)}: ${status.rows.length} jobs — ${tally}`, fmt(header), ...lines.map(fmt), ...notes].join('\n') + '\n';
}
