import type { OptionsFromSchema, OptionsSchema } from './options-type';
import type { Registries } from '../registry/registries';

/**
 * Schema fragment for a `decode:` block — which decoder, how many candidates per position, and
 * at which steps to take snapshots — so experiments that decode spell it the same way.
 */
export function decodeSchema(r: Registries, defaults: { topK?: number } = {}) {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      decoder: { type: 'string', enum: r.decoders.names(), default: 'pinv' },
      topK: { type: 'integer', minimum: 1, maximum: 100, default: defaults.topK ?? 5 },
      at: { type: 'array', items: { type: 'integer', minimum: 0 }, default: [], description: 'steps at which to decode a snapshot (the final step always is)' },
    },
  } as const satisfies OptionsSchema;
}

/** A validated `decode:` block, read off the schema. */
export type DecodeOptions = OptionsFromSchema<ReturnType<typeof decodeSchema>>;
