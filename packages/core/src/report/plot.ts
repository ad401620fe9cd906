import * as vega from 'vega';
import { compile, TopLevelSpec } from 'vega-lite';

/** Render a vega-lite spec to an SVG string, headless (no canvas, no browser). */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Keep at most `max` points (evenly spaced, last kept) so long runs still plot quickly. */
export function downsample<T>(points: T[], max = 1000): T[] {
  if (points.length <= max) return points;
  const stride = points.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.floor(i * stride)]!);
  out[out.length - 1] = points[points.length - 1]!;
  return out;
}

/** One line chart per metric series, y on a log scale when the values are positive and span decades. */
export function metricsChartSpec(series: Map<string, { step: number; value: number }[]>): TopLevelSpec | undefined {
  const charts = [...series.entries()]
    .filter(([, pts]) => pts.length > 1)
    .map(([name, pts]) => {
      const finite = pts.filter((p) => Number.isFinite(p.value));
      const values = finite.map((p) => p.value);
      const positive = values.length > 0 && values.every((v) => v > 0);
      const span = positive ? Math.max(...values) / Math.min(...values) : 0;
      return {
        title: name,
        width: 320,
        height: 160,
        data: { values: downsample(finite) },
        mark: { type: 'line' as const, tooltip: true },
        encoding: {
          x: { field: 'step', type: 'quantitative' as const, title: 'step' },
          y: { field: 'value', type: 'quantitative' as const, title: name, scale: span > 100 ? { type: 'log' as const } : { zero: false } },
        },
      };
    });
  if (charts.length === 0) return undefined;
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', columns: 2, concat: charts } as TopLevelSpec;
}
