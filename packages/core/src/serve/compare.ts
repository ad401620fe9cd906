import * as path from 'node:path';
import { errorMessage } from '@repscope/models';
import { flattenConfig, isRunDirectory, readPastRun } from '../run/past-runs';
import { renderVegaLiteSvg } from '../report/plot';
import { metricsChartSpec } from '../report/metrics-chart';
import type { MetricPoint } from '../report/metric-plot-data';
import { containStrayErrors } from '../util/contain-stray-errors';
import { escapeHtml } from '../report/escape-html';
import { runFileOutside } from './folder-scan';
import { readMetricsTail } from './metrics-tail';

/** At most this many runs in one comparison, and this many charts. */
export const MAX_COMPARED_RUNS = 12;
export const MAX_COMPARE_CHARTS = 24;

export interface ComparedRun {
  path: string;
  label: string;
  status: string;
  problem?: string;
}

export interface Comparison {
  runs: ComparedRun[];
  /** Flattened config key → each run's value (null where absent); only keys that differ. */
  configDifferences: Record<string, unknown[]>;
  /** One chart per metric, one line per run. */
  charts: { metric: string; svg: string }[];
  /** Runs whose metrics.jsonl was longer than the cap: only its end is drawn. */
  truncated: string[];
}

/** Run folders (already resolved inside the served folder) → config differences and overlaid metric curves. */
export async function compareRuns(rootReal: string, dirs: { rel: string; real: string }[]): Promise<Comparison> {
  const runs: ComparedRun[] = [];
  const configs: Map<string, unknown>[] = [];
  const series = new Map<string, MetricPoint[]>();
  const truncated: string[] = [];
  dirs.forEach(({ rel, real }, i) => {
    const label = `#${i + 1}`;
    const outside = runFileOutside(rootReal, real);
    if (outside || !isRunDirectory(real)) {
      runs.push({ path: rel, label, status: 'unreadable', problem: outside ? `${outside}: links outside the served folder` : 'not a run folder' });
      configs.push(new Map());
      return;
    }
    const run = readPastRun(real);
    runs.push({ path: rel, label: `${label} ${run.name}`, status: run.status, ...(run.problem ? { problem: run.problem } : {}) });
    configs.push(flattenConfig(run.config));
    const tail = readMetricsTail(path.join(real, 'metrics.jsonl'));
    if (tail.truncated) truncated.push(rel);
    tail.rows.forEach((row, n) => {
      const x = typeof row['step'] === 'number' ? row['step'] : n;
      for (const [key, value] of Object.entries(row)) {
        if (key === 'step' || typeof value !== 'number' || !Number.isFinite(value)) continue;
        let points = series.get(key);
        if (!points) series.set(key, (points = []));
        points.push({ x, value, group: runs[i]!.label });
      }
    });
  });
  const keys = [...new Set(configs.flatMap((c) => [...c.keys()]))].filter((k) => k !== 'name').sort();
  const configDifferences = Object.fromEntries(
    keys.filter((k) => new Set(configs.map((c) => JSON.stringify(c.get(k) ?? null))).size > 1).map((k) => [k, configs.map((c) => c.get(k) ?? null)]),
  );
  const charts: Comparison['charts'] = [];
  for (const [metric, points] of [...series.entries()].slice(0, MAX_COMPARE_CHARTS)) {
    const spec = metricsChartSpec({ series: new Map([[metric, points]]), x: { title: 'step', categorical: false }, groupTitle: 'run' });
    if (!spec) continue;
    let svg: string;
    try {
      svg = await containStrayErrors(() => renderVegaLiteSvg(spec));
    } catch (err) {
      svg = `<p>(chart could not be rendered: ${escapeHtml(errorMessage(err))})</p>`;
    }
    charts.push({ metric, svg });
  }
  return { runs, configDifferences, charts, truncated };
}
