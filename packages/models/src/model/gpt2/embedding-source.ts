import * as fs from 'node:fs';
import type { Checkpoint } from '../checkpoint/checkpoint';
import { about } from '../model-check';
import { Gpt2Config, GPT2_SIZES } from './config';
import { gpt2CheckpointNames, HostTensor, initGpt2Params, loadGpt2Params } from './params';
import { openWithConfig } from '../checkpoint/open-with-config';
import { gpt2ConfigSchema, resolveGpt2Config } from './kind';

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

/** The embedding source's architecture and checkpoint, checked (headers only); `prefix` is its key in the model block. */
export function planEmbeddings(spec: EmbeddingSourceSpec, prefix: string[]): { config: Gpt2Config; ckpt?: Checkpoint } {
  const ckpt = spec.weights ? openWithConfig(spec.weights, [...prefix, 'weights'], 'GPT-2') : undefined;
  const config = resolveGpt2Config(spec, ckpt?.config, prefix);
  if (ckpt) about([...prefix, 'weights'], () => gpt2CheckpointNames(ckpt, config));
  return { config, ckpt };
}

/**
 * wte and wpe of a GPT-2: from a checkpoint, or initialised exactly as the untrained `gpt2`
 * kind with the same seed would be (so an MLP and a GPT-2 share their input space).
 */
export function gpt2Embeddings(spec: EmbeddingSourceSpec, experimentSeed: number, prefix: string[] = ['embeddings']): { wte: HostTensor; wpe: HostTensor; config: Gpt2Config; id: string } {
  const { config, ckpt } = planEmbeddings(spec, prefix);
  if (ckpt) {
    const { params } = loadGpt2Params(ckpt, config, 0);
    return { wte: params.get('wte.weight')!, wpe: params.get('wpe.weight')!, config, id: `ckpt:${fs.realpathSync(spec.weights!)}:${fs.statSync(spec.weights!).mtimeMs}` };
  }
  const seed = spec.seed ?? experimentSeed;
  const params = initGpt2Params(config, 0, seed);
  return { wte: params.get('wte.weight')!, wpe: params.get('wpe.weight')!, config, id: `gpt2-untrained:${JSON.stringify(config)}:${seed}` };
}
