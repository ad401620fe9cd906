import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserFacingError, errorMessage } from '@repscope/models';
import { suggestionSuffix } from '@repscope/models';
import { discoverPlugins } from './discovery';
import { PluginManifest, readPluginManifest } from './manifest';
import { loadPluginModule } from './loader';
import { PLUGIN_API_VERSION, type Plugin } from './types';

export class PluginError extends UserFacingError {
  constructor(message: string, code: string) {
    super(message, code, 2);
  }
}

export interface LoadedPlugin {
  manifest: PluginManifest;
  plugin: Plugin<Record<string, unknown>>;
}

export interface PluginStatus {
  manifest: PluginManifest;
  status: 'ok' | 'error' | 'duplicate';
  error?: string;
  plugin?: Plugin<Record<string, unknown>>;
}

/**
 * The plugins reachable from here. Discovery reads package.json files only; a module is
 * imported when a config names its plugin (or `repscope plugins` asks for status).
 */
export class PluginCatalog {
  private readonly loaded = new Map<string, LoadedPlugin>();

  private constructor(private readonly manifests: PluginManifest[]) {}

  static discover(roots: string[]): PluginCatalog {
    return new PluginCatalog(discoverPlugins({ roots }));
  }

  /** A catalog of plugin objects already in memory (tests, the conformance kit). */
  static fromPlugins(plugins: Plugin<Record<string, unknown>>[], base?: PluginCatalog): PluginCatalog {
    const manifests = plugins.map((p) => ({
      name: p.name,
      packageName: `(in-memory) ${p.name}`,
      version: p.version,
      dir: `(in-memory:${p.name})`,
      entry: '',
      apiVersion: p.apiVersion ?? PLUGIN_API_VERSION,
      source: 'path' as const,
    }));
    const catalog = new PluginCatalog([...(base?.manifests ?? []), ...manifests]);
    manifests.forEach((manifest, i) => catalog.loaded.set(manifest.name, { manifest, plugin: plugins[i]! }));
    return catalog;
  }

  /** Default roots: the current folder and the folder this copy of core lives in. */
  static defaultRoots(): string[] {
    return [process.cwd(), path.resolve(__dirname, '..', '..')];
  }

  /** A catalog that also holds the packages at `paths` (a config's `plugins:`), which must be plugins. */
  withPaths(paths: string[]): { catalog: PluginCatalog; problems: { index: number; message: string }[] } {
    const problems: { index: number; message: string }[] = [];
    const extra: PluginManifest[] = [];
    paths.forEach((p, index) => {
      const dir = p.endsWith('package.json') ? path.dirname(p) : p;
      if (!fs.existsSync(dir)) return problems.push({ index, message: `no such folder: ${p}` });
      if (!fs.existsSync(path.join(dir, 'package.json'))) return problems.push({ index, message: `not a plugin package: ${p} has no package.json` });
      const m = readPluginManifest(dir, 'path');
      if (!m) return problems.push({ index, message: `not a plugin package: ${path.join(p, 'package.json')} has no "repscope": { "plugin": … } entry` });
      if (!this.manifests.some((x) => x.dir === m.dir) && !extra.some((x) => x.dir === m.dir)) extra.push(m);
      return undefined;
    });
    const catalog = new PluginCatalog([...this.manifests, ...extra]);
    for (const [k, v] of this.loaded) catalog.loaded.set(k, v);
    return { catalog, problems };
  }

  list(): PluginManifest[] {
    return [...this.manifests].sort((a, b) => a.name.localeCompare(b.name) || a.dir.localeCompare(b.dir));
  }

  names(): string[] {
    return [...new Set(this.manifests.map((m) => m.name))].sort();
  }

  /** The manifest for an experiment name; throws with a suggestion when unknown, or when two packages claim it. */
  find(name: string): PluginManifest {
    const matches = this.manifests.filter((m) => m.name === name);
    if (matches.length === 0) {
      const known = this.names();
      throw new PluginError(
        `no plugin named "${name}".${suggestionSuffix(name, known)} Known: ${known.join(', ') || '(none)'}`,
        'E_PLUGIN_UNKNOWN',
      );
    }
    if (matches.length > 1) {
      throw new PluginError(
        `plugin name "${name}" is declared by ${matches.length} packages: ${matches.map((m) => `${m.packageName} (${m.dir})`).join(', ')}. Remove or rename one.`,
        'E_PLUGIN_DUPLICATE',
      );
    }
    return matches[0]!;
  }

  async load(name: string): Promise<LoadedPlugin> {
    const cached = this.loaded.get(name);
    if (cached) return cached;
    const manifest = this.find(name);
    let plugin: Plugin<Record<string, unknown>>;
    try {
      plugin = await loadPluginModule(manifest);
    } catch (err) {
      throw new PluginError(`plugin "${name}" (${manifest.dir}) failed to load: ${errorMessage(err)}`, 'E_PLUGIN_LOAD');
    }
    const result = { manifest, plugin };
    this.loaded.set(name, result);
    return result;
  }

  /** Load every plugin and report each one's state; failures are listed, never thrown. */
  async statuses(): Promise<PluginStatus[]> {
    const counts = new Map<string, number>();
    for (const m of this.manifests) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
    const out: PluginStatus[] = [];
    for (const manifest of this.list()) {
      if ((counts.get(manifest.name) ?? 0) > 1) {
        out.push({ manifest, status: 'duplicate', error: `plugin name "${manifest.name}" is declared by more than one package` });
        continue;
      }
      try {
        const { plugin } = await this.load(manifest.name);
        out.push({ manifest, status: 'ok', plugin });
      } catch (err) {
        out.push({ manifest, status: 'error', error: errorMessage(err) });
      }
    }
    return out;
  }
}
