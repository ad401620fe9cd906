import type { TopLevelSpec } from 'vega-lite';
import { isTrainingStepAxis, trainingStepOf } from './training-step';
import { chartedFields } from './result-fields';
import { scalarFields, SweepRecord } from './write-sweep-files';

const MAX_CHARTS = 40;

export interface SweepChart {
  field: string;
  /** The axis along x. */
  axis: string;
  /** The axes whose values are the colours (none with a single axis). */
  colour: string[];
  spec: TopLevelSpec;
}

/** Text for an axis value in legends and tables (booleans and mappings included). */
export function valueLabel(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** An axis drawn on a numeric scale: numbers, or checkpoints along training (their step). */
function numericAxis(records: SweepRecord[], axis: string): boolean {
  const values = records.map((r) => r.overrides[axis]);
  return isTrainingStepAxis(values) || values.every((v) => typeof v === 'number');
}

/**
 * Which axis runs along x and which become colours. Two axes: one chart per result, the
 * second axis as colour — unless only the second is numeric, which then takes x (a line
 * reads better along numbers than along categories). One axis, or three and more: a chart
 * against each axis, the others' combinations as colours.
 */
export function chartLayouts(records: SweepRecord[], axes: string[]): { axis: string; colour: string[] }[] {
  if (axes.length === 2) {
    const [first, second] = axes as [string, string];
    const swap = !numericAxis(records, first) && numericAxis(records, second);
    return [swap ? { axis: second, colour: [first] } : { axis: first, colour: [second] }];
  }
  return axes.map((axis) => ({ axis, colour: axes.filter((a) => a !== axis) }));
}

/**
 * For each charted result, its charts (see chartLayouts); a seed axis is folded into mean ±
 * spread instead of getting colours of its own, and is only an x-axis when it is the only axis.
 */
export function sweepCharts(records: SweepRecord[], axes: string[]): SweepChart[] {
  const seedAxis = axes.includes('seed') ? 'seed' : undefined;
  const swept = axes.length > 1 ? axes.filter((a) => a !== seedAxis) : axes;
  const layouts = chartLayouts(records, swept);
  const charts: SweepChart[] = [];
  for (const field of chartedFields(records, axes)) {
    for (const { axis, colour } of layouts) {
      if (charts.length >= MAX_CHARTS) return charts;
      charts.push({ field, axis, colour, spec: chartSpec(records, field, axis, colour, Boolean(seedAxis && axis !== seedAxis)) });
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

/** The colour a job is drawn in: one colour axis by its values alone (the legend's title names the axis), several as `a=…, b=…`. */
function seriesLabel(r: SweepRecord, seriesAxes: string[], field: string): string {
  if (seriesAxes.length === 1) return valueLabel(r.overrides[seriesAxes[0]!]);
  return seriesAxes.map((a) => `${a}=${valueLabel(r.overrides[a])}`).join(', ') || field;
}

function chartSpec(records: SweepRecord[], field: string, axis: string, seriesAxes: string[], foldSeed: boolean): TopLevelSpec {
  const groups = new Map<string, { x: unknown; series: string; ys: number[] }>();
  // Checkpoints along training (`…@step1000`, `…/step-000050`): x is the step, not the path.
  const byStep = isTrainingStepAxis(records.map((r) => r.overrides[axis]));
  for (const r of records) {
    const y = scalarFields(r.summary)[field];
    if (typeof y !== 'number' || !Number.isFinite(y)) continue;
    const x = byStep ? trainingStepOf(r.overrides[axis]) : r.overrides[axis];
    // One colour axis: its values alone (the legend's title names the axis).
    const series = seriesLabel(r, seriesAxes, field);
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
    ...(numericX ? { scale: logX ? { type: 'log' as const } : symlogX ? { type: 'symlog' as const } : { zero: false } } : { sort: null, axis: { labelAngle: 0 } }),
    // Integer axes (depths, counts) tick at the swept values only: the renderer's own ticks put a rounded 1.5 between 1 and 2.
    ...(numericX && xs.every((v) => Number.isInteger(v)) && !logX && !symlogX ? { axis: { format: 'd', ...(new Set(xs).size <= 12 ? { values: [...new Set(xs)].sort((a, b) => a - b) } : { tickMinStep: 1 }) } } : {}),
  };
  // The seed note goes under the chart's title: as the y-axis title it outgrows the chart's height.
  const y = { field: 'y', type: 'quantitative' as const, title: field, scale: logY ? { type: 'log' as const } : { zero: false } };
  // Every job's series, in sweep order (0.1, 0.2, 10, not sorted as text): a value keeps its
  // colour in every chart, even one where some series have no value for the field.
  const domain = [...new Set(records.map((r) => seriesLabel(r, seriesAxes, field)))];
  const color = seriesAxes.length ? { field: 'series', type: 'nominal' as const, title: seriesAxes.join(', '), scale: { domain } } : undefined;
  const layers: object[] = [];
  if (numericX) {
    if (foldSeed) layers.push({ mark: { type: 'errorband' as const, opacity: 0.25 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: y.title, scale: y.scale }, y2: { field: 'hi' }, ...(color ? { color } : {}) } });
    layers.push({ mark: { type: 'line' as const, point: true, tooltip: true }, encoding: { x, y, ...(color ? { color } : {}) } });
  } else {
    // Categories (a boolean, a decoder's name) have no order between them: points, never lines
    // joining them; the series side by side within a category, seeds as error bars.
    const offset = color ? { xOffset: { field: 'series', type: 'nominal' as const, scale: { domain } } } : {};
    if (foldSeed) layers.push({ mark: { type: 'rule' as const }, encoding: { x, ...offset, y: { field: 'lo', type: 'quantitative', title: y.title, scale: y.scale }, y2: { field: 'hi' }, ...(color ? { color } : {}) } });
    layers.push({ mark: { type: 'point' as const, filled: true, size: 60, tooltip: true }, encoding: { x, ...offset, y, ...(color ? { color } : {}) } });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: foldSeed ? { text: `${field} vs ${axis}`, subtitle: `mean over seeds; ${numericX ? 'band' : 'bars'}: min–max` } : `${field} vs ${axis}`,
    width: 300,
    height: 180,
    data: { values: points },
    layer: layers,
  } as TopLevelSpec;
}
