import { decodeSchema, type DecodeOptions, type OptionsFromSchema, type OptionsSchema, type Registries } from '@repscope/core';

/** The options after validation, read off the schema below (`decode` is core's decodeSchema fragment). */
export type WalksOptions = OptionsFromSchema<ReturnType<typeof walksSchema>, { decode: DecodeOptions }>;

export function walksSchema(r: Registries) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['walk', 'input'],
    properties: {
      walk: { type: 'string', enum: ['tangent', 'clamped'], description: 'tangent: step along the null space of the input gradient; clamped: perturb one side of a cut, restore the output with the other' },
      input: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        maxProperties: 1,
        properties: { text: { type: 'string', minLength: 1 }, tokens: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 } },
      },
      steps: { type: 'integer', minimum: 1, default: 100, description: 'walk steps (clamped: outer steps)' },
      tangent: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          stepSize: { type: 'number', exclusiveMinimum: 0, default: 0.01, description: 'η: e ← e + η·v (the seed: 0.01 in the text, 0.1 in the code)' },
          direction: {
            type: 'string',
            enum: ['last', 'first', 'random-combination'],
            default: 'last',
            description: 'which null-space direction: the last / first basis vector of the full QR of Gᵀ, or a seeded random unit combination',
          },
        },
      },
      clamped: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          eta: { type: 'number', exclusiveMinimum: 0, default: 0.0002, description: 'size of the noise on the perturbed side' },
          noise: { type: 'string', enum: ['normal', 'uniform'], default: 'normal', description: 'η·N(0,1) (the seed\'s text) or η·U(0,1) (its code)' },
          innerSteps: { type: 'integer', minimum: 0, default: 31, description: 'gradient steps restoring the output after each perturbation' },
          epsilon: { type: 'number', exclusiveMinimum: 0, default: 0.00002, description: 'size of each restoring step' },
          side: {
            type: 'string',
            enum: ['text', 'code'],
            default: 'text',
            description: 'text: noise on dims < cut, descend on dims ≥ cut (the seed\'s equation); code: the reverse (the seed\'s code)',
          },
        },
      },
      decode: decodeSchema(r),
      logEvery: { type: 'integer', minimum: 1, default: 1 },
    },
  } as const satisfies OptionsSchema;
}
