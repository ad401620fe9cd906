import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InvalidInputError } from '@repscope/models';
import { FolderFileRead, readFolderJson, readFolderText } from '../util/read-json';
import { walkFolders } from '../util/walk-folders';

/** What `repscope runs` and `repscope compare` know about one run directory. */
export interface PastRun {
  path: string;
  experiment: string;
  name: string;
  /** completed | diverged | failed | interrupted | running | running (process gone) | unreadable */
  status: string;
  /** Why the folder is unreadable (a file that is a FIFO, a device, too large, not JSON, …). */
  problem?: string;
  startedAt?: string;
  durationSeconds?: number;
  config: Record<string, unknown>;
  summary: Record<string, unknown>;
}

const SUMMARY_BOOKKEEPING = new Set(['status', 'experiment', 'name', 'seed', 'backend', 'durationSeconds', 'artifacts', 'error']);
/** Folders never searched for runs. */
const MAX_DEPTH = 8;

function readYaml(file: string): FolderFileRead<Record<string, unknown>> {
  const text = readFolderText(file);
  if (text.value === undefined) return { problem: text.problem };
  try {
    const v = parseYaml(text.value, { maxAliasCount: 100 }) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? { value: v as Record<string, unknown> } : { problem: `${file}: expected a mapping` };
  } catch (err) {
    return { problem: `${file}: not valid YAML (${(err as Error).message.split('\n')[0]})` };
  }
}

function processAlive(pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isRunDirectory(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'config.yaml')) && (fs.existsSync(path.join(dir, 'status.json')) || fs.existsSync(path.join(dir, 'summary.json')));
}

/** Read one run directory; a file that cannot be parsed makes the run "unreadable", never an exception. */
export function readPastRun(dir: string): PastRun {
  const reads = [readYaml(path.join(dir, 'config.yaml')), ...['summary.json', 'status.json', 'env.json'].map((f) => readFolderJson(path.join(dir, f)))];
  const [config, summary, status, env] = reads.map((r) => r.value);
  const problem = reads.find((r) => r.problem)?.problem;
  let state = typeof summary?.['status'] === 'string' ? (summary['status'] as string) : typeof status?.['status'] === 'string' ? (status['status'] as string) : 'unreadable';
  if (state === 'running' && !processAlive(status?.['pid'])) state = 'running (process gone)';
  if (!config || problem) state = 'unreadable';
  const startedAt = [status?.['startedAt'], env?.['startedAt']].find((v): v is string => typeof v === 'string');
  const duration = [summary?.['durationSeconds'], env?.['durationSeconds']].find((v): v is number => typeof v === 'number');
  return {
    path: dir,
    // Shared folders are untrusted: only a string is a name (`{toString: 1}` would throw in String()).
    experiment: firstString(config?.['experiment'], summary?.['experiment']) ?? '?',
    name: firstString(config?.['name'], summary?.['name']) ?? path.basename(dir),
    status: state,
    ...(problem ? { problem } : !config ? { problem: `${path.join(dir, 'config.yaml')}: missing` } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
    config: config ?? {},
    summary: summary ?? {},
  };
}

const firstString = (...values: unknown[]): string | undefined => values.find((v): v is string => typeof v === 'string');

/** Every run directory under `root` (sweep jobs included), newest first. */
export function findPastRuns(root: string): PastRun[] {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new InvalidInputError(`${root}: no such directory`, 'E_NOT_FOUND');
  const found: PastRun[] = [];
  walkFolders(path.resolve(root), MAX_DEPTH, (dir) => {
    if (isRunDirectory(dir)) found.push(readPastRun(dir));
    return undefined;
  });
  const time = (r: PastRun) => (r.startedAt ? Date.parse(r.startedAt) : fs.statSync(r.path).mtimeMs) || 0;
  return found.sort((a, b) => time(b) - time(a));
}

/** The summary's own result fields that fit in a table cell (numbers, booleans, short strings). */
export function keySummaryFields(summary: Record<string, unknown>): [string, string | number | boolean | null][] {
  return Object.entries(summary).filter(
    (e): e is [string, string | number | boolean | null] =>
      !SUMMARY_BOOKKEEPING.has(e[0]) && (e[1] === null || typeof e[1] === 'number' || typeof e[1] === 'boolean' || (typeof e[1] === 'string' && e[1].length <= 40)),
  );
}

/** Nested config as dotted key paths → values (arrays kept whole). */
export function flattenConfig(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) for (const [kk, vv] of flattenConfig(v, prefix ? `${prefix}.${k}` : k)) out.set(kk, vv);
  } else if (prefix) {
    out.set(prefix, value);
  }
  return out;
}
