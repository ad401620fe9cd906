import { modelBlockSchema, suggestionSuffix } from '@repscope/models';
import type { PluginModelRequirement } from '../plugin/types';
import type { Registries } from '../registry/registries';
import { ConfigIssue } from './config-error';
import { ConfigPath, LocationMap } from './location';
import type { JsonSchema } from '@repscope/models';
import { validateSection } from './validate';
import { isPlainObject } from './merge';

/** Validate a model block (`model:` or a plugin key marked `repscopeModel`) against its registered kind. */
export function validateModelBlock(
  block: unknown,
  path: ConfigPath,
  registries: Registries,
  locations: LocationMap,
  requirement?: PluginModelRequirement,
  experiment?: string,
): ConfigIssue[] {
  const allowedInputs = requirement?.inputSpaces;
  if (!isPlainObject(block)) return [];
  const kindName = block['kind'];
  if (typeof kindName !== 'string') return [];
  const kind = registries.models.tryGet(kindName);
  if (!kind) {
    const known = registries.models.names();
    return [
      {
        path: [...path, 'kind'],
        location: locations.locate([...path, 'kind']),
        message: `unknown model kind "${kindName}".${suggestionSuffix(kindName, known)} Known: ${known.join(', ') || '(none)'}`,
        code: 'E_CONFIG_MODEL_KIND',
      },
    ];
  }
  const issues = validateSection(modelBlockSchema(kind), block, { locations, prefix: path });
  if (allowedInputs && !allowedInputs.includes(kind.inputSpace)) {
    issues.push({
      path: [...path, 'kind'],
      location: locations.locate([...path, 'kind']),
      message: `experiment "${experiment}" needs a model taking ${allowedInputs.join(' or ')} input; "${kindName}" takes ${kind.inputSpace}`,
      code: 'E_CONFIG_MODEL_INPUT',
    });
  }
  if (requirement?.trainable && !kind.trainable) {
    const trainable = registries.models.names().filter((n) => registries.models.get(n).trainable);
    issues.push({
      path: [...path, 'kind'],
      location: locations.locate([...path, 'kind']),
      message: `experiment "${experiment}" trains its model; "${kindName}" cannot be built for training (kinds that can: ${trainable.join(', ') || 'none'})`,
      code: 'E_CONFIG_MODEL_TRAINABLE',
    });
  }
  return issues;
}

/** Paths of keys a plugin schema marks `repscopeModel: true` (nested model blocks, e.g. a judge model). */
export function modelBlockPaths(schema: JsonSchema, prefix: ConfigPath = []): ConfigPath[] {
  const out: ConfigPath[] = [];
  const props = (schema as { properties?: Record<string, JsonSchema> }).properties ?? {};
  for (const [key, sub] of Object.entries(props)) {
    if (!isPlainObject(sub)) continue;
    if (sub['repscopeModel'] === true) out.push([...prefix, key]);
    else out.push(...modelBlockPaths(sub, [...prefix, key]));
  }
  return out;
}
