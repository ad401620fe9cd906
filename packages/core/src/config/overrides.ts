import { parse as parseYaml } from 'yaml';
import { ConfigError, ConfigIssue } from './config-error';
import { flowNestingOverflow, MAX_ALIAS_COUNT, MAX_NESTING } from './load-yaml';
import { ConfigPath, displayPath, LocationMap, SourceLocation } from './location';
import { getAtPath, isPlainObject, setAtPath } from './merge';
import { FORBIDDEN_KEY_MESSAGE, findForbiddenKey, isForbiddenKey } from './safe-keys';

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

export function overrideLocation(text: string): SourceLocation {
  return { source: `override "${text}"`, baseDir: process.cwd() };
}

/** One bad argument; collected with the others so every one is reported at once. */
class OverrideProblem extends Error {
  constructor(readonly issue: ConfigIssue) {
    super(issue.message);
  }
}

function problem(text: string, path: ConfigPath, message: string, code: string): OverrideProblem {
  return new OverrideProblem({ location: overrideLocation(text), path, message, code });
}

/** Sweep axes are dotted keys themselves: `sweep.grid.model.depth` is axis "model.depth" of sweep.grid. */
const SWEEP_BLOCKS = new Set(['grid', 'zip']);

function isSweepAxisPath(path: string[]): boolean {
  return path[0] === 'sweep' && SWEEP_BLOCKS.has(path[1] ?? '') && path.length >= 3;
}

function parseKeyPath(key: string, text: string): string[] {
  if (key === '') throw problem(text, [], 'expected key.path=value', 'E_OVERRIDE_SYNTAX');
  const parts = key.split('.');
  if (parts.some((p) => p === '')) throw problem(text, [], `"${key}" has an empty key between dots`, 'E_OVERRIDE_SYNTAX');
  const bad = parts.find(isForbiddenKey);
  if (bad !== undefined) throw problem(text, parts.slice(0, parts.indexOf(bad) + 1), FORBIDDEN_KEY_MESSAGE, 'E_CONFIG_FORBIDDEN_KEY');
  if (parts[0] === 'extends') {
    throw problem(text, ['extends'], 'cannot be set on the command line (bases merge beneath the file before overrides apply); name them in the file', 'E_OVERRIDE_EXTENDS');
  }
  return isSweepAxisPath(parts) ? [parts[0]!, parts[1]!, parts.slice(2).join('.')] : parts;
}

function splitAssignment(text: string): { path: string[]; raw: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw problem(text, [], 'expected key.path=value', 'E_OVERRIDE_SYNTAX');
  return { path: parseKeyPath(text.slice(0, eq).trim(), text), raw: text.slice(eq + 1) };
}

/** Values are untrusted YAML too: bounded nesting and aliases, no prototype keys. */
function parseYamlValue(yamlText: string, text: string, path: string[], what: string, listBody = false): unknown {
  if (flowNestingOverflow(yamlText) !== undefined) throw problem(text, path, `value is nested more than ${MAX_NESTING} levels deep`, 'E_CONFIG_NESTING');
  let value: unknown;
  try {
    value = parseYaml(yamlText, { maxAliasCount: MAX_ALIAS_COUNT, uniqueKeys: true });
  } catch {
    throw problem(text, path, `value is not ${what}: ${yamlText.length > 80 ? yamlText.slice(0, 77) + '...' : yamlText}`, 'E_OVERRIDE_VALUE');
  }
  // A list body of one item is a plain value: its keys are below `path`, not below `path[0]`.
  const single = listBody && Array.isArray(value) && value.length === 1;
  const bad = findForbiddenKey(single ? (value as unknown[])[0] : value, path);
  if (bad) throw problem(text, bad, FORBIDDEN_KEY_MESSAGE, 'E_CONFIG_FORBIDDEN_KEY');
  return value;
}

/** Run each parser on each text, collecting every problem so a person fixes them in one pass. */
function collect<T>(texts: string[], parse: (text: string) => T): T[] {
  const issues: ConfigIssue[] = [];
  const out: T[] = [];
  for (const text of texts) {
    try {
      out.push(parse(text));
    } catch (err) {
      if (!(err instanceof OverrideProblem)) throw err;
      issues.push(err.issue);
    }
  }
  if (issues.length) throw new ConfigError(issues);
  return out;
}

/** `optimizer.lr=0.01` → path [optimizer, lr], value 0.01 (values are YAML, so `[1,2]` is a list). */
export function parseOverrides(texts: string[]): Override[] {
  return collect(texts, (text) => {
    const { path, raw } = splitAssignment(text);
    return { text, path, value: raw === '' ? '' : parseYamlValue(raw, text, path, 'valid YAML') };
  });
}

/**
 * On `sweep`, `key=v1,v2` adds a grid axis — or replaces the config's own axis for that key,
 * as a Hydra command line does. The value is read as the body of a YAML flow list, so `a=1,2`
 * is [1, 2], `a=[1,2]` is one list value, and `a="x,y"` is one string. Keys under
 * `sweep.grid` / `sweep.zip` take the whole list: `sweep.grid.seed=1,2` is the axis [1, 2].
 */
export function parseSweepArguments(texts: string[]): { overrides: Override[]; axes: SweepAxisOverride[] } {
  const overrides: Override[] = [];
  const axes: SweepAxisOverride[] = [];
  collect(texts, (text) => {
    const { path, raw } = splitAssignment(text);
    const list = parseYamlValue(`[${raw}]`, text, path, 'a valid YAML list body', true) as unknown[];
    if (isSweepAxisPath(path) && list.length !== 1) overrides.push({ text, path, value: list });
    else if (list.length > 1) axes.push({ text, path, values: list });
    else overrides.push({ text, path, value: list.length === 1 ? list[0] : '' });
  });
  return { overrides, axes };
}

/**
 * Apply overrides after `extends`; each overridden path (and any mapping it creates) now
 * points at its override for errors. A single value for a key the config sweeps in
 * `sweep.grid` pins it: the command line wins over the file, as in Hydra.
 */
export function applyOverrides(data: Record<string, unknown>, locations: LocationMap, overrides: Override[]): void {
  const issues: ConfigIssue[] = [];
  for (const o of overrides) {
    const loc = overrideLocation(o.text);
    const created = firstMissing(data, o.path);
    if (!setAtPath(data, o.path, structuredClone(o.value))) {
      const blocker = firstNonMapping(data, o.path);
      issues.push({ location: loc, path: o.path, message: `cannot set: ${displayPath(blocker)} is not a mapping`, code: 'E_OVERRIDE_PATH' });
      continue;
    }
    for (let n = created; n < o.path.length; n++) {
      locations.setKey(o.path.slice(0, n), loc);
      locations.setValue(o.path.slice(0, n), loc);
    }
    setLocationsBelow(locations, o.path, o.value, loc);
    if (o.path[0] !== 'sweep') {
      const pinIssue = pinSweptKey(data, locations, o);
      if (pinIssue) issues.push(pinIssue);
    }
  }
  if (issues.length) throw new ConfigError(issues);
}

function pinSweptKey(data: Record<string, unknown>, locations: LocationMap, o: Override): ConfigIssue | undefined {
  const key = o.path.join('.');
  const sweep = data['sweep'];
  if (!isPlainObject(sweep)) return undefined;
  const zip = sweep['zip'];
  if (isPlainObject(zip) && Object.prototype.hasOwnProperty.call(zip, key)) {
    return {
      location: overrideLocation(o.text),
      path: o.path,
      message: `is swept in sweep.zip together with other keys; give its whole list instead: sweep.zip.${key}=[…]`,
      code: 'E_OVERRIDE_ZIP_AXIS',
    };
  }
  const grid = sweep['grid'];
  if (!isPlainObject(grid) || !Object.prototype.hasOwnProperty.call(grid, key)) return undefined;
  delete grid[key];
  locations.clearBelow(['sweep', 'grid', key]);
  if (Object.keys(grid).length === 0) {
    delete sweep['grid'];
    locations.clearBelow(['sweep', 'grid']);
  }
  if (Object.keys(sweep).length === 0) {
    delete data['sweep'];
    locations.clearBelow(['sweep']);
  }
  return undefined;
}

/** How many leading segments of `path` already exist in `data`. */
function firstMissing(data: unknown, path: ConfigPath): number {
  for (let n = 1; n <= path.length; n++) if (getAtPath(data, path.slice(0, n)) === undefined) return n;
  return path.length;
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
