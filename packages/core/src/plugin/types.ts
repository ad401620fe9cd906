import type { JsonSchema } from '../config/validate';
import type { InputSpace } from '../model/types';
import type { Registries } from '../registries';
import type { RunContext } from '../run/context';

/** Current plugin API; a manifest declaring another version is refused with a clear message. */
export const PLUGIN_API_VERSION = 1;

export type SummaryFields = Record<string, unknown>;

export interface PluginInputIssue {
  path: (string | number)[];
  message: string;
}

/**
 * A plugin is a plain object (Vite/ESLint style). Its `name` is the `experiment:` value that
 * selects it and appears in every error it causes.
 */
export interface Plugin<O = Record<string, unknown>> {
  name: string;
  version: string;
  description: string;
  apiVersion?: number;
  /**
   * JSON schema of the plugin's own top-level keys (everything but the envelope keys).
   * Use `additionalProperties: false` so typos are caught; put defaults in the schema.
   * A function receives the run's registries (to list optimizer/metric names in enums).
   */
  optionsSchema: JsonSchema | ((registries: Registries) => JsonSchema);
  /** Require a `model:` block whose kind takes one of these inputs. */
  model?: { required: boolean; inputSpaces?: InputSpace[] };
  /** Add model kinds, metrics, optimizers or decoders (names must be new). */
  register?(registries: Registries): void;
  /**
   * A minimal config (without `experiment:`) that runs in seconds; the conformance kit runs
   * it and `repscope plugins` shows it.
   */
  example?: Record<string, unknown>;
  /**
   * Checks the schema cannot express, such as the files a config points at. Runs at
   * validation (`repscope validate`, and before any run) once the options passed the schema;
   * each problem is one config error at `path` (relative to the plugin's options).
   * `config` is the whole config (envelope included: seed, model block).
   */
  checkInput?(options: O, config: Record<string, unknown>): Promise<PluginInputIssue[]> | PluginInputIssue[];
  /**
   * The plugin continues an unfinished run in the same folder (e.g. training from its last
   * checkpoint), so the runner keeps the folder's files instead of clearing them.
   */
  resumable?: boolean;
  /** Run the experiment; return the summary fields (core adds status, artifacts, timing). */
  run(ctx: RunContext<O>): Promise<SummaryFields>;
}

/** Identity function: only gives type inference for a plugin object. */
export function definePlugin<O = Record<string, unknown>>(plugin: Plugin<O>): Plugin<O> {
  return plugin;
}

export function pluginSchema(plugin: Plugin<unknown>, registries: Registries): JsonSchema {
  return typeof plugin.optionsSchema === 'function' ? plugin.optionsSchema(registries) : plugin.optionsSchema;
}
