import * as fs from 'node:fs';
import { InvalidInputError } from '../../util/errors';
import { openCheckpoint } from '../checkpoint/checkpoint';
import { Gpt2Config, gpt2ConfigFromHf, GPT2_SIZES } from './config';
import { HostTensor, initGpt2Params, loadGpt2Params } from './params';
import { gpt2ConfigSchema } from './kind';

/** Where a model's GPT-2 token/position embeddings come from (the `embeddings:` key of MLP kinds). */
export interface EmbeddingSourceSpec {
  size?: keyof typeof GPT2_SIZES;
  config?: Partial<Gpt2Config>;
  weights?: string;
  seed?: number;
}

export const embeddingSourceSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'GPT-2 whose wte/wpe define the input space (default: untrained small, same seed as the experiment)',
  properties: {
    size: { type: 'string', enum: Object.keys(GPT2_SIZES) },
    config: gpt2ConfigSchema,
    weights: { type: 'string', repscopePath: true },
    seed: { type: 'integer', minimum: 0 },
  },
};

/**
 * wte and wpe of a GPT-2: from a checkpoint, or initialised exactly as the untrained `gpt2`
 * kind with the same seed would be (so an MLP and a GPT-2 share their input space).
 */
export function gpt2Embeddings(spec: EmbeddingSourceSpec, experimentSeed: number): { wte: HostTensor; wpe: HostTensor; config: Gpt2Config; id: string } {
  if (spec.weights) {
    const ckpt = openCheckpoint(spec.weights);
    if (!ckpt.config) throw new InvalidInputError(`${spec.weights}: no config.json beside the weights`, 'E_CHECKPOINT');
    const config = gpt2ConfigFromHf(ckpt.config, spec.weights);
    const { params } = loadGpt2Params(ckpt, config, 0);
    return { wte: params.get('wte.weight')!, wpe: params.get('wpe.weight')!, config, id: `ckpt:${fs.realpathSync(spec.weights)}:${fs.statSync(spec.weights).mtimeMs}` };
  }
  const config = { ...GPT2_SIZES[spec.size ?? 'small'], ...(spec.config ?? {}) };
  const seed = spec.seed ?? experimentSeed;
  const params = initGpt2Params(config, 0, seed);
  return { wte: params.get('wte.weight')!, wpe: params.get('wpe.weight')!, config, id: `gpt2-untrained:${JSON.stringify(config)}:${seed}` };
}
