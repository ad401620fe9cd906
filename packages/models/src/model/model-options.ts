import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { addModelKeywords } from './model-keywords';
import { InvalidInputError } from '../util/errors';
import { suggestionSuffix } from '../util/suggest';
import type { JsonSchema } from '../util/json-schema';
import type { ModelKind, ModelSpec } from './types';

/**
 * Validating a model block outside a config (`loadModel`): the kind's schema with its
 * defaults applied. Paths resolve against the working folder here; the framework's config
 * validator resolves them against the file that set them instead, with its own ajv.
 */
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
addModelKeywords(ajv, () => process.cwd());
const compiled = new WeakMap<ModelKind, ValidateFunction>();
const withKind = new WeakMap<ModelKind, JsonSchema>();

/** The kind's schema plus the `kind` key itself, closed to unknown keys unless the kind says otherwise. */
export function modelBlockSchema(kind: ModelKind): JsonSchema {
  let schema = withKind.get(kind);
  if (!schema) {
    const own = kind.optionsSchema as { properties?: Record<string, unknown> };
    schema = { type: 'object', additionalProperties: false, ...kind.optionsSchema, properties: { kind: { type: 'string' }, ...(own.properties ?? {}) } };
    withKind.set(kind, schema);
  }
  return schema;
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath ? `model${e.instancePath.replace(/\//g, '.')}` : 'model';
  if (e.keyword === 'additionalProperties') return `${at}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum') return `${at}: ${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  return `${at}: ${e.message}`;
}

/** A copy of `spec` checked against its kind's schema, defaults filled in; throws InvalidInputError naming each bad key. */
export function applyModelOptions(kind: ModelKind, spec: ModelSpec): ModelSpec {
  let validate = compiled.get(kind);
  if (!validate) {
    validate = ajv.compile(modelBlockSchema(kind));
    compiled.set(kind, validate);
  }
  const copy = structuredClone(spec);
  if (!validate(copy)) throw new InvalidInputError(`invalid ${kind.kind} model: ${(validate.errors ?? []).map(describeError).join('; ')}`, 'E_MODEL_OPTIONS');
  return copy;
}

/** The kind named by `spec.kind` among `kinds`, or an error listing them. */
export function findModelKind(kinds: readonly ModelKind[], name: unknown): ModelKind {
  const names = kinds.map((k) => k.kind);
  const kind = kinds.find((k) => k.kind === name);
  if (!kind) throw new InvalidInputError(`unknown model kind ${JSON.stringify(name)}; known kinds: ${names.join(', ')}.${suggestionSuffix(String(name), names)}`, 'E_MODEL_KIND');
  return kind;
}
