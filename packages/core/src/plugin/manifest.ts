import * as fs from 'node:fs';
import * as path from 'node:path';

export type PluginSource = 'workspace' | 'node_modules' | 'path';

/** What discovery learns from a package.json, without importing any code. */
export interface PluginManifest {
  /** The experiment name (`experiment:` in configs). */
  name: string;
  packageName: string;
  version: string;
  /** Real path of the package folder. */
  dir: string;
  /** Absolute path of the plugin entry module. */
  entry: string;
  apiVersion: number | undefined;
  source: PluginSource;
}

interface PackageJson {
  name?: string;
  version?: string;
  repscope?: { plugin?: string; apiVersion?: number; name?: string };
}

/** `@repscope/plugin-inversion` → `inversion`; `repscope-plugin-foo` → `foo`. */
export function defaultPluginName(packageName: string): string {
  const bare = packageName.replace(/^@[^/]+\//, '');
  return bare.replace(/^repscope-plugin-/, '').replace(/^plugin-/, '');
}

/** Read a folder's package.json; undefined when it is not a repscope plugin package. */
export function readPluginManifest(dir: string, source: PluginSource): PluginManifest | undefined {
  const file = path.join(dir, 'package.json');
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
  if (!pkg.repscope || typeof pkg.repscope !== 'object' || typeof pkg.repscope.plugin !== 'string') return undefined;
  const realDir = fs.realpathSync(dir);
  const packageName = pkg.name ?? path.basename(realDir);
  return {
    name: pkg.repscope.name ?? defaultPluginName(packageName),
    packageName,
    version: pkg.version ?? '0.0.0',
    dir: realDir,
    entry: path.resolve(realDir, pkg.repscope.plugin),
    apiVersion: pkg.repscope.apiVersion,
    source,
  };
}
