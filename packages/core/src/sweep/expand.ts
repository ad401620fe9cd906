import { ConfigError, ConfigIssue } from '../config/config-error';
import { sweepSchema } from '../config/envelope';
import { ConfigPath, LocationMap, SourceLocation } from '../config/location';
import { isPlainObject } from '../config/merge';
import { overrideLocation, SweepAxisOverride } from '../config/overrides';
import { FORBIDDEN_KEY_MESSAGE, isForbiddenKey } from '../config/safe-keys';
import { validateSection } from '../config/validate';

/** Above this many jobs `repscope sweep` asks for `--yes` (a typo in an axis can multiply a sweep). */
export const SWEEP_CONFIRM_JOBS = 1000;
/**
 * No sweep is larger: every job gets its own folder and is validated (and kept in memory,
 * resolved) before anything runs — 10 000 jobs take about 10 s and 180 MB to validate.
 */
export const MAX_SWEEP_JOBS = 10_000;

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

interface AxisKey {
  key: string;
  values: unknown[];
  location: (i: number) => SourceLocation | undefined;
}

interface Axis {
  /** Keys advanced together (one key for a grid axis, several for the zip axis). */
  keys: AxisKey[];
  length: number;
}

const KEYS_NOT_SWEPT = new Set(['sweep', 'extends']);

function checkAxisName(key: string, path: ConfigPath, location: SourceLocation | undefined): ConfigIssue | undefined {
  const parts = key.split('.');
  const fail = (message: string, code: string): ConfigIssue => ({ path, location, message, code });
  if (parts.some((p) => p === '')) return fail(`axis "${key}" has an empty key between dots`, 'E_SWEEP_AXIS_NAME');
  const forbidden = parts.find(isForbiddenKey);
  if (forbidden !== undefined) return fail(`axis "${key}": "${forbidden}" ${FORBIDDEN_KEY_MESSAGE}`, 'E_CONFIG_FORBIDDEN_KEY');
  if (KEYS_NOT_SWEPT.has(parts[0]!)) return fail(`axis "${key}": ${parts[0]} cannot be swept`, 'E_SWEEP_AXIS_NAME');
  return undefined;
}

/**
 * The axes of a sweep: config `sweep.grid` (in order), then command-line `key=v1,v2` axes —
 * a command-line axis for a key the config already sweeps replaces that axis, Hydra-style —
 * then the zip axis (lists advanced together). Throws ConfigError for any malformed block.
 */
function sweepAxes(sweep: unknown, cliAxes: SweepAxisOverride[], locations: LocationMap): Axis[] {
  const issues: ConfigIssue[] = sweep === undefined ? [] : validateSection(sweepSchema, sweep, { locations, prefix: ['sweep'] });
  if (issues.length) throw new ConfigError(issues);
  const block = isPlainObject(sweep) ? sweep : {};
  const grid = isPlainObject(block['grid']) ? (block['grid'] as Record<string, unknown[]>) : {};
  const zip = isPlainObject(block['zip']) ? (block['zip'] as Record<string, unknown[]>) : {};
  for (const [section, axes] of [['grid', grid], ['zip', zip]] as const) {
    for (const key of Object.keys(axes)) {
      const bad = checkAxisName(key, ['sweep', section, key], locations.locate(['sweep', section, key], 'key'));
      if (bad) issues.push(bad);
    }
  }
  const gridKeys: AxisKey[] = Object.entries(grid).map(([key, values]) => ({ key, values, location: (i) => locations.locate(['sweep', 'grid', key, i]) }));
  const zipKeys: AxisKey[] = Object.entries(zip).map(([key, values]) => ({ key, values, location: (i) => locations.locate(['sweep', 'zip', key, i]) }));
  const extraKeys: AxisKey[] = [];
  for (const axis of cliAxes) {
    const key = axis.path.join('.');
    const loc = overrideLocation(axis.text);
    const bad = checkAxisName(key, axis.path, loc);
    if (bad) {
      issues.push(bad);
      continue;
    }
    const replacement: AxisKey = { key, values: axis.values, location: () => loc };
    const inGrid = gridKeys.findIndex((k) => k.key === key);
    const inZip = zipKeys.findIndex((k) => k.key === key);
    if (inGrid >= 0) gridKeys[inGrid] = replacement;
    else if (inZip >= 0) zipKeys[inZip] = replacement;
    else extraKeys.push(replacement);
  }
  const axes: Axis[] = [...gridKeys, ...extraKeys].map((k) => ({ keys: [k], length: k.values.length }));
  if (zipKeys.length) {
    if (new Set(zipKeys.map((k) => k.values.length)).size > 1) {
      issues.push({
        path: ['sweep', 'zip'],
        location: locations.locate(['sweep', 'zip'], 'key'),
        message: `zip lists must have the same length (got ${zipKeys.map((k) => `${k.key}: ${k.values.length}`).join(', ')})`,
        code: 'E_SWEEP_ZIP_LENGTH',
      });
    }
    axes.push({ keys: zipKeys, length: Math.min(...zipKeys.map((k) => k.values.length)) });
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
  return axes;
}

/** Number of jobs, by arithmetic: nothing is expanded. */
function jobCount(axes: Axis[]): number {
  return axes.reduce((n, a) => n * a.length, 1);
}

/** How many jobs a sweep has, checking its axes but expanding nothing (for `--yes` prompts). */
export function countSweepJobs(sweep: unknown, cliAxes: SweepAxisOverride[], locations: LocationMap): number {
  return jobCount(sweepAxes(sweep, cliAxes, locations));
}

/**
 * Jobs of a sweep: the cartesian product of every grid axis and the zip axis. The first axis
 * varies slowest, as in Hydra. The count is checked against MAX_SWEEP_JOBS before any job is
 * built, and each job is built from its index alone, so memory is linear in the job count.
 */
export function expandSweep(sweep: unknown, cliAxes: SweepAxisOverride[], locations: LocationMap): SweepJob[] {
  const axes = sweepAxes(sweep, cliAxes, locations);
  const count = jobCount(axes);
  if (count > MAX_SWEEP_JOBS) {
    const sizes = axes.map((a) => `${a.keys.map((k) => k.key).join('+')}: ${a.length}`).join(' × ');
    throw new ConfigError([
      { path: ['sweep'], location: locations.locate(['sweep'], 'key') ?? overrideLocation(cliAxes[0]?.text ?? ''), message: `${count} jobs (${sizes}); the most a sweep may have is ${MAX_SWEEP_JOBS}`, code: 'E_SWEEP_TOO_LARGE' },
    ]);
  }
  const width = String(count - 1).length;
  const shortKeys = shortNames(axes.flatMap((a) => a.keys.map((k) => k.key)));
  const jobs: SweepJob[] = new Array(count);
  const digits = new Array<number>(axes.length);
  for (let index = 0; index < count; index++) {
    // Mixed-radix digits of the index, last axis fastest.
    let rest = index;
    for (let a = axes.length - 1; a >= 0; a--) {
      digits[a] = rest % axes[a]!.length;
      rest = Math.floor(rest / axes[a]!.length);
    }
    const assignments: JobAssignment[] = [];
    axes.forEach((axis, a) => {
      for (const k of axis.keys) assignments.push({ key: k.key, path: k.key.split('.'), value: k.values[digits[a]!], location: k.location(digits[a]!) });
    });
    const slug = assignments.map((a) => `${shortKeys.get(a.key)}=${slugValue(a.value)}`).join('-');
    jobs[index] = {
      index,
      assignments,
      dirName: `${String(index).padStart(Math.max(2, width), '0')}-${slug}`.slice(0, 120),
      label: assignments.map((a) => `${a.key}=${JSON.stringify(a.value)}`).join(' '),
    };
  }
  return jobs;
}

/** Last path segment where that is unambiguous, else the whole dotted key. */
function shortNames(keys: string[]): Map<string, string> {
  const last = (k: string) => k.split('.').pop()!;
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(last(k), (counts.get(last(k)) ?? 0) + 1);
  return new Map(keys.map((k) => [k, counts.get(last(k))! > 1 ? k : last(k)]));
}

/**
 * A value as a folder-name fragment, at most 40 characters. Paths and hub references keep
 * their end (`…checkpoints_step_000250`): checkpoints swept over one training run differ
 * only there.
 */
function slugValue(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  const slug = text.replace(/[^A-Za-z0-9._]+/g, '_');
  if (typeof v === 'string' && v.includes('/')) return slug.slice(-40).replace(/^[_.]+/, '');
  return slug.slice(0, 40);
}
