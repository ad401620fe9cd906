import type { InputSpace, JsonSchema, ModelShape, Tokenizer } from '@repscope/models';
import type { Registries } from '../registry/registries';
import type { RunContext } from './api';

/** Current plugin API; a manifest declaring another version is refused with a clear message. */
export const PLUGIN_API_VERSION = 1;

export type SummaryFields = Record<string, unknown>;

/** A problem `check` found: `path` is the config key it is about (e.g. `['input', 'text']`). */
export interface PluginIssue {
  path: (string | number)[];
  message: string;
}

/** What `Plugin.check` receives: the validated options and the models' shapes, before any run starts. */
export interface PluginCheckContext<O = Record<string, unknown>> {
  /** The plugin's own options, validated, defaults applied. */
  readonly options: O;
  /** Shape of the config's `model:` block, if it has one (see ModelShape). */
  readonly model?: ModelShape;
  /** Shape of a model block inside the options (a key marked `repscopeModel: true`), e.g. `['nextToken', 'judge']`. */
  modelAt(path: (string | number)[]): ModelShape | undefined;
  /** The tokenizer of the config's `model:` (to measure texts in tokens); undefined without a token model or a known tokenizer. */
  readonly tokenizer: Tokenizer | undefined;
  /** The experiment seed (for checks that depend on seeded choices, e.g. a data split). */
  readonly seed: number;
}

/** What a plugin accepts as its `model:`, by capability rather than by kind name where it can. */
export interface PluginModelRequirement {
  /** The config must have a `model:` block. */
  required: boolean;
  /** Kinds taking one of these inputs. */
  inputSpaces?: InputSpace[];
  /** Kinds that can be built with `{ trainable: true }` (ModelKind.trainable). */
  trainable?: boolean;
}

/**
 * A plugin is a plain object (Vite/ESLint style). Its `name` is the `experiment:` value that
 * selects it and appears in every error it causes.
 */
export interface Plugin<O = Record<string, unknown>> {
  name: string;
  version: string;
  description: string;
  /** The plugin API it was written for; optional (package.json's `repscope.apiVersion` is what discovery reads), refused at load when it is not PLUGIN_API_VERSION. */
  apiVersion?: number;
  /**
   * JSON schema of the plugin's own top-level keys (everything but the envelope keys).
   * Use `additionalProperties: false` so typos are caught; put defaults in the schema.
   * A function receives the run's registries (to list optimizer/metric names in enums).
   */
  optionsSchema: JsonSchema | ((registries: Registries) => JsonSchema);
  /** What the plugin needs of the config's `model:` block; `validate` reports a block that does not fit. */
  model?: PluginModelRequirement;
  /** Add model kinds, metrics, optimizers or decoders (names must be new). */
  register?(registries: Registries): void;
  /**
   * Check the options against the models' shapes before anything runs (no run folder is made
   * when it finds a problem): a text longer than the model's positions, a token id outside its
   * vocabulary, an image for a token model. Core calls it from `validate`, `run` and `sweep`
   * once the config and every model block are valid, and reports each issue as
   * `file:line:col key: message` (exit 2). Must be fast and must not build models.
   */
  check?(ctx: PluginCheckContext<O>): PluginIssue[];
  /**
   * A minimal config (without `experiment:`) that runs in seconds; the conformance kit runs
   * it and `repscope plugins` shows it.
   */
  example?: Record<string, unknown>;
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
