import * as tf from '@tensorflow/tfjs';
import { Checkpoint, openCheckpoint } from '../checkpoint/checkpoint';
import { openWithConfig } from '../checkpoint/open-with-config';
import { Gpt2Config, gpt2ParameterShapes, GPT2_SIZES } from '../gpt2/config';
import { gpt2Blocks } from '../gpt2/gpt2-model';
import { gpt2ConfigSchema, resolveGpt2Config } from '../gpt2/kind';
import { gpt2CheckpointNames, initGpt2Params, loadGpt2Params } from '../gpt2/params';
import { checkParameterMemory, dimension, MODEL_LIMITS } from '../limits';
import { about, ModelCheckError } from '../model-check';
import type { ParamSource } from '../param-source';
import { frozenMatrix } from '../split-matrix';
import { LayerNorm } from '../layers';
import type { ModelKind, ModelShape, ModelSpec } from '../types';
import { VIT_SIZES, VitConfig, vitPatchCount, vitStemShapes } from '../vit/config';
import { resolveVitConfig, vitConfigSchema } from '../vit/kind';
import { initVitParams, loadVitParams, vitCheckpointNames } from '../vit/params';
import { PatchStem } from '../vit/stem';
import { HybridModel, HybridPositions } from './hybrid-model';

export interface HybridSpec extends ModelSpec {
  vit: { size?: keyof typeof VIT_SIZES; config?: Partial<VitConfig>; weights?: string; seed?: number };
  gpt2: { size?: keyof typeof GPT2_SIZES; config?: Partial<Gpt2Config>; weights?: string; seed?: number };
  depth?: number;
  head: boolean;
  positionEmbedding: HybridPositions;
  normalize: 'none' | 'vit';
}

interface HybridPlan {
  vitConfig: VitConfig;
  vitCkpt?: Checkpoint;
  gptConfig: Gpt2Config;
  gptCkpt?: Checkpoint;
  depth: number;
  tokens: number;
  shape: ModelShape;
}

/** Both halves checked against each other and their checkpoints' headers, before anything is read. */
function planHybrid(spec: HybridSpec): HybridPlan {
  const vitCkpt = spec.vit.weights ? about(['vit', 'weights'], () => openCheckpoint(spec.vit.weights!)) : undefined;
  const vitConfig = resolveVitConfig(spec.vit, vitCkpt?.config ? vitCkpt : undefined, ['vit']);
  const gptCkpt = spec.gpt2.weights ? openWithConfig(spec.gpt2.weights, ['gpt2', 'weights'], 'GPT-2') : undefined;
  const gptConfig = resolveGpt2Config(spec.gpt2, gptCkpt?.config, ['gpt2']);
  if (gptConfig.nEmbd !== vitConfig.hiddenSize) {
    throw new ModelCheckError([], `the ViT stem is ${vitConfig.hiddenSize} wide but the GPT-2 stack is ${gptConfig.nEmbd}; pick sizes of the same width (b16 with small, l16 with medium)`);
  }
  const depth = spec.depth ?? gptConfig.nLayer;
  if (depth > gptConfig.nLayer) throw new ModelCheckError(['depth'], `must be <= ${gptConfig.nLayer} (the GPT-2 stack has ${gptConfig.nLayer} blocks; got ${depth})`);
  const tokens = vitPatchCount(vitConfig) + 1;
  if (spec.positionEmbedding === 'gpt2' && tokens > gptConfig.nPositions) {
    throw new ModelCheckError(['positionEmbedding'], `gpt2 has ${gptConfig.nPositions} positions but the image gives ${tokens} tokens`);
  }
  // What buildHybrid builds: W_E only for the LM head, GPT-2's positions only when they are used.
  const built = (name: string) => (name === 'wte.weight' ? spec.head : name === 'wpe.weight' ? spec.positionEmbedding === 'gpt2' : true);
  const shapes = [...vitStemShapes(vitConfig), ...gpt2ParameterShapes(gptConfig, depth).filter((s) => built(s.name))];
  const memory = about([], () => checkParameterMemory(shapes, `hybrid (ViT stem, ${depth} GPT-2 blocks, width ${gptConfig.nEmbd})`));
  if (vitCkpt) about(['vit', 'weights'], () => vitCheckpointNames(vitCkpt, vitConfig));
  if (gptCkpt) about(['gpt2', 'weights'], () => gpt2CheckpointNames(gptCkpt, gptConfig));
  return {
    vitConfig,
    vitCkpt,
    gptConfig,
    gptCkpt,
    depth,
    tokens,
    shape: {
      kind: 'hybrid',
      inputSpace: 'image',
      dModel: gptConfig.nEmbd,
      depth,
      layers: gptConfig.nLayer,
      imageSize: vitConfig.imageSize,
      channels: vitConfig.channels,
      patchSize: vitConfig.patchSize,
      sequenceLength: tokens,
      parameterCount: memory.count,
      parameterBytes: memory.bytes,
    },
  };
}

async function buildHybrid(spec: HybridSpec, experimentSeed: number, log: (l: string) => void): Promise<HybridModel> {
  const started = Date.now();
  const { vitConfig, vitCkpt, gptConfig, gptCkpt, depth, tokens } = planHybrid(spec);
  const vitSeed = spec.vit.seed ?? experimentSeed;
  const stemParams = vitCkpt ? loadVitParams(vitCkpt, vitConfig, 0, true) : initVitParams(vitConfig, 0, vitSeed, true);
  const gptSeed = spec.gpt2.seed ?? experimentSeed;
  const gptParams: ParamSource = gptCkpt ? loadGpt2Params(gptCkpt, gptConfig, depth).params : initGpt2Params(gptConfig, depth, gptSeed);
  const host = (n: string) => gptParams.get(n)!;
  const wpe = host('wpe.weight');
  const model = new HybridModel(
    {
      stem: new PatchStem(stemParams, vitConfig),
      blocks: gpt2Blocks(gptParams, depth, gptConfig.layerNormEpsilon),
      heads: gptConfig.nHead,
      lnFinal: new LayerNorm(tf.tensor1d(host('ln_f.weight').data), tf.tensor1d(host('ln_f.bias').data), gptConfig.layerNormEpsilon),
      // Only the LM head reads W_E (images are the input): without it, 154 MB of GPT-2 small not built.
      // In row blocks on webgpu where it is over the device's binding limit (GPT-2 small's 147 MiB on lavapipe).
      wte: spec.head ? frozenMatrix(host('wte.weight')) : undefined,
      gpt2Positions: spec.positionEmbedding === 'gpt2' ? tf.tensor2d(wpe.data.subarray(0, tokens * gptConfig.nEmbd), [tokens, gptConfig.nEmbd]) : undefined,
    },
    {
      positionEmbedding: spec.positionEmbedding,
      normalize: spec.normalize,
      head: spec.head,
      depth,
      description: `hybrid: ${spec.vit.weights ? 'trained' : `untrained (seed ${vitSeed})`} ViT-${spec.vit.size ?? 'b16'} stem → ${spec.gpt2.weights ? 'trained' : `untrained (seed ${gptSeed})`} GPT-2 ${depth}/${gptConfig.nLayer} blocks, positions ${spec.positionEmbedding}${spec.head ? ', LM head' : ''}`,
    },
  );
  log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to build)`);
  return model;
}

export const hybridKind: ModelKind<HybridSpec> = {
  kind: 'hybrid',
  description: "the seed's hybrid: ViT-B/16 conv stem + CLS feeding GPT-2's transformer blocks (causal)",
  inputSpace: 'image',
  optionsSchema: {
    type: 'object',
    properties: {
      vit: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'the ViT whose conv stem and CLS token are used',
        properties: { size: { type: 'string', enum: Object.keys(VIT_SIZES) }, config: vitConfigSchema, weights: { type: 'string', repscopePath: true }, seed: { type: 'integer', minimum: 0 } },
      },
      gpt2: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'the GPT-2 whose blocks form the stack',
        properties: { size: { type: 'string', enum: Object.keys(GPT2_SIZES) }, config: gpt2ConfigSchema, weights: { type: 'string', repscopePath: true }, seed: { type: 'integer', minimum: 0 } },
      },
      depth: dimension(0, MODEL_LIMITS.layers, { description: 'GPT-2 blocks kept (default all)' }),
      head: { type: 'boolean', default: false, description: "GPT-2's final layer norm and LM head" },
      positionEmbedding: { type: 'string', enum: ['none', 'vit', 'gpt2'], default: 'none', description: 'none as in the seed code' },
      normalize: { type: 'string', enum: ['none', 'vit'], default: 'none', description: 'none: pixels in [0, 1] as in the seed; vit: (x − mean)/std' },
    },
  },
  resolve: (spec) => planHybrid(spec).shape,
  create: (spec, deps) => buildHybrid(spec, deps.seed, deps.log),
};
