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
