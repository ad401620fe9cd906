import * as fs from 'node:fs';
import type { ModelKind, ModelSpec } from '../types';
import { InvalidInputError } from '../../util/errors';
import { openCheckpoint } from '../checkpoint/checkpoint';
import { checkGpt2Config, Gpt2Config, gpt2ConfigFromHf, GPT2_SIZES } from './config';
import { Gpt2Model, PositionIds } from './gpt2-model';
import { initGpt2Params, loadGpt2Params } from './params';

export interface Gpt2Spec extends ModelSpec {
  size?: keyof typeof GPT2_SIZES;
  config?: Partial<Gpt2Config>;
  weights?: string;
  depth?: number;
  head: boolean;
  positionIds: PositionIds;
  seed?: number;
}

export const gpt2ConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    vocabSize: { type: 'integer', minimum: 1 },
    nPositions: { type: 'integer', minimum: 1 },
    nEmbd: { type: 'integer', minimum: 1 },
    nLayer: { type: 'integer', minimum: 0 },
    nHead: { type: 'integer', minimum: 1 },
    layerNormEpsilon: { type: 'number', exclusiveMinimum: 0 },
  },
};

export const gpt2OptionsSchema = {
  type: 'object',
  properties: {
    size: { type: 'string', enum: Object.keys(GPT2_SIZES), description: 'preset architecture (default small)' },
    config: { ...gpt2ConfigSchema, description: 'custom architecture; fields override the size preset' },
    weights: { type: 'string', repscopePath: true, description: 'HF checkpoint folder or .safetensors file; absent = untrained' },
    depth: { type: 'integer', minimum: 0, description: 'blocks kept (O_l); default all' },
    head: { type: 'boolean', default: false, description: 'apply the final layer norm and LM head' },
    positionIds: { type: 'string', enum: ['sequential', 'zeros'], default: 'sequential', description: '"zeros" adds wpe[0] at every position, as the seed code did' },
    seed: { type: 'integer', minimum: 0, description: 'seed for untrained weights (default: the experiment seed)' },
  },
};

/** Architecture from a checkpoint's config.json, else from the spec (size preset + overrides). */
function resolveConfig(spec: Gpt2Spec, hf: Record<string, unknown> | undefined, where: string): Gpt2Config {
  const base = hf ? gpt2ConfigFromHf(hf, where) : { ...GPT2_SIZES[spec.size ?? 'small'], ...(spec.config ?? {}) };
  if (hf && (spec.size || spec.config)) {
    const preset = { ...GPT2_SIZES[spec.size ?? 'small'], ...(spec.config ?? {}) };
    const differs = (['nEmbd', 'nLayer', 'nHead', 'vocabSize'] as const).filter((k) => (spec.config?.[k] !== undefined || spec.size) && preset[k] !== base[k]);
    if (differs.length) {
      throw new InvalidInputError(
        `model.weights ${where} is ${differs.map((k) => `${k}=${base[k]}`).join(', ')} but the config asks for ${differs.map((k) => `${k}=${preset[k]}`).join(', ')}; drop model.size/model.config or fix them`,
        'E_CONFIG_MODEL',
      );
    }
  }
  checkGpt2Config(base, where);
  return base;
}

export function describeGpt2(spec: Gpt2Spec, c: Gpt2Config, depth: number, seed: number): string {
  const size = spec.weights ? `weights ${spec.weights}` : `${spec.size ?? (spec.config ? 'custom' : 'small')}, untrained (seed ${seed})`;
  return `gpt2 ${size}, ${depth}/${c.nLayer} blocks, ${spec.head ? 'with' : 'no'} LM head`;
}

export async function buildGpt2(spec: Gpt2Spec, experimentSeed: number, log: (l: string) => void, build: { trainable?: boolean } = {}): Promise<Gpt2Model> {
  const ckpt = spec.weights ? openCheckpoint(spec.weights) : undefined;
  if (ckpt && !ckpt.config) {
    throw new InvalidInputError(`${spec.weights}: no config.json beside the weights; GPT-2's architecture cannot be read from tensors alone`, 'E_CHECKPOINT');
  }
  const config = resolveConfig(spec, ckpt?.config, spec.weights ?? 'model');
  const depth = spec.depth ?? config.nLayer;
  if (depth > config.nLayer) throw new InvalidInputError(`model.depth: must be <= ${config.nLayer} (the model has ${config.nLayer} blocks; got ${depth})`, 'E_CONFIG_MODEL');
  const seed = spec.seed ?? experimentSeed;
  const started = Date.now();
  const loaded = ckpt ? loadGpt2Params(ckpt, config, depth) : { params: initGpt2Params(config, depth, seed), lmHead: undefined };
  const identity = ckpt ? `ckpt:${fs.realpathSync(spec.weights!)}:${fs.statSync(spec.weights!).mtimeMs}` : `gpt2-untrained:${JSON.stringify(config)}:${seed}`;
  const model = new Gpt2Model(loaded.params, { config, depth, head: spec.head, positionIds: spec.positionIds, description: describeGpt2(spec, config, depth, seed), embeddingId: identity, trainable: build.trainable }, loaded.lmHead);
  log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to ${ckpt ? 'load' : 'initialise'})`);
  return model;
}

export const gpt2Kind: ModelKind<Gpt2Spec> = {
  kind: 'gpt2',
  description: 'GPT-2 (small/medium/large/xl or custom), untrained (seeded HF init) or from a HF checkpoint; truncate with depth, head on/off',
  inputSpace: 'embeddings',
  optionsSchema: gpt2OptionsSchema,
  create: (spec, deps) => buildGpt2(spec, deps.seed, deps.log),
};
