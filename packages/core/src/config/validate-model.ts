import type { ModelKind } from '../model/types';
import type { Registries } from '../registries';
import { ConfigIssue } from './config-error';
import { ConfigPath, LocationMap } from './location';
import { suggestionSuffix } from './suggest';
import { JsonSchema, validateSection } from './validate';
import { isPlainObject } from './merge';

const withKind = new WeakMap<ModelKind, JsonSchema>();

/** The kind's schema plus the `kind` key itself, closed to unknown keys unless the kind says otherwise. */
function blockSchema(kind: ModelKind): JsonSchema {
  let schema = withKind.get(kind);
  if (!schema) {
    const own = kind.optionsSchema as { properties?: Record<string, unknown> };
    schema = { type: 'object', additionalProperties: false, ...kind.optionsSchema, properties: { kind: { type: 'string' }, ...(own.properties ?? {}) } };
    withKind.set(kind, schema);
  }
  return schema;
}

/** Validate a model block (`model:` or a plugin key marked `repscopeModel`) against its registered kind. */
export function validateModelBlock(
  block: unknown,
  path: ConfigPath,
  registries: Registries,
  locations: LocationMap,
  allowedInputs?: string[],
  experiment?: string,
): ConfigIssue[] {
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
  const issues = validateSection(blockSchema(kind), block, { locations, prefix: path });
  if (allowedInputs && !allowedInputs.includes(kind.inputSpace)) {
    issues.push({
      path: [...path, 'kind'],
      location: locations.locate([...path, 'kind']),
      message: `experiment "${experiment}" needs a model taking ${allowedInputs.join(' or ')} input; "${kindName}" takes ${kind.inputSpace}`,
      code: 'E_CONFIG_MODEL_INPUT',
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
