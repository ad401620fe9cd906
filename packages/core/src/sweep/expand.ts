import { ConfigError, ConfigIssue } from '../config/config-error';
import { LocationMap, SourceLocation } from '../config/location';
import { isPlainObject } from '../config/merge';
import type { SweepAxisOverride } from '../config/overrides';

export interface JobAssignment {
  /** Dotted key as written in the sweep (`model.depth`). */
  key: string;
  path: string[];
  value: unknown;
  location?: SourceLocation;
}

export interface SweepJob {
  index: number;
  assignments: JobAssignment[];
  /** Folder name under the sweep directory: `03-depth=12-head=false`. */
  dirName: string;
  /** `model.depth=12 model.head=false`, for messages. */
  label: string;
}

interface Axis {
  /** Keys advanced together (one key for a grid axis, several for the zip axis). */
  keys: { key: string; values: unknown[]; location: (i: number) => SourceLocation | undefined }[];
  length: number;
}

/**
 * Jobs of a sweep: the cartesian product of every grid axis (config `sweep.grid` first, then
 * command-line `key=v1,v2` axes) and the zip axis (lists advanced together). The first axis
 * varies slowest, as in Hydra.
 */
export function expandSweep(sweep: unknown, cliAxes: SweepAxisOverride[], locations: LocationMap): SweepJob[] {
  const issues: ConfigIssue[] = [];
  const axes: Axis[] = [];
  const block = isPlainObject(sweep) ? sweep : {};
  const grid = isPlainObject(block['grid']) ? block['grid'] : {};
  for (const [key, values] of Object.entries(grid)) {
    if (!Array.isArray(values)) continue;
    axes.push({ keys: [{ key, values, location: (i) => locations.locate(['sweep', 'grid', key, i]) }], length: values.length });
  }
  for (const axis of cliAxes) {
    const loc: SourceLocation = { source: `override "${axis.text}"`, baseDir: process.cwd() };
    axes.push({ keys: [{ key: axis.path.join('.'), values: axis.values, location: () => loc }], length: axis.values.length });
  }
  const zip = isPlainObject(block['zip']) ? block['zip'] : {};
  const zipEntries = Object.entries(zip).filter((e): e is [string, unknown[]] => Array.isArray(e[1]));
  if (zipEntries.length) {
    const lengths = new Set(zipEntries.map(([, v]) => v.length));
    if (lengths.size > 1) {
      issues.push({
        path: ['sweep', 'zip'],
        location: locations.locate(['sweep', 'zip'], 'key'),
        message: `zip lists must have the same length (got ${zipEntries.map(([k, v]) => `${k}: ${v.length}`).join(', ')})`,
        code: 'E_SWEEP_ZIP_LENGTH',
      });
    }
    axes.push({
      keys: zipEntries.map(([key, values]) => ({ key, values, location: (i: number) => locations.locate(['sweep', 'zip', key, i]) })),
      length: Math.min(...zipEntries.map(([, v]) => v.length)),
    });
  }
  const seen = new Map<string, number>();
  for (const axis of axes) for (const k of axis.keys) seen.set(k.key, (seen.get(k.key) ?? 0) + 1);
  for (const [key, count] of seen) {
    if (count > 1) issues.push({ path: ['sweep'], location: locations.locate(['sweep'], 'key'), message: `"${key}" is swept by more than one axis`, code: 'E_SWEEP_DUPLICATE_AXIS' });
  }
  if (axes.length === 0) {
    issues.push({ path: ['sweep'], location: locations.locate([]), message: 'nothing to sweep: add sweep.grid / sweep.zip to the config or key=v1,v2 arguments', code: 'E_SWEEP_EMPTY' });
  }
  if (issues.length) throw new ConfigError(issues);

  const combos: number[][] = [[]];
  for (const axis of axes) {
    const next: number[][] = [];
    for (const c of combos) for (let i = 0; i < axis.length; i++) next.push([...c, i]);
    combos.splice(0, combos.length, ...next);
  }
  const width = String(combos.length - 1).length;
  const shortKeys = shortNames(axes.flatMap((a) => a.keys.map((k) => k.key)));
  return combos.map((combo, index) => {
    const assignments: JobAssignment[] = [];
    combo.forEach((valueIndex, axisIndex) => {
      for (const k of axes[axisIndex]!.keys) {
        assignments.push({ key: k.key, path: k.key.split('.'), value: k.values[valueIndex], location: k.location(valueIndex) });
      }
    });
    const slug = assignments.map((a) => `${shortKeys.get(a.key)}=${slugValue(a.value)}`).join('-');
    return {
      index,
      assignments,
      dirName: `${String(index).padStart(Math.max(2, width), '0')}-${slug}`.slice(0, 120),
      label: assignments.map((a) => `${a.key}=${JSON.stringify(a.value)}`).join(' '),
    };
  });
}

/** Last path segment where that is unambiguous, else the whole dotted key. */
function shortNames(keys: string[]): Map<string, string> {
  const last = (k: string) => k.split('.').pop()!;
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(last(k), (counts.get(last(k)) ?? 0) + 1);
  return new Map(keys.map((k) => [k, counts.get(last(k))! > 1 ? k : last(k)]));
}

function slugValue(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.replace(/[^A-Za-z0-9._]+/g, '_').slice(0, 40);
}
