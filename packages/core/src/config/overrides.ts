import { parse as parseYaml } from 'yaml';
import { ConfigError, ConfigIssue } from './config-error';
import { ConfigPath, LocationMap, SourceLocation } from './location';
import { getAtPath, setAtPath } from './merge';

export interface Override {
  text: string;
  path: string[];
  value: unknown;
}

export interface SweepAxisOverride {
  text: string;
  path: string[];
  values: unknown[];
}

function locationOf(text: string): SourceLocation {
  return { source: `override "${text}"`, baseDir: process.cwd() };
}

function splitAssignment(text: string): { key: string; raw: string } | ConfigIssue {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    return { location: locationOf(text), path: [], message: 'expected key.path=value', code: 'E_OVERRIDE_SYNTAX' };
  }
  return { key: text.slice(0, eq).trim(), raw: text.slice(eq + 1) };
}

function parseValue(raw: string, text: string): unknown {
  try {
    return raw === '' ? '' : parseYaml(raw);
  } catch {
    throw new ConfigError([{ location: locationOf(text), path: [], message: `value is not valid YAML: ${raw}`, code: 'E_OVERRIDE_VALUE' }]);
  }
}

/** `optimizer.lr=0.01` → path [optimizer, lr], value 0.01 (values are YAML, so `[1,2]` is a list). */
export function parseOverrides(texts: string[]): Override[] {
  const issues: ConfigIssue[] = [];
  const out: Override[] = [];
  for (const text of texts) {
    const split = splitAssignment(text);
    if ('message' in split) {
      issues.push(split);
      continue;
    }
    out.push({ text, path: split.key.split('.'), value: parseValue(split.raw, text) });
  }
  if (issues.length) throw new ConfigError(issues);
  return out;
}

/**
 * On `sweep`, `key=v1,v2` adds a grid axis. The value is read as the body of a YAML flow
 * list, so `a=1,2` is [1, 2], `a=[1,2]` is one list value, and `a="x,y"` is one string.
 */
export function parseSweepArguments(texts: string[]): { overrides: Override[]; axes: SweepAxisOverride[] } {
  const overrides: Override[] = [];
  const axes: SweepAxisOverride[] = [];
  const issues: ConfigIssue[] = [];
  for (const text of texts) {
    const split = splitAssignment(text);
    if ('message' in split) {
      issues.push(split);
      continue;
    }
    let values: unknown;
    try {
      values = parseYaml(`[${split.raw}]`);
    } catch {
      issues.push({ location: locationOf(text), path: [], message: `value is not a valid YAML list body: ${split.raw}`, code: 'E_OVERRIDE_VALUE' });
      continue;
    }
    const list = values as unknown[];
    const path = split.key.split('.');
    if (list.length > 1) axes.push({ text, path, values: list });
    else overrides.push({ text, path, value: list.length === 1 ? list[0] : '' });
  }
  if (issues.length) throw new ConfigError(issues);
  return { overrides, axes };
}

/** Apply overrides after `extends`; each overridden path now points at its override for errors. */
export function applyOverrides(data: Record<string, unknown>, locations: LocationMap, overrides: Override[]): void {
  const issues: ConfigIssue[] = [];
  for (const o of overrides) {
    if (!setAtPath(data, o.path, structuredClone(o.value))) {
      const blocker = firstNonMapping(data, o.path);
      issues.push({
        location: locationOf(o.text),
        path: o.path,
        message: `cannot set: ${blocker.join('.')} is not a mapping`,
        code: 'E_OVERRIDE_PATH',
      });
      continue;
    }
    setLocationsBelow(locations, o.path, o.value, locationOf(o.text));
  }
  if (issues.length) throw new ConfigError(issues);
}

function firstNonMapping(data: unknown, path: ConfigPath): ConfigPath {
  for (let n = 1; n < path.length; n++) {
    const v = getAtPath(data, path.slice(0, n));
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) return path.slice(0, n);
  }
  return path;
}

function setLocationsBelow(locations: LocationMap, path: ConfigPath, value: unknown, loc: SourceLocation): void {
  locations.clearBelow(path);
  const visit = (p: ConfigPath, v: unknown): void => {
    locations.setValue(p, loc);
    locations.setKey(p, loc);
    if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) visit([...p, Array.isArray(v) ? Number(k) : k], child);
    }
  };
  visit(path, value);
}
