import * as path from 'node:path';
import { writeJsonAtomic } from '@repscope/models';
import { readFolderText } from '../../util/read-json';

export interface Submission {
  jobId: string;
  array: string;
  jobs: number[];
  submittedAt: string;
}

export function slurmDir(outDir: string): string {
  return path.join(outDir, 'slurm');
}

/** DIR/slurm/submissions.json: every array submitted for this sweep, oldest first. */
export function readSubmissions(outDir: string): Submission[] {
  const text = readFolderText(path.join(slurmDir(outDir), 'submissions.json')).value;
  try {
    const parsed = text === undefined ? [] : (JSON.parse(text) as unknown);
    return Array.isArray(parsed) ? parsed.filter((s): s is Submission => !!s && typeof s.jobId === 'string' && /^\d+$/.test(s.jobId) && Array.isArray(s.jobs)) : [];
  } catch {
    return [];
  }
}

export function appendSubmission(outDir: string, submission: Submission): void {
  writeJsonAtomic(path.join(slurmDir(outDir), 'submissions.json'), [...readSubmissions(outDir), submission]);
}
