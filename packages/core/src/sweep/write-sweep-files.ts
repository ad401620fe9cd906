import { stringify as toCsv } from 'csv-stringify/sync';
import { writeFileAtomic, writeJsonAtomic } from '@repscope/models';
import * as path from 'node:path';
import { isTrainingStepAxis, trainingStepOf } from './training-step';

/** `unreadable`: its folder's status or summary file is not a file repscope can read (a FIFO, a device, too large, not JSON). */
export type JobStatus = 'pending' | 'running' | 'completed' | 'diverged' | 'interrupted' | 'failed' | 'killed' | 'unreadable';

export interface SweepRecord {
  job: number;
  dir: string;
  overrides: Record<string, unknown>;
  status: JobStatus;
  /** True when this invocation found the job already finished and did not run it. */
  resumed?: boolean;
  summary: Record<string, unknown> | null;
  error?: string;
}

/** Keys that describe the summary rather than hold a result: no column of their own. */
const ABOUT_THE_SUMMARY = new Set(['artifacts', 'summaryRoles']);

/** Scalar summary fields, nested mappings flattened one level (`residual.mean`); lists left out. */
export function scalarFields(summary: Record<string, unknown> | null): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  if (!summary) return out;
  const visit = (prefix: string, value: unknown, depth: number): void => {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[prefix] = value as string | number | boolean | null;
    else if (depth < 1 && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) visit(`${prefix}.${k}`, v, depth + 1);
    }
  };
  for (const [k, v] of Object.entries(summary)) if (!ABOUT_THE_SUMMARY.has(k)) visit(k, v, 0);
  return out;
}

/** sweep.json (everything) and sweep.csv (one row per job: overrides and scalar results). */
export function writeSweepFiles(dir: string, records: SweepRecord[]): void {
  writeJsonAtomic(path.join(dir, 'sweep.json'), records);
  const overrideKeys = unique(records.flatMap((r) => Object.keys(r.overrides)));
  // An axis over checkpoints along training also gets the step as a number of its own column.
  const stepKeys = overrideKeys.filter((k) => isTrainingStepAxis(records.map((r) => r.overrides[k])));
  const resultKeys = unique(records.flatMap((r) => Object.keys(scalarFields(r.summary)))).filter((k) => !overrideKeys.includes(k) && k !== 'status');
  const header = ['job', 'dir', 'status', ...overrideKeys, ...stepKeys.map((k) => `${k}:trainingStep`), ...resultKeys];
  const rows = records.map((r) => {
    const fields = scalarFields(r.summary);
    return [r.job, r.dir, r.status, ...overrideKeys.map((k) => cell(r.overrides[k])), ...stepKeys.map((k) => trainingStepOf(r.overrides[k])!), ...resultKeys.map((k) => cell(fields[k]))];
  });
  // csv-stringify writes false as an empty cell by default, indistinguishable from "missing".
  writeFileAtomic(path.join(dir, 'sweep.csv'), toCsv([header, ...rows], { cast: { boolean: (b) => String(b), string: spreadsheetSafe } }));
}

function cell(v: unknown): string | number | boolean {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return v as string | number | boolean;
}

/**
 * A text cell a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
 * carriage return) gets a leading apostrophe, as OWASP recommends against CSV injection; the
 * spreadsheet shows the text, and sweep.json keeps the exact value. Numbers are numbers, untouched.
 */
export function spreadsheetSafe(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
