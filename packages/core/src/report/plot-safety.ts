/**
 * Plot specs come from plugins, and plugins come from anyone: report.html is a static page,
 * so a plot takes its data inline and carries no links. A spec that names `data.url` (which
 * would read a local file such as /etc/shadow into the page) is refused at the call; `href`
 * channels and properties (javascript: links, and a null-sanitised href that crashes vega's
 * SVG renderer) are dropped before rendering.
 */

/** Where a spec asks vega to load something (`data.url`, a lookup's `from.data.url`, an image `url`), or undefined. */
export function externalLoad(spec: unknown, path = 'spec', seen = new Set<object>()): string | undefined {
  if (!spec || typeof spec !== 'object' || seen.has(spec)) return undefined;
  seen.add(spec);
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'url' && typeof value === 'string') return `${path}.url`;
    const found = externalLoad(value, `${path}.${key}`, seen);
    if (found) return found;
  }
  return undefined;
}

/** A copy of the spec without `href` anywhere (mark properties and encoding channels). */
export function withoutLinks<T>(spec: T): T {
  if (Array.isArray(spec)) return spec.map(withoutLinks) as T;
  if (!spec || typeof spec !== 'object') return spec;
  return Object.fromEntries(Object.entries(spec).filter(([key]) => key !== 'href').map(([key, value]) => [key, withoutLinks(value)])) as T;
}
