import * as path from 'node:path';
import { PluginCatalog, PluginError, LoadedPlugin } from '../plugin/catalog';
import { pluginSchema } from '../plugin/types';
import { forkRegistries, Registries } from '../registry/registries';
import { createBuiltinRegistries } from '../registry/builtins';
import type { EnvelopeConfig } from '../plugin/api';
import { errorMessage } from '@repscope/models';
import { checkBeforeRun, type PreRunInput } from './check-before-run';
import type { ModelShape } from '@repscope/models';
import type { WeightsFolder } from '../weights/config-weights';
import { ConfigError, ConfigIssue } from './config-error';
import { ENVELOPE_KEYS, envelopeSchema } from './envelope';
import { loadWithExtends } from './extends';
import { LocationMap } from './location';
import { getAtPath } from './merge';
import { applyOverrides, Override } from './overrides';
import { modelBlockPaths, validateModelBlock } from './validate-model';
import { validateSection } from './validate';

/** A config after extends and overrides, before validation. */
export interface RawConfig {
  file: string;
  data: Record<string, unknown>;
  locations: LocationMap;
}

export interface ResolvedExperiment {
  file: string;
  /** Complete config: defaults applied, paths absolute — what config.yaml records. */
  config: EnvelopeConfig & Record<string, unknown>;
  /** The plugin's own keys from `config`. */
  options: Record<string, unknown>;
  plugin: LoadedPlugin;
  /** Built-ins plus this plugin's registrations (a fresh copy per experiment). */
  registries: Registries;
  /**
   * The pre-run checks (model shapes from config.json and headers, then the plugin's `check`)
   * have passed for every model block. False while some `hf:` weights were not local when the
   * config was resolved: `checkExperiment` runs them once they are (config/prepare.ts).
   */
  checked: boolean;
  /** The config's `model:` as checked: its tokenizer is the run's `ctx.tokenizer`. */
  modelShape?: ModelShape;
  /** What the pre-run checks read; kept so they can run again after a fetch. */
  readonly preRun: PreRunInput;
}

/**
 * Run the pre-run checks with `hf:` weights found through `folderFor` (the cache by default,
 * or header-only folders for `validate`); records the model's shape. Issues are sorted for reading.
 */
export function checkExperiment(exp: ResolvedExperiment, folderFor?: WeightsFolder): ConfigIssue[] {
  const result = checkBeforeRun(exp.preRun, folderFor);
  exp.modelShape = result.modelShape;
  exp.checked = !result.deferred && !result.issues.length;
  return sortIssues(result.issues);
}

export interface ResolveEnvironment {
  catalog: PluginCatalog;
  baseRegistries: Registries;
}

export function loadRawConfig(file: string, overrides: Override[] = []): RawConfig {
  const { data, locations } = loadWithExtends(file);
  applyOverrides(data, locations, overrides);
  return { file: path.resolve(file), data, locations };
}

export function cloneRaw(raw: RawConfig): RawConfig {
  return { file: raw.file, data: structuredClone(raw.data), locations: raw.locations.clone() };
}

const envelopeKeySet = new Set<string>(ENVELOPE_KEYS);

/**
 * Validate a whole config in three layers — envelope, model block(s), plugin options — and
 * report every problem of every layer together. Throws ConfigError; never runs anything.
 */
export async function resolveExperiment(raw: RawConfig, env: ResolveEnvironment, options: { allowSweep?: boolean } = {}): Promise<ResolvedExperiment> {
  const data = structuredClone(raw.data);
  const { locations } = raw;
  if (data['name'] === undefined) data['name'] = sanitiseName(path.basename(raw.file).replace(/\.ya?ml$/i, ''));
  const issues: ConfigIssue[] = validateSection(envelopeSchema, data, { locations });

  if (data['sweep'] !== undefined && !options.allowSweep) {
    issues.push({
      path: ['sweep'],
      location: locations.locate(['sweep'], 'key'),
      message: 'this config defines a sweep; run it with `repscope sweep`',
      code: 'E_CONFIG_SWEEP_IN_RUN',
    });
  }

  let catalog = env.catalog;
  const pluginPaths = Array.isArray(data['plugins']) ? (data['plugins'] as unknown[]).filter((p): p is string => typeof p === 'string') : [];
  if (pluginPaths.length) {
    const extended = catalog.withPaths(pluginPaths);
    catalog = extended.catalog;
    for (const p of extended.problems) {
      issues.push({ path: ['plugins', p.index], location: locations.locate(['plugins', p.index]), message: p.message, code: 'E_CONFIG_PLUGIN_PATH' });
    }
  }

  let loaded: LoadedPlugin | undefined;
  if (typeof data['experiment'] === 'string' && data['experiment']) {
    try {
      loaded = await catalog.load(data['experiment']);
    } catch (err) {
      issues.push({
        path: ['experiment'],
        location: locations.locate(['experiment']),
        message: errorMessage(err),
        code: err instanceof PluginError ? err.code : 'E_PLUGIN_LOAD',
      });
    }
  }

  const registries = forkRegistries(env.baseRegistries);
  if (loaded?.plugin.register) {
    try {
      loaded.plugin.register(registries);
    } catch (err) {
      issues.push({ path: ['experiment'], location: locations.locate(['experiment']), message: `plugin "${loaded.plugin.name}" register() failed: ${errorMessage(err)}`, code: 'E_PLUGIN_REGISTER' });
    }
  }

  const modelRequirement = loaded?.plugin.model;
  if (data['model'] !== undefined) {
    issues.push(...validateModelBlock(data['model'], ['model'], registries, locations, modelRequirement, loaded?.plugin.name));
  } else if (modelRequirement?.required) {
    issues.push({ path: ['model'], location: { source: displayRoot(raw) }, message: `is required by experiment "${loaded!.plugin.name}"`, code: 'E_CONFIG_REQUIRED' });
  }

  const pluginOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!envelopeKeySet.has(k)) pluginOptions[k] = v;
  if (loaded) {
    let schema;
    try {
      schema = pluginSchema(loaded.plugin, registries);
      issues.push(...validateSection(schema, pluginOptions, { locations, siblingKeys: [...ENVELOPE_KEYS] }));
      for (const p of modelBlockPaths(schema)) {
        const block = getAtPath(pluginOptions, p);
        if (block !== undefined) issues.push(...validateModelBlock(block, p, registries, locations));
      }
    } catch (err) {
      issues.push({ path: [], location: { source: `plugin "${loaded.plugin.name}"` }, message: `its options schema is invalid: ${errorMessage(err)}`, code: 'E_PLUGIN_SCHEMA' });
    }
  }

  if (issues.length || !loaded) throw new ConfigError(sortIssues(issues));
  const preRunInput = { data, options: pluginOptions, plugin: loaded.plugin, registries, locations, modelPaths: modelBlockPaths(pluginSchema(loaded.plugin, registries)) };
  const preRun = checkBeforeRun(preRunInput);
  if (preRun.issues.length) throw new ConfigError(sortIssues(preRun.issues));
  const config: Record<string, unknown> = {};
  for (const k of ENVELOPE_KEYS) if (data[k] !== undefined) config[k] = data[k];
  Object.assign(config, pluginOptions);
  return { file: raw.file, config: config as EnvelopeConfig & Record<string, unknown>, options: pluginOptions, plugin: loaded, registries, checked: !preRun.deferred, modelShape: preRun.modelShape, preRun: preRunInput };
}

function displayRoot(raw: RawConfig): string {
  return raw.locations.locate([])?.source ?? path.relative(process.cwd(), raw.file);
}

/** Grouped by source in order of first appearance, then by line and column: read top to bottom. */
function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const sourceOrder = new Map<string, number>();
  for (const i of issues) {
    const s = i.location?.source ?? '';
    if (!sourceOrder.has(s)) sourceOrder.set(s, sourceOrder.size);
  }
  return [...issues].sort((a, b) => {
    const d = sourceOrder.get(a.location?.source ?? '')! - sourceOrder.get(b.location?.source ?? '')!;
    return d || (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0);
  });
}

export function sanitiseName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return clean.slice(0, 100) || 'run';
}


/** What the CLI resolves configs against: discovered plugins and the built-in registries. */
export function createDefaultEnvironment(roots = PluginCatalog.defaultRoots()): ResolveEnvironment {
  return { catalog: PluginCatalog.discover(roots), baseRegistries: createBuiltinRegistries() };
}
