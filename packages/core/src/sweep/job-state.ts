import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { InvalidInputError } from '@repscope/models';
import { folderLockHolder } from '../util/folder-lock';
import type { JobStatus } from './write-sweep-files';
import type { PlannedJob } from './plan';
import { readFolderJson, readFolderText, readJsonObjectIfAny } from '../util/read-json';

/** Per-job locks live beside the job folders, so clearing a job folder never drops its lock. */
export function jobLockDir(outDir: string, dirName: string): string {
  return path.join(outDir, '.locks', dirName);
}

/**
 * The resume rule, shared by every launcher: a job is finished when its folder holds
 * summary.json written with the same resolved config. A finished run of another config means
 * the folder belongs to another sweep, which is refused rather than mixed in.
 */
export function finishedSummary(p: PlannedJob): Record<string, unknown> | undefined {
  const summaryFile = path.join(p.dir, 'summary.json');
  if (!fs.existsSync(summaryFile)) return undefined;
  const configFile = path.join(p.dir, 'config.yaml');
  const existing = readFolderText(configFile).value ?? '';
  if (existing !== toYaml(p.resolved.config, { lineWidth: 0 })) {
    throw new InvalidInputError(
      `${p.dir} holds a finished job run with a different config; this --out belongs to another sweep. Use a new --out, or delete that folder.`,
      'E_SWEEP_MISMATCH',
    );
  }
  return readJsonObjectIfAny(summaryFile);
}

export interface JobDiskState {
  status: JobStatus;
  summary: Record<string, unknown> | null;
  /** First line of the error of a failed, interrupted or killed job. */
  error?: string;
  /** Who is running it (host:pid), when running. */
  runner?: string;
}

/**
 * What a job folder says now: finished (summary.json), running (status.json "running" and a
 * live job lock), killed ("running" but its process is gone), failed / interrupted, or
 * pending (never started).
 */
export function readJobState(outDir: string, dirName: string): JobDiskState {
  const dir = path.join(outDir, dirName);
  const summaryRead = readFolderJson(path.join(dir, 'summary.json'));
  const statusRead = readFolderJson(path.join(dir, 'status.json'));
  const problem = summaryRead.problem ?? statusRead.problem;
  if (problem) return { status: 'unreadable', summary: null, error: problem };
  const summary = summaryRead.value;
  if (summary) return { status: (summary['status'] as JobStatus) ?? 'completed', summary };
  const status = statusRead.value;
  const holder = folderLockHolder(jobLockDir(outDir, dirName));
  const live = holder?.live ? `${holder.host}:${holder.pid}` : undefined;
  if (!status) return live ? { status: 'running', summary: null, runner: live } : { status: 'pending', summary: null };
  const error = typeof status['error'] === 'string' ? status['error'].split('\n')[0] : undefined;
  const recorded = String(status['status'] ?? 'pending') as JobStatus;
  if (recorded === 'running') {
    return live ? { status: 'running', summary: null, runner: live } : { status: 'killed', summary: null, error: error ?? 'its process ended without recording a result (killed)' };
  }
  return { status: recorded, summary: null, error };
}
