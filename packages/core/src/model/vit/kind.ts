import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../../util/errors';
import { openCheckpoint } from '../checkpoint/checkpoint';
import type { ModelKind, ModelSpec } from '../types';
import { VitConfig, vitConfigFromHf, VIT_SIZES } from './config';
import { initVitParams, loadVitParams } from './params';
import { VitModel } from './vit-model';

export interface VitSpec extends ModelSpec {
  size?: keyof typeof VIT_SIZES;
  config?: Partial<VitConfig>;
  weights?: string;
  depth?: number;
  head: boolean;
  seed?: number;
}

export const vitConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    imageSize: { type: 'integer', minimum: 1 },
    patchSize: { type: 'integer', minimum: 1 },
    channels: { type: 'integer', minimum: 1 },
    hiddenSize: { type: 'integer', minimum: 1 },
    layers: { type: 'integer', minimum: 0 },
    heads: { type: 'integer', minimum: 1 },
    intermediateSize: { type: 'integer', minimum: 1 },
    layerNormEps: { type: 'number', exclusiveMinimum: 0 },
    numLabels: { type: 'integer', minimum: 0 },
    imageMean: { type: 'array', items: { type: 'number' } },
    imageStd: { type: 'array', items: { type: 'number' } },
  },
};

export function resolveVitConfig(spec: { size?: keyof typeof VIT_SIZES; config?: Partial<VitConfig> }, hf: Record<string, unknown> | undefined, where: string): VitConfig {
  const c = hf ? vitConfigFromHf(hf, where) : { ...VIT_SIZES[spec.size ?? 'b16'], ...(spec.config ?? {}) };
  if (c.imageSize % c.patchSize !== 0) throw new InvalidInputError(`${where}: imageSize ${c.imageSize} is not a multiple of patchSize ${c.patchSize}`, 'E_CONFIG_MODEL');
  if (c.hiddenSize % c.heads !== 0) throw new InvalidInputError(`${where}: hiddenSize ${c.hiddenSize} is not divisible by heads ${c.heads}`, 'E_CONFIG_MODEL');
  return c;
}

/**
 * HF keeps the image mean/std in preprocessor_config.json beside config.json; use them when
 * present so pixels are normalised as the checkpoint was trained.
 */
export function withPreprocessor(config: Record<string, unknown>, weights: string): Record<string, unknown> {
  const dir = fs.statSync(weights).isDirectory() ? weights : path.dirname(weights);
  const file = path.join(dir, 'preprocessor_config.json');
  if (!fs.existsSync(file)) return config;
  try {
    const pre = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    return { ...config, ...(pre['image_mean'] ? { image_mean: pre['image_mean'] } : {}), ...(pre['image_std'] ? { image_std: pre['image_std'] } : {}) };
  } catch {
    throw new InvalidInputError(`${file}: not valid JSON`, 'E_CHECKPOINT');
  }
}

export async function buildVit(spec: VitSpec, experimentSeed: number, log: (l: string) => void): Promise<VitModel> {
  const ckpt = spec.weights ? openCheckpoint(spec.weights) : undefined;
  if (ckpt && !ckpt.config) throw new InvalidInputError(`${spec.weights}: no config.json beside the weights; ViT's architecture cannot be read from tensors alone`, 'E_CHECKPOINT');
  const config = resolveVitConfig(spec, ckpt ? withPreprocessor(ckpt.config!, spec.weights!) : undefined, spec.weights ?? 'model');
  const depth = spec.depth ?? config.layers;
  if (depth > config.layers) throw new InvalidInputError(`model.depth: must be <= ${config.layers} (got ${depth})`, 'E_CONFIG_MODEL');
  const seed = spec.seed ?? experimentSeed;
  const started = Date.now();
  const params = ckpt ? loadVitParams(ckpt, config, depth) : initVitParams(config, depth, seed);
  const source = spec.weights ? `weights ${spec.weights}` : `${spec.size ?? (spec.config ? 'custom' : 'b16')}, untrained (seed ${seed})`;
  const model = new VitModel(params, { config, depth, head: spec.head, description: `vit ${source}, ${depth}/${config.layers} blocks, ${spec.head ? 'with' : 'no'} classifier` });
  log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to ${ckpt ? 'load' : 'initialise'})`);
  return model;
}

export const vitKind: ModelKind<VitSpec> = {
  kind: 'vit',
  description: 'ViT (b16/l16 or custom), untrained (seeded HF init) or from a HF ViTForImageClassification/ViTModel checkpoint',
  inputSpace: 'image',
  optionsSchema: {
    type: 'object',
    properties: {
      size: { type: 'string', enum: Object.keys(VIT_SIZES), description: 'preset (default b16)' },
      config: vitConfigSchema,
      weights: { type: 'string', repscopePath: true },
      depth: { type: 'integer', minimum: 0 },
      head: { type: 'boolean', default: false, description: 'final layer norm + classifier on the CLS token' },
      seed: { type: 'integer', minimum: 0 },
    },
  },
  create: (spec, deps) => buildVit(spec, deps.seed, deps.log),
};
