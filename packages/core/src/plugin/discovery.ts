import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PluginManifest, PluginSource, readPluginManifest } from './manifest';

function findUp(start: string, marker: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, marker))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function listDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => (d.isDirectory() || d.isSymbolicLink()) && !d.name.startsWith('.') && d.name !== 'node_modules')
      .map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

/** Expand the simple globs pnpm workspaces use: `dir`, `dir/*`, `dir/**`. */
function expandWorkspacePattern(root: string, pattern: string): string[] {
  const clean = pattern.replace(/\/+$/, '');
  if (clean.endsWith('/**')) {
    const base = path.join(root, clean.slice(0, -3));
    const out: string[] = [];
    const walk = (d: string, depth: number): void => {
      for (const child of listDirs(d)) {
        out.push(child);
        if (depth < 3) walk(child, depth + 1);
      }
    };
    walk(base, 0);
    return out;
  }
  if (clean.endsWith('/*')) return listDirs(path.join(root, clean.slice(0, -2)));
  return [path.join(root, clean)];
}

export function workspacePackageDirs(start: string): string[] {
  const root = findUp(start, 'pnpm-workspace.yaml');
  if (!root) return [];
  let patterns: string[] = [];
  try {
    const parsed = parseYaml(fs.readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8')) as { packages?: string[] } | null;
    patterns = parsed?.packages ?? [];
  } catch {
    return [];
  }
  const excluded = new Set(patterns.filter((p) => p.startsWith('!')).flatMap((p) => expandWorkspacePattern(root, p.slice(1))));
  return patterns.filter((p) => !p.startsWith('!')).flatMap((p) => expandWorkspacePattern(root, p)).filter((d) => !excluded.has(d));
}

export function nodeModulesPackageDirs(start: string): string[] {
  const out: string[] = [];
  let dir = path.resolve(start);
  for (;;) {
    const nm = path.join(dir, 'node_modules');
    for (const entry of listDirs(nm)) {
      if (path.basename(entry).startsWith('@')) out.push(...listDirs(entry));
      else out.push(entry);
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

export interface DiscoveryOptions {
  /** Folders whose workspace and node_modules are scanned (cwd and core's own location). */
  roots: string[];
}

/** Every plugin package reachable from the roots, read from package.json files only. */
export function discoverPlugins(options: DiscoveryOptions): PluginManifest[] {
  const found = new Map<string, PluginManifest>();
  const add = (dir: string, source: PluginSource): void => {
    const m = readPluginManifest(dir, source);
    if (m && !found.has(m.dir)) found.set(m.dir, m);
  };
  for (const root of options.roots) {
    for (const dir of workspacePackageDirs(root)) add(dir, 'workspace');
  }
  for (const root of options.roots) {
    for (const dir of nodeModulesPackageDirs(root)) add(dir, 'node_modules');
  }
  return [...found.values()];
}
