import type { ModelShape } from '../model/types';
import { ModelCheckError } from '../model/model-check';
import type { Plugin } from '../plugin/types';
import type { Registries } from '../registries';
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer';
import { errorMessage, InvalidInputError } from '../util/errors';
import type { ConfigIssue } from './config-error';
import { ConfigPath, LocationMap, pointer } from './location';
import { getAtPath, isPlainObject } from './merge';

export interface PreRunInput {
  /** The whole validated config (envelope + plugin options), defaults applied. */
  data: Record<string, unknown>;
  options: Record<string, unknown>;
  plugin: Plugin<unknown>;
  registries: Registries;
  locations: LocationMap;
  /** Model blocks inside the plugin's options (keys marked `repscopeModel`). */
  modelPaths: ConfigPath[];
}

/**
 * The second pass of validation, once the config is valid against every schema: resolve each
 * model block's shape (config.json and safetensors headers, never tensors — see
 * ModelKind.resolve), then let the plugin check its options against those shapes. Everything
 * found here is reported before a run folder exists, as `file:line:col key: message`.
 */
export function checkBeforeRun(input: PreRunInput): ConfigIssue[] {
  const { data, registries, locations } = input;
  const issues: ConfigIssue[] = [];
  const shapes = new Map<string, ModelShape>();
  const blocks: ConfigPath[] = [...(data['model'] !== undefined ? [['model']] : []), ...input.modelPaths];
  for (const at of blocks) {
    const block = getAtPath(data, at);
    if (!isPlainObject(block) || typeof block['kind'] !== 'string') continue;
    const kind = registries.models.tryGet(block['kind']);
    if (!kind?.resolve) continue;
    try {
      shapes.set(pointer(at), kind.resolve(block as never));
    } catch (err) {
      if (err instanceof ModelCheckError) issues.push(located([...at, ...err.key], err.detail, err.code, locations));
      else if (err instanceof InvalidInputError) issues.push(located(at, err.message, err.code, locations));
      else throw err;
    }
  }
  const { plugin } = input;
  // A plugin's check reasons about its models' shapes; with a model block in error it would
  // only repeat that error in other words.
  if (issues.length || !plugin.check) return issues;
  let found;
  try {
    found = plugin.check({
      options: input.options,
      model: shapes.get(pointer(['model'])),
      modelAt: (path) => shapes.get(pointer(path)),
      tokenizer: gpt2Tokenizer,
    });
  } catch (err) {
    return [located(['experiment'], `plugin "${plugin.name}" check() failed: ${errorMessage(err)}`, 'E_PLUGIN_CHECK', locations)];
  }
  if (!Array.isArray(found)) return [located(['experiment'], `plugin "${plugin.name}" check() must return a list of issues`, 'E_PLUGIN_CHECK', locations)];
  return found.map((i) => located(i.path, i.message, 'E_CONFIG_CHECK', locations));
}

function located(path: ConfigPath, message: string, code: string, locations: LocationMap): ConfigIssue {
  return { path, message, code, location: locations.locate(path) };
}
