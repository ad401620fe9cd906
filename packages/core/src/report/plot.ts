import * as vega from 'vega';
import { compile, TopLevelSpec } from 'vega-lite';
import { externalLoad, withoutLinks } from './plot-safety';

/** A vega loader that loads nothing: report plots carry their data inline (plot-safety.ts). */
function inlineOnlyLoader(): ReturnType<typeof vega.loader> {
  const loader = vega.loader();
  const refuse = (what: string) => Promise.reject(new Error(`plots take inline data only; refused to load ${what}`));
  loader.load = (uri: string) => refuse(uri);
  loader.sanitize = (uri: string) => refuse(uri);
  loader.http = (uri: string) => refuse(uri);
  loader.file = (file: string) => refuse(file);
  return loader;
}

/** Render a vega-lite spec to an SVG string, headless (no canvas, no browser); links dropped, nothing loaded. */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  if (externalLoad(spec)) throw new Error(`plots take inline data only (${externalLoad(spec)})`);
  const compiled = compile(withoutLinks(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: inlineOnlyLoader() });
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
