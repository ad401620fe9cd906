import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../util/errors';
import { openCheckpoint } from '../checkpoint/checkpoint';
import { Gpt2Config, gpt2ConfigFromHf, GPT2_SIZES } from '../gpt2/config';
import { gpt2Blocks } from '../gpt2/gpt2-model';
import { gpt2ConfigSchema } from '../gpt2/kind';
import { initGpt2Params, loadGpt2Params } from '../gpt2/params';
import type { ParamSource } from '../param-source';
import { LayerNorm } from '../layers';
import type { ModelKind, ModelSpec } from '../types';
import { VIT_SIZES, VitConfig } from '../vit/config';
import { resolveVitConfig, vitConfigSchema, withPreprocessor } from '../vit/kind';
import { initVitParams, loadVitParams } from '../vit/params';
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

async function buildHybrid(spec: HybridSpec, experimentSeed: number, log: (l: string) => void): Promise<HybridModel> {
  const started = Date.now();
  const vitCkpt = spec.vit.weights ? openCheckpoint(spec.vit.weights) : undefined;
  const vitConfig = resolveVitConfig(spec.vit, vitCkpt?.config ? withPreprocessor(vitCkpt.config, spec.vit.weights!) : undefined, spec.vit.weights ?? 'model.vit');
  const vitSeed = spec.vit.seed ?? experimentSeed;
  const stemParams = vitCkpt ? loadVitParams(vitCkpt, vitConfig, 0, true) : initVitParams(vitConfig, 0, vitSeed, true);

  const gptCkpt = spec.gpt2.weights ? openCheckpoint(spec.gpt2.weights) : undefined;
  if (gptCkpt && !gptCkpt.config) throw new InvalidInputError(`${spec.gpt2.weights}: no config.json beside the weights`, 'E_CHECKPOINT');
  const gptConfig = gptCkpt ? gpt2ConfigFromHf(gptCkpt.config!, spec.gpt2.weights!) : { ...GPT2_SIZES[spec.gpt2.size ?? 'small'], ...(spec.gpt2.config ?? {}) };
  if (gptConfig.nEmbd !== vitConfig.hiddenSize) {
    throw new InvalidInputError(`model: the ViT stem is ${vitConfig.hiddenSize} wide but the GPT-2 stack is ${gptConfig.nEmbd}; pick sizes of the same width (b16 with small, l16 with medium)`, 'E_CONFIG_MODEL');
  }
  const depth = spec.depth ?? gptConfig.nLayer;
  if (depth > gptConfig.nLayer) throw new InvalidInputError(`model.depth: must be <= ${gptConfig.nLayer} (got ${depth})`, 'E_CONFIG_MODEL');
  const tokens = (vitConfig.imageSize / vitConfig.patchSize) ** 2 + 1;
  if (spec.positionEmbedding === 'gpt2' && tokens > gptConfig.nPositions) {
    throw new InvalidInputError(`model.positionEmbedding: gpt2 has ${gptConfig.nPositions} positions but the image gives ${tokens} tokens`, 'E_CONFIG_MODEL');
  }
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
      wte: tf.tensor2d(host('wte.weight').data, host('wte.weight').shape as [number, number]),
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
      depth: { type: 'integer', minimum: 0, description: 'GPT-2 blocks kept (default all)' },
      head: { type: 'boolean', default: false, description: "GPT-2's final layer norm and LM head" },
      positionEmbedding: { type: 'string', enum: ['none', 'vit', 'gpt2'], default: 'none', description: 'none as in the seed code' },
      normalize: { type: 'string', enum: ['none', 'vit'], default: 'none', description: 'none: pixels in [0, 1] as in the seed; vit: (x − mean)/std' },
    },
  },
  create: (spec, deps) => buildHybrid(spec, deps.seed, deps.log),
};
