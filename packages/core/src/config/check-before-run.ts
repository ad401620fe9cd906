import type { ModelShape } from '@repscope/models';
import { snapshotFolder, withLocalWeights, type WeightsFolder } from '../weights/config-weights';
import { HubError } from '@repscope/models';
import { ModelCheckError } from '@repscope/models';
import type { Plugin } from '../plugin/types';
import type { Registries } from '../registry/registries';
import { errorMessage, InvalidInputError } from '@repscope/models';
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

export interface PreRunResult {
  issues: ConfigIssue[];
  /** Some `hf:` weights were not local yet: their blocks were not checked. */
  deferred: boolean;
  /** The config's `model:` shape, when it was resolved. */
  modelShape?: ModelShape;
}

/**
 * The second pass of validation, once the config is valid against every schema: resolve each
 * model block's shape (config.json and safetensors headers, never tensors — see
 * ModelKind.resolve), then let the plugin check its options against those shapes. Everything
 * found here is reported before a run folder exists, as `file:line:col key: message`.
 */
export function checkBeforeRun(input: PreRunInput, folderFor: WeightsFolder = snapshotFolder): PreRunResult {
  const { data, registries, locations } = input;
  const issues: ConfigIssue[] = [];
  const shapes = new Map<string, ModelShape>();
  let deferred = false;
  const blocks: ConfigPath[] = [...(data['model'] !== undefined ? [['model']] : []), ...input.modelPaths];
  for (const at of blocks) {
    const block = getAtPath(data, at);
    if (!isPlainObject(block) || typeof block['kind'] !== 'string') continue;
    const kind = registries.models.tryGet(block['kind']);
    if (!kind?.resolve) continue;
    const local = localWeights(block, folderFor);
    // Weights named by `hf:` and not fetched yet: their shape is known only after the fetch
    // (the runner checks again then, still before the run directory exists).
    if (!local) {
      deferred = true;
      continue;
    }
    try {
      shapes.set(pointer(at), kind.resolve(local as never));
    } catch (err) {
      if (err instanceof ModelCheckError) issues.push(located([...at, ...err.key], err.detail, err.code, locations));
      else if (err instanceof InvalidInputError) issues.push(located(at, err.message, err.code, locations));
      else throw err;
    }
  }
  const { plugin } = input;
  const modelShape = shapes.get(pointer(['model']));
  // A plugin's check reasons about its models' shapes; with a model block in error it would
  // only repeat that error in other words.
  if (issues.length || !plugin.check) return { issues, deferred, modelShape };
  let found;
  try {
    found = plugin.check({
      options: input.options,
      model: modelShape,
      modelAt: (path) => shapes.get(pointer(path)),
      tokenizer: modelShape?.tokenizer,
      seed: typeof data['seed'] === 'number' ? data['seed'] : 0,
    });
  } catch (err) {
    return { issues: [located(['experiment'], `plugin "${plugin.name}" check() failed: ${errorMessage(err)}`, 'E_PLUGIN_CHECK', locations)], deferred, modelShape };
  }
  if (!Array.isArray(found)) return { issues: [located(['experiment'], `plugin "${plugin.name}" check() must return a list of issues`, 'E_PLUGIN_CHECK', locations)], deferred, modelShape };
  return { issues: found.map((i) => located(i.path, i.message, 'E_CONFIG_CHECK', locations)), deferred, modelShape };
}

/** The block with `hf:` weights replaced by their local folder; undefined while any is not local. */
function localWeights(block: Record<string, unknown>, folderFor: WeightsFolder): Record<string, unknown> | undefined {
  try {
    return withLocalWeights(block, folderFor);
  } catch (err) {
    if (err instanceof HubError) return undefined;
    throw err;
  }
}

function located(path: ConfigPath, message: string, code: string, locations: LocationMap): ConfigIssue {
  return { path, message, code, location: locations.locate(path) };
}
