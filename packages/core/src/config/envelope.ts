import { BACKEND_CHOICES } from '@repscope/models';
import { launcherSchema } from './launcher-schema';
import type { JsonSchema } from '@repscope/models';

/** Keys every config may have whatever its experiment; the rest belong to the plugin. */
export const ENVELOPE_KEYS = ['experiment', 'name', 'description', 'seed', 'backend', 'extends', 'plugins', 'model', 'sweep', 'launcher'] as const;

const sweepAxes: JsonSchema = {
  type: 'object',
  minProperties: 1,
  additionalProperties: { type: 'array', minItems: 1 },
};

/** The `sweep:` block; validated on its own before a sweep is expanded (jobs drop the block). */
export const sweepSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { grid: sweepAxes, zip: sweepAxes },
};

export const envelopeSchema: JsonSchema = {
  type: 'object',
  required: ['experiment'],
  properties: {
    experiment: { type: 'string', minLength: 1 },
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 100 },
    description: { type: 'string' },
    seed: { type: 'integer', minimum: 0, default: 0 },
    backend: { type: 'string', enum: [...BACKEND_CHOICES], default: 'auto' },
    plugins: { type: 'array', items: { type: 'string', minLength: 1, repscopePath: true }, default: [] },
    model: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { type: 'string', minLength: 1 } },
    },
    sweep: sweepSchema,
    launcher: launcherSchema,
  },
};
