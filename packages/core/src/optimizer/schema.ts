import type { JsonSchema } from '@repscope/models';

/**
 * Schema fragment plugins embed for their `optimizer:` block, so every experiment spells
 * optimisers the same way. `kinds` lists the names valid here (from the registry).
 */
export function optimizerSchema(defaults: { kind: string; lr: number; schedule?: string }, kinds: string[], schedules: string[]): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      kind: { type: 'string', enum: kinds, default: defaults.kind },
      lr: { type: 'number', exclusiveMinimum: 0, default: defaults.lr },
      momentum: { type: 'number', minimum: 0, maximum: 1 },
      beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      epsilon: { type: 'number', exclusiveMinimum: 0 },
      schedule: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          kind: { type: 'string', enum: schedules, default: defaults.schedule ?? 'constant' },
          finalFraction: { type: 'number', minimum: 0 },
          gamma: { type: 'number', exclusiveMinimum: 0 },
        },
      },
    },
  };
}
