import type { TopLevelSpec } from 'vega-lite';
import type { MetricPlotData, MetricPoint } from './metric-plot-data';
import { downsample } from './plot';

/**
 * Share of interior points where the curve turns (the sign of its slope flips). A smooth
 * descent is near 0; SGD oscillating step to step is near 1.
 */
export function turningFraction(values: number[]): number {
  let turns = 0;
  let compared = 0;
  for (let i = 2; i < values.length; i++) {
    const a = values[i - 1]! - values[i - 2]!;
    const b = values[i]! - values[i - 1]!;
    if (a === 0 || b === 0) continue;
    compared++;
    if (Math.sign(a) !== Math.sign(b)) turns++;
  }
  return compared ? turns / compared : 0;
}

/** A curve is drawn with a smoothed line over it when it is long and turns at a third or more of its points. */
export function isNoisy(values: number[]): boolean {
  return values.length >= 30 && turningFraction(values) >= 0.33;
}

/** Centred moving average over `window` points (shorter at the ends). */
export function movingAverage(values: number[], window: number): number[] {
  const half = Math.floor(window / 2);
  const prefix = [0];
  for (const v of values) prefix.push(prefix[prefix.length - 1]! + v);
  return values.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(values.length, i + half + 1);
    return (prefix[hi]! - prefix[lo]!) / (hi - lo);
  });
}

export function smoothingWindow(n: number): number {
  return Math.max(5, Math.round(n / 25)) | 1;
}

function sameCurve(a: MetricPoint[], b: MetricPoint[]): boolean {
  return a.length === b.length && a.every((p, i) => p.x === b[i]!.x && p.group === b[i]!.group && p.value === b[i]!.value);
}

function byGroup(points: MetricPoint[]): MetricPoint[][] {
  const groups = new Map<string | undefined, MetricPoint[]>();
  for (const p of points) {
    let g = groups.get(p.group);
    if (!g) groups.set(p.group, (g = []));
    g.push(p);
  }
  return [...groups.values()];
}

interface ChartRow {
  x: number | string;
  value: number;
  smooth?: number;
  group?: string;
}

/**
 * One chart per plottable metric. A series identical to an earlier one (lossMean with one
 * restart) is not drawn again: the earlier chart's title names both. A noisy series is drawn
 * light with its moving average on top; a declared group draws one coloured line per value.
 */
export function metricsChartSpec(data: MetricPlotData): TopLevelSpec | undefined {
  const kept: { names: string[]; points: MetricPoint[] }[] = [];
  for (const [name, points] of data.series) {
    const finite = points.filter((p) => Number.isFinite(p.value));
    if (finite.length < 2) continue;
    const twin = kept.find((k) => sameCurve(k.points, finite));
    if (twin) twin.names.push(name);
    else kept.push({ names: [name], points: finite });
  }
  const grouped = data.groupTitle !== undefined;
  const charts = kept.map(({ names, points }) => {
    const values = points.map((p) => p.value);
    const positive = values.every((v) => v > 0);
    const span = positive ? Math.max(...values) / Math.min(...values) : 0;
    const noisy = !data.x.categorical && byGroup(points).some((g) => isNoisy(g.map((p) => p.value)));
    const rows: ChartRow[] = byGroup(points).flatMap((g) => {
      const smooth = noisy ? movingAverage(g.map((p) => p.value), smoothingWindow(g.length)) : undefined;
      return downsample(g.map((p, i) => ({ ...p, ...(smooth ? { smooth: smooth[i]! } : {}) })));
    });
    const x = data.x.categorical
      ? { field: 'x', type: 'ordinal' as const, title: data.x.title, sort: null, axis: { labelAngle: 0 } }
      : { field: 'x', type: 'quantitative' as const, title: data.x.title };
    const yScale = span > 100 ? { type: 'log' as const } : { zero: false };
    const color = grouped ? { color: { field: 'group', type: 'nominal' as const, title: data.groupTitle } } : {};
    const title = names.length > 1 ? `${names[0]} (= ${names.slice(1).join(', ')})` : names[0]!;
    const raw = {
      mark: { type: 'line' as const, tooltip: true, ...(noisy ? { opacity: 0.25, strokeWidth: 1 } : {}), ...(data.x.categorical ? { point: true } : {}) },
      encoding: { x, y: { field: 'value', type: 'quantitative' as const, title: names[0], scale: yScale }, ...color },
    };
    const smoothed = {
      mark: { type: 'line' as const, strokeWidth: 2 },
      encoding: { x, y: { field: 'smooth', type: 'quantitative' as const, title: names[0], scale: yScale }, ...color },
    };
    return {
      title: noisy ? { text: title, subtitle: `light: every logged value; line: moving average over ${smoothingWindow(points.length)} points` } : title,
      width: 320,
      height: 160,
      data: { values: rows },
      layer: noisy ? [raw, smoothed] : [raw],
    };
  });
  if (charts.length === 0) return undefined;
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', columns: 2, concat: charts } as TopLevelSpec;
}
