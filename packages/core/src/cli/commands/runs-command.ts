import * as fs from 'node:fs';
import * as path from 'node:path';
import { findPastRuns, flattenConfig, isRunDirectory, keySummaryFields, PastRun, readPastRun } from '../../run/past-runs';
import { formatSeconds } from '../../run/progress';
import { InvalidInputError } from '@repscope/models';
import { formatScalar, textTable } from '../format';
import { terminalSafe } from '../../util/terminal-text';

function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, '') : '?';
}

function relative(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

function headline(run: PastRun): string {
  if (run.problem) return run.problem;
  return keySummaryFields(run.summary)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'boolean')
    .slice(0, 3)
    .map(([k, v]) => `${k}=${formatScalar(v)}`)
    .join(' ');
}

/** `repscope runs [DIR] [--json]`: past runs under DIR (default ./runs), newest first. */
export async function runsCommand(dir: string | undefined, opts: { json?: boolean }): Promise<number> {
  const root = dir ?? 'runs';
  const runs = findPastRuns(root);
  if (opts.json) {
    process.stdout.write(
      JSON.stringify(
        runs.map((r) => ({ path: r.path, experiment: r.experiment, name: r.name, status: r.status, ...(r.problem ? { problem: r.problem } : {}), startedAt: r.startedAt ?? null, durationSeconds: r.durationSeconds ?? null, summary: Object.fromEntries(keySummaryFields(r.summary)) })),
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write(`no runs under ${root}\n`);
    return 0;
  }
  const rows = runs.map((r) => [shortTime(r.startedAt), r.experiment, r.name, r.status, headline(r), r.durationSeconds !== undefined ? formatSeconds(r.durationSeconds) : '-', relative(r.path)]);
  process.stdout.write(textTable(['started (UTC)', 'experiment', 'name', 'status', 'result', 'duration', 'path'], rows) + '\n');
  return 0;
}

/** Config values as written (0.1, not 0.10000); summary values rounded for reading. */
function cell(v: unknown, exact = false): string {
  if (v === undefined) return '-';
  if (exact && typeof v === 'number') return String(v);
  if (v !== null && typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 40 ? s.slice(0, 39) + '…' : s;
  }
  return typeof v === 'string' ? v : formatScalar(v);
}

/** `repscope compare RUN RUN…`: the config keys that differ, then the summaries side by side. */
export async function compareCommand(dirs: string[], opts: { json?: boolean }): Promise<number> {
  if (dirs.length < 2) throw new InvalidInputError('compare: give at least two run directories', 'E_ARGS');
  const runs = dirs.map((d) => {
    if (!fs.existsSync(d)) throw new InvalidInputError(`${d}: no such directory`, 'E_NOT_FOUND');
    if (!isRunDirectory(d)) throw new InvalidInputError(`${d}: not a run directory (expected config.yaml and summary.json or status.json)`, 'E_NOT_A_RUN');
    return readPastRun(path.resolve(d));
  });
  const configs = runs.map((r) => flattenConfig(r.config));
  const configKeys = [...new Set(configs.flatMap((c) => [...c.keys()]))].filter((k) => k !== 'name');
  const differs = configKeys.filter((k) => new Set(configs.map((c) => JSON.stringify(c.get(k)))).size > 1);
  const summaries = runs.map((r) => new Map<string, unknown>([['status', r.status], ...keySummaryFields(r.summary), ['durationSeconds', r.durationSeconds]]));
  const summaryKeys = [...new Set(summaries.flatMap((s) => [...s.keys()]))];
  if (opts.json) {
    process.stdout.write(
      JSON.stringify(
        {
          runs: runs.map((r) => r.path),
          configDifferences: Object.fromEntries(differs.map((k) => [k, configs.map((c) => c.get(k) ?? null)])),
          summaries: Object.fromEntries(summaryKeys.map((k) => [k, summaries.map((s) => s.get(k) ?? null)])),
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const labels = runs.map((_, i) => `#${i + 1}`);
  const out: string[] = runs.map((r, i) => terminalSafe(`${labels[i]}  ${r.experiment} · ${r.name}  ${relative(r.path)}`));
  out.push('');
  out.push(differs.length ? `config: ${differs.length} key(s) differ` : 'config: identical (apart from name)');
  if (differs.length) out.push(textTable(['key', ...labels], differs.map((k) => [k, ...configs.map((c) => cell(c.get(k), true))])));
  out.push('');
  out.push('summary (* = differs)');
  out.push(
    textTable(
      ['key', ...labels],
      summaryKeys.map((k) => {
        const values = summaries.map((s) => s.get(k));
        const mark = new Set(values.map((v) => JSON.stringify(v))).size > 1 ? '*' : ' ';
        return [`${mark} ${k}`, ...values.map((v) => cell(v))];
      }),
    ),
  );
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
