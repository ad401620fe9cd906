import { gpt2FamilyTokenizer } from '../../tokenizer/gpt2-tokenizer';
import { trainedVocabularyTokenizer } from '../checkpoint/vocab-files';
import * as fs from 'node:fs';
import type { ModelKind, ModelShape, ModelSpec } from '../types';
import { requireFetched, type Checkpoint } from '../checkpoint/checkpoint';
import { isFinalNorm } from '../checkpoint/tensor-need';
import { openWithConfig } from '../checkpoint/open-with-config';
import { checkParameterMemory, dimension, MODEL_LIMITS } from '../limits';
import { about, ModelCheckError } from '../model-check';
import { Gpt2Config, gpt2ConfigFromHf, gpt2ParameterShapes, GPT2_SIZES } from './config';
import { Gpt2Model, PositionIds } from './gpt2-model';
import { gpt2CheckpointNames, initGpt2Params, loadGpt2Params } from './params';

export interface Gpt2Spec extends ModelSpec {
  size?: keyof typeof GPT2_SIZES;
  config?: Partial<Gpt2Config>;
  weights?: string;
  depth?: number;
  head: boolean;
  /** Schema default true; optional so programmatic specs need not name it. */
  finalNorm?: boolean;
  positionIds: PositionIds;
  seed?: number;
}

export const gpt2ConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    vocabSize: dimension(1, MODEL_LIMITS.vocabSize),
    nPositions: dimension(1, MODEL_LIMITS.positions),
    nEmbd: dimension(1, MODEL_LIMITS.width),
    nLayer: dimension(0, MODEL_LIMITS.layers),
    nHead: dimension(1, MODEL_LIMITS.heads),
    layerNormEpsilon: { type: 'number', exclusiveMinimum: 0 },
  },
};

export const gpt2OptionsSchema = {
  type: 'object',
  properties: {
    size: { type: 'string', enum: Object.keys(GPT2_SIZES), description: 'preset architecture (default small)' },
    config: { ...gpt2ConfigSchema, description: 'custom architecture; fields override the size preset' },
    weights: { type: 'string', repscopePath: true, description: 'HF checkpoint folder or .safetensors file; absent = untrained' },
    depth: dimension(0, MODEL_LIMITS.layers, { description: 'blocks kept (O_l); default all' }),
    head: { type: 'boolean', default: false, description: 'apply the LM head (tied to wte) after the kept blocks' },
    finalNorm: {
      type: 'boolean',
      default: true,
      description: "with head: apply the final layer norm ln_f before it (HF GPT2LMHeadModel). false = the seed's AbbreviatedGPT, lm_head straight on the block output",
    },
    positionIds: { type: 'string', enum: ['sequential', 'zeros'], default: 'sequential', description: '"zeros" adds wpe[0] at every position, as the seed code did' },
    seed: { type: 'integer', minimum: 0, description: 'seed for untrained weights (default: the experiment seed)' },
  },
};

type ArchitectureSpec = { size?: keyof typeof GPT2_SIZES; config?: Partial<Gpt2Config>; weights?: string };

/** The key of a block that chose the architecture (for messages about it). */
function architectureKey(spec: ArchitectureSpec, field?: keyof Gpt2Config): string[] {
  if (spec.config) return field && spec.config[field] !== undefined ? ['config', field] : ['config'];
  return spec.size ? ['size'] : ['kind'];
}

/**
 * Architecture from a checkpoint's config.json, else from the spec (size preset + overrides);
 * `prefix` is where `spec` sits in the model block (e.g. `['gpt2']` in a hybrid).
 */
export function resolveGpt2Config(spec: ArchitectureSpec, hf: Record<string, unknown> | undefined, prefix: string[] = []): Gpt2Config {
  const preset = { ...GPT2_SIZES[spec.size ?? 'small'], ...(spec.config ?? {}) };
  if (!hf) {
    if (preset.nEmbd % preset.nHead !== 0) {
      throw new ModelCheckError([...prefix, ...architectureKey(spec, 'nHead')], `nEmbd (${preset.nEmbd}) must be divisible by nHead (${preset.nHead})`);
    }
    return preset;
  }
  const base = about([...prefix, 'weights'], () => gpt2ConfigFromHf(hf, spec.weights ?? 'weights'));
  if (spec.size || spec.config) {
    const differs = (['nEmbd', 'nLayer', 'nHead', 'vocabSize'] as const).filter((k) => (spec.config?.[k] !== undefined || spec.size) && preset[k] !== base[k]);
    if (differs.length) {
      throw new ModelCheckError(
        [...prefix, ...architectureKey(spec)],
        `the weights ${spec.weights} are ${differs.map((k) => `${k}=${base[k]}`).join(', ')} but the config asks for ${differs.map((k) => `${k}=${preset[k]}`).join(', ')}; drop size/config or fix them`,
      );
    }
  }
  return base;
}

export function describeGpt2(spec: Gpt2Spec, c: Gpt2Config, depth: number, seed: number): string {
  const size = spec.weights ? `weights ${spec.weights}` : `${spec.size ?? (spec.config ? 'custom' : 'small')}, untrained (seed ${seed})`;
  const head = !spec.head ? 'no LM head' : spec.finalNorm === false ? "LM head without ln_f (the seed's)" : 'ln_f + LM head';
  return `gpt2 ${size}, ${depth}/${c.nLayer} blocks, ${head}`;
}

interface Gpt2Plan {
  config: Gpt2Config;
  depth: number;
  ckpt?: Checkpoint;
  shape: ModelShape;
}

/** Everything that can fail before a tensor is read: config, depth, memory, checkpoint headers. */
function planGpt2(spec: Gpt2Spec): Gpt2Plan {
  const ckpt = spec.weights ? openWithConfig(spec.weights, ['weights'], 'GPT-2') : undefined;
  const config = resolveGpt2Config(spec, ckpt?.config);
  const depth = spec.depth ?? config.nLayer;
  if (depth > config.nLayer) throw new ModelCheckError(['depth'], `must be <= ${config.nLayer} (the model has ${config.nLayer} blocks; got ${depth})`);
  const shapes = gpt2ParameterShapes(config, depth);
  const memory = about(spec.weights ? ['weights'] : architectureKey(spec), () => checkParameterMemory(shapes, `gpt2 (${depth} blocks, width ${config.nEmbd}, vocabulary ${config.vocabSize})`));
  if (ckpt) {
    about(['weights'], () => {
      const names = gpt2CheckpointNames(ckpt, config);
      const read = shapes.filter((s) => spec.head || !isFinalNorm(s.name)).map((s) => names.get(s.name)!);
      requireFetched(ckpt, spec.head && names.has('lm_head.weight') ? [...read, names.get('lm_head.weight')!] : read);
    });
  }
  // A checkpoint trained here may name its vocabulary (reduced, or the tokens its text held).
  const tokenizer = spec.weights ? about(['weights'], () => trainedVocabularyTokenizer(spec.weights!, config.vocabSize, gpt2FamilyTokenizer(config.vocabSize))) : gpt2FamilyTokenizer(config.vocabSize);
  return {
    config,
    depth,
    ckpt,
    shape: {
      kind: 'gpt2',
      inputSpace: 'embeddings',
      dModel: config.nEmbd,
      depth,
      layers: config.nLayer,
      vocabSize: config.vocabSize,
      tokenizer,
      maxPositions: config.nPositions,
      parameterCount: memory.count,
      parameterBytes: memory.bytes,
    },
  };
}

export async function buildGpt2(spec: Gpt2Spec, experimentSeed: number, log: (l: string) => void, build: { trainable?: boolean } = {}): Promise<Gpt2Model> {
  const { config, depth, ckpt, shape } = planGpt2(spec);
  const seed = spec.seed ?? experimentSeed;
  const started = Date.now();
  const loaded = ckpt ? loadGpt2Params(ckpt, config, depth, spec.head) : { params: initGpt2Params(config, depth, seed), lmHead: undefined };
  const identity = ckpt ? `ckpt:${fs.realpathSync(spec.weights!)}:${fs.statSync(spec.weights!).mtimeMs}` : `gpt2-untrained:${JSON.stringify(config)}:${seed}`;
  const model = new Gpt2Model(loaded.params, { config, depth, head: spec.head, finalNorm: spec.finalNorm ?? true, positionIds: spec.positionIds, description: describeGpt2(spec, config, depth, seed), embeddingId: identity, tokenizer: shape.tokenizer, trainable: build.trainable, lmHeadNotFetched: 'lmHeadNotFetched' in loaded ? loaded.lmHeadNotFetched : undefined }, loaded.lmHead);
  log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to ${ckpt ? 'load' : 'initialise'})`);
  return model;
}

export const gpt2Kind: ModelKind<Gpt2Spec> = {
  kind: 'gpt2',
  description: 'GPT-2 (small/medium/large/xl or custom), untrained (seeded HF init) or from a HF checkpoint; truncate with depth, head on/off',
  inputSpace: 'embeddings',
  optionsSchema: gpt2OptionsSchema,
  resolve: (spec) => planGpt2(spec).shape,
  trainable: true,
  create: (spec, deps, build) => buildGpt2(spec, deps.seed, deps.log, build),
};
