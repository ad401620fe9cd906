import type { Checkpoint } from '../checkpoint/checkpoint';
import { openWithConfig } from '../checkpoint/open-with-config';
import { checkParameterMemory, dimension, MODEL_LIMITS } from '../limits';
import { about, ModelCheckError } from '../model-check';
import type { ModelKind, ModelShape, ModelSpec } from '../types';
import { VitConfig, vitConfigFromHf, vitParameterShapes, vitPatchCount, VIT_SIZES } from './config';
import { initVitParams, loadVitParams, vitCheckpointNames } from './params';
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
    imageSize: dimension(1, MODEL_LIMITS.imageSize),
    patchSize: dimension(1, MODEL_LIMITS.imageSize),
    channels: dimension(1, MODEL_LIMITS.channels),
    hiddenSize: dimension(1, MODEL_LIMITS.width),
    layers: dimension(0, MODEL_LIMITS.layers),
    heads: dimension(1, MODEL_LIMITS.heads),
    intermediateSize: dimension(1, MODEL_LIMITS.width * 8),
    layerNormEps: { type: 'number', exclusiveMinimum: 0 },
    numLabels: dimension(0, MODEL_LIMITS.labels),
    imageMean: { type: 'array', items: { type: 'number' }, maxItems: MODEL_LIMITS.channels },
    imageStd: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, maxItems: MODEL_LIMITS.channels },
  },
};

type VitArchitectureSpec = { size?: keyof typeof VIT_SIZES; config?: Partial<VitConfig>; weights?: string };

function vitArchitectureKey(spec: VitArchitectureSpec, field: keyof VitConfig): string[] {
  if (spec.weights) return ['weights'];
  if (spec.config) return spec.config[field] !== undefined ? ['config', field] : ['config'];
  return spec.size ? ['size'] : ['kind'];
}

/** Architecture from config.json (+ preprocessor_config.json) or the spec; `prefix` is where `spec` sits in the model block. */
export function resolveVitConfig(spec: VitArchitectureSpec, ckpt: Checkpoint | undefined, prefix: string[] = []): VitConfig {
  const c = ckpt ? about([...prefix, 'weights'], () => vitConfigFromHf(withPreprocessor(ckpt), spec.weights!)) : { ...VIT_SIZES[spec.size ?? 'b16'], ...(spec.config ?? {}) };
  if (c.imageSize % c.patchSize !== 0) throw new ModelCheckError([...prefix, ...vitArchitectureKey(spec, 'patchSize')], `imageSize ${c.imageSize} is not a multiple of patchSize ${c.patchSize}`);
  if (c.hiddenSize % c.heads !== 0) throw new ModelCheckError([...prefix, ...vitArchitectureKey(spec, 'heads')], `hiddenSize ${c.hiddenSize} is not divisible by heads ${c.heads}`);
  if (c.imageMean.length !== c.channels || c.imageStd.length !== c.channels) {
    throw new ModelCheckError([...prefix, ...vitArchitectureKey(spec, 'imageMean')], `imageMean and imageStd need one value per channel (${c.channels})`);
  }
  return c;
}

/**
 * HF keeps the image mean/std in preprocessor_config.json beside config.json; use them when
 * present so pixels are normalised as the checkpoint was trained.
 */
function withPreprocessor(ckpt: Checkpoint): Record<string, unknown> {
  const pre = ckpt.sideFile('preprocessor_config.json');
  if (!pre) return ckpt.config!;
  return { ...ckpt.config, ...(pre['image_mean'] ? { image_mean: pre['image_mean'] } : {}), ...(pre['image_std'] ? { image_std: pre['image_std'] } : {}) };
}

interface VitPlan {
  config: VitConfig;
  depth: number;
  ckpt?: Checkpoint;
  shape: ModelShape;
}

function planVit(spec: VitSpec): VitPlan {
  const ckpt = spec.weights ? openWithConfig(spec.weights, ['weights'], 'ViT') : undefined;
  const config = resolveVitConfig(spec, ckpt);
  const depth = spec.depth ?? config.layers;
  if (depth > config.layers) throw new ModelCheckError(['depth'], `must be <= ${config.layers} (the model has ${config.layers} blocks; got ${depth})`);
  const memory = about(vitArchitectureKey(spec, 'hiddenSize'), () =>
    checkParameterMemory(vitParameterShapes(config, depth, true), `vit (${depth} blocks, width ${config.hiddenSize}, ${vitPatchCount(config)} patches)`),
  );
  if (ckpt) about(['weights'], () => vitCheckpointNames(ckpt, config));
  return {
    config,
    depth,
    ckpt,
    shape: {
      kind: 'vit',
      inputSpace: 'image',
      dModel: config.hiddenSize,
      depth,
      layers: config.layers,
      imageSize: config.imageSize,
      channels: config.channels,
      patchSize: config.patchSize,
      sequenceLength: vitPatchCount(config) + 1,
      parameterCount: memory.count,
      parameterBytes: memory.bytes,
    },
  };
}

export async function buildVit(spec: VitSpec, experimentSeed: number, log: (l: string) => void): Promise<VitModel> {
  const { config, depth, ckpt } = planVit(spec);
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
      depth: dimension(0, MODEL_LIMITS.layers),
      head: { type: 'boolean', default: false, description: 'final layer norm + classifier on the CLS token' },
      seed: { type: 'integer', minimum: 0 },
    },
  },
  resolve: (spec) => planVit(spec).shape,
  create: (spec, deps) => buildVit(spec, deps.seed, deps.log),
};
