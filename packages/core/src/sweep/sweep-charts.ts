import type { TopLevelSpec } from 'vega-lite';
import { isTrainingStepAxis, trainingStepOf } from './training-step';
import { scalarFields, SweepRecord } from './write-sweep-files';

/** Summary fields that say how a run went, not what it found: shown in the table, not charted. */
const NOT_CHARTED = new Set(['seed', 'durationSeconds', 'steps']);
const MAX_CHARTS = 40;

export interface SweepChart {
  field: string;
  axis: string;
  spec: TopLevelSpec;
}

/** Text for an axis value in legends and tables (booleans and mappings included). */
export function valueLabel(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Numeric summary fields that differ between finished jobs (constants make flat, useless charts). */
export function chartedFields(records: SweepRecord[], axes: string[]): string[] {
  const values = new Map<string, Set<number>>();
  for (const r of records) {
    for (const [k, v] of Object.entries(scalarFields(r.summary))) {
      if (typeof v !== 'number' || !Number.isFinite(v) || axes.includes(k) || NOT_CHARTED.has(k)) continue;
      if (!values.has(k)) values.set(k, new Set());
      values.get(k)!.add(v);
    }
  }
  return [...values.entries()].filter(([, s]) => s.size > 1).map(([k]) => k);
}

/**
 * For each charted field, one chart against each swept axis: one line per combination of the
 * other axes; a seed axis is folded into mean ± spread (min–max band) instead of getting
 * lines of its own. A seed axis is only an x-axis when it is the only axis.
 */
export function sweepCharts(records: SweepRecord[], axes: string[]): SweepChart[] {
  const seedAxis = axes.includes('seed') ? 'seed' : undefined;
  const xAxes = axes.length > 1 ? axes.filter((a) => a !== seedAxis) : axes;
  const charts: SweepChart[] = [];
  for (const field of chartedFields(records, axes)) {
    for (const axis of xAxes) {
      if (charts.length >= MAX_CHARTS) return charts;
      charts.push({ field, axis, spec: chartSpec(records, field, axis, axes.filter((a) => a !== axis && a !== seedAxis), Boolean(seedAxis && axis !== seedAxis)) });
    }
  }
  return charts;
}

interface Point {
  x: number | string;
  series: string;
  y: number;
  lo: number;
  hi: number;
  n: number;
}

function chartSpec(records: SweepRecord[], field: string, axis: string, seriesAxes: string[], foldSeed: boolean): TopLevelSpec {
  const groups = new Map<string, { x: unknown; series: string; ys: number[] }>();
  // Checkpoints along training (`…@step1000`, `…/step-000050`): x is the step, not the path.
  const byStep = isTrainingStepAxis(records.map((r) => r.overrides[axis]));
  for (const r of records) {
    const y = scalarFields(r.summary)[field];
    if (typeof y !== 'number' || !Number.isFinite(y)) continue;
    const x = byStep ? trainingStepOf(r.overrides[axis]) : r.overrides[axis];
    const series = seriesAxes.map((a) => `${a}=${valueLabel(r.overrides[a])}`).join(', ') || field;
    const key = JSON.stringify([valueLabel(x), series]);
    if (!groups.has(key)) groups.set(key, { x, series, ys: [] });
    groups.get(key)!.ys.push(y);
  }
  const numericX = [...groups.values()].every((g) => typeof g.x === 'number');
  const points: Point[] = [...groups.values()].map((g) => ({
    x: numericX ? (g.x as number) : valueLabel(g.x),
    series: g.series,
    y: g.ys.reduce((a, b) => a + b, 0) / g.ys.length,
    lo: Math.min(...g.ys),
    hi: Math.max(...g.ys),
    n: g.ys.length,
  }));
  const xs = points.map((p) => p.x).filter((x): x is number => typeof x === 'number');
  const positive = xs.filter((x) => x > 0);
  const wide = positive.length > 0 && Math.max(...positive) / Math.min(...positive) >= 100;
  const logX = numericX && xs.length > 0 && xs.every((x) => x > 0) && wide;
  // Training steps start at 0 and span decades (Pythia: 0, 1, 2, 4 … 143000): a symmetric log
  // axis keeps step 0 on the chart, where a log axis would drop it.
  const symlogX = numericX && !logX && wide && xs.every((x) => x >= 0);
  const ys = points.map((p) => p.lo).concat(points.map((p) => p.hi));
  const logY = ys.every((y) => y > 0) && Math.max(...ys) / Math.min(...ys) >= 1000;
  const x = {
    field: 'x',
    type: numericX ? ('quantitative' as const) : ('ordinal' as const),
    title: byStep ? `${axis} (training step)` : axis,
    ...(numericX ? { scale: logX ? { type: 'log' as const } : symlogX ? { type: 'symlog' as const } : { zero: false } } : { sort: null }),
    ...(numericX && xs.every((v) => Number.isInteger(v)) && !logX && !symlogX ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
  };
  const y = { field: 'y', type: 'quantitative' as const, title: foldSeed ? `${field} (mean over seeds, band = min–max)` : field, scale: logY ? { type: 'log' as const } : { zero: false } };
  const color = seriesAxes.length ? { field: 'series', type: 'nominal' as const, title: seriesAxes.join(', ') } : undefined;
  const layers: object[] = [];
  if (numericX) {
    if (foldSeed) layers.push({ mark: { type: 'errorband' as const, opacity: 0.25 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: y.title, scale: y.scale }, y2: { field: 'hi' }, ...(color ? { color } : {}) } });
    layers.push({ mark: { type: 'line' as const, point: true, tooltip: true }, encoding: { x, y, ...(color ? { color } : {}) } });
  } else {
    // Categories (a boolean, a decoder's name) have no order between them: points, never lines
    // joining them; the series side by side within a category, seeds as error bars.
    const offset = color ? { xOffset: { field: 'series', type: 'nominal' as const } } : {};
    if (foldSeed) layers.push({ mark: { type: 'rule' as const }, encoding: { x, ...offset, y: { field: 'lo', type: 'quantitative', title: y.title, scale: y.scale }, y2: { field: 'hi' }, ...(color ? { color } : {}) } });
    layers.push({ mark: { type: 'point' as const, filled: true, size: 60, tooltip: true }, encoding: { x, ...offset, y, ...(color ? { color } : {}) } });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${field} vs ${axis}`,
    width: 300,
    height: 180,
    data: { values: points },
    layer: layers,
  } as TopLevelSpec;
}
