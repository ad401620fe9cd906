import type { OptionsFromSchema, OptionsSchema } from '@repscope/core';

/** The options after validation, read off the schema below. */
export type FeatureVizOptions = OptionsFromSchema<typeof featureVizSchema>;

/** One objective: `objective`, or an entry of `also` (both read objectiveProps). */
export type ObjectiveSpec = FeatureVizOptions['objective'];
export type ObjectiveKindName = ObjectiveSpec['kind'];
export type OctaveSpec = NonNullable<FeatureVizOptions['octaves']>[number];

const objectiveProps = {
  kind: { type: 'string', enum: ['neuron-all-patches', 'patch-all-neurons', 'neuron-at-patch', 'direction'], default: 'neuron-all-patches' },
  // l1-to-constant: scale·Σ|C − a| over the selected activations (the seed's form); mean: −mean(a).
  form: { type: 'string', enum: ['l1-to-constant', 'mean'], default: 'l1-to-constant' },
  constant: { type: 'number', default: 200, description: 'C of the seed\'s L1 distance to a large constant' },
  scale: { type: 'number', exclusiveMinimum: 0, default: 20, description: 'the seed scales its loss by 20' },
  maximize: { type: 'boolean', default: true },
  weight: { type: 'number', default: 1 },
  neuron: { type: 'integer', minimum: 0 },
  patch: { type: 'integer', minimum: 0 },
  // direction: a vector in activation space (length d), or a seeded random unit vector when absent.
  vector: { type: 'array', items: { type: 'number' }, minItems: 1 },
  // neuron-all-patches / direction: include the CLS token (the seed did).
  includeCls: { type: 'boolean', default: true },
} as const satisfies Record<string, OptionsSchema>;

const pair = { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } as const satisfies OptionsSchema;

export const featureVizSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hook: { type: 'string', description: 'hook point to read (default: the model\'s output, blocks.{depth−1}.hook_resid_post)' },
    objective: { type: 'object', additionalProperties: false, default: {}, properties: objectiveProps },
    also: { type: 'array', default: [], items: { type: 'object', additionalProperties: false, properties: objectiveProps }, description: 'further objectives added with their weights (fixed across panels)' },
    panels: {
      type: 'object',
      additionalProperties: false,
      default: { neurons: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] },
      maxProperties: 1,
      description: 'one optimised image per neuron, per patch, or per random direction',
      properties: {
        neurons: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
        patches: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
        directions: { type: 'integer', minimum: 1 },
      },
    },
    parameterization: { type: 'string', enum: ['pixels', 'fourier'], default: 'pixels', description: 'pixels (the seed) or Lucid\'s decorrelated Fourier parameterisation' },
    init: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        low: { type: 'number', default: 0.5, description: 'pixels start ~ U(low, high): the seed\'s rand/10 + 0.5' },
        high: { type: 'number', default: 0.6 },
        fourierStd: { type: 'number', minimum: 0, default: 0.01 },
      },
    },
    steps: { type: 'integer', minimum: 1, default: 100, description: 'steps when no octaves are given' },
    lr: { type: 'number', exclusiveMinimum: 0, default: 0.5, description: 'learning rate when no octaves are given (falls linearly to 0.8·lr)' },
    octaves: {
      type: 'array',
      minItems: 1,
      description: 'stages at growing sizes (the seed: 224 → 560 → 600, random model-size crops after the first)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['size', 'steps'],
        properties: {
          size: { type: 'integer', minimum: 1 },
          steps: { type: 'integer', minimum: 1 },
          lr: { ...pair, default: [0.5, 0.4] },
          blur: { ...pair, default: [2.4, 0.8], description: 'σ from → to over the octave' },
          crop: { type: 'boolean', default: false, description: 'optimise random model-size crops of a larger image' },
        },
      },
    },
    transforms: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        jitter: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { enabled: { type: 'boolean', default: true }, kind: { type: 'string', enum: ['roll', 'crop'], default: 'crop' }, pixels: { type: 'integer', minimum: 0, default: 8 } },
        },
        blur: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { enabled: { type: 'boolean', default: true }, kernel: { type: 'integer', minimum: 1, default: 3 }, sigma: { ...pair, default: [2.4, 0.8] } },
        },
        scale: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { enabled: { type: 'boolean', default: false }, factors: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1, default: [0.95, 0.975, 1, 1.025, 1.05] } },
        },
        rotate: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { enabled: { type: 'boolean', default: false }, degrees: { type: 'array', items: { type: 'number' }, minItems: 1, default: [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5] } },
        },
      },
    },
    clip: { type: 'boolean', default: false, description: 'clip pixels to [0, 1] after each step' },
    batch: { type: 'integer', minimum: 1, default: 4, description: 'panels optimised together' },
    logEvery: { type: 'integer', minimum: 1, default: 1 },
    earlyFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.25, description: 'the "early patches" share used for earlyPatchChangeFraction' },
  },
} as const satisfies OptionsSchema;
