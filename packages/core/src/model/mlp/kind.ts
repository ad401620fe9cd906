import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../util/errors';
import { EmbeddingSourceSpec, embeddingSourceSchema, gpt2Embeddings } from '../gpt2/embedding-source';
import { uniformArray } from '../init';
import { FrozenLinear } from '../layers';
import { PositionIds, TokenEmbeddings } from '../token-embeddings';
import type { ModelKind, ModelSpec } from '../types';
import { MlpModel } from './mlp-model';

export interface MlpSpec extends ModelSpec {
  embeddings: EmbeddingSourceSpec;
  sequenceLength?: number;
  hiddenMultiplier: number;
  invertible?: boolean;
  outputDim?: number;
  head: boolean;
  positionIds: PositionIds;
  seed?: number;
}

/** PyTorch nn.Linear's default initialisation, seeded: weight and bias ~ U(−1/√in, 1/√in). */
function torchDefaultLinear(inDim: number, outDim: number, key: string): FrozenLinear {
  const bound = 1 / Math.sqrt(inDim);
  return new FrozenLinear(tf.tensor2d(uniformArray(inDim * outDim, -bound, bound, `${key}.weight`), [inDim, outDim]), tf.tensor1d(uniformArray(outDim, -bound, bound, `${key}.bias`)));
}

async function buildMlp(spec: MlpSpec, flatten: boolean, experimentSeed: number, log: (l: string) => void): Promise<MlpModel> {
  const seed = spec.seed ?? experimentSeed;
  const source = gpt2Embeddings(spec.embeddings, experimentSeed);
  const d = source.config.nEmbd;
  let inDim = d;
  if (flatten) {
    if (!spec.sequenceLength) throw new InvalidInputError('model.sequenceLength: required for fcnet (the number of tokens the flattened input holds)', 'E_CONFIG_MODEL');
    inDim = spec.sequenceLength * d;
  }
  const hidden = spec.hiddenMultiplier * inDim;
  const outDim = spec.outputDim ?? (flatten && spec.invertible !== false ? hidden : inDim);
  const started = Date.now();
  const embeddings = new TokenEmbeddings(tf.tensor2d(source.wte.data, source.wte.shape as [number, number]), tf.tensor2d(source.wpe.data, source.wpe.shape as [number, number]), spec.positionIds);
  const fc1 = torchDefaultLinear(inDim, hidden, `${spec.kind}/${seed}/fc1`);
  const fc2 = torchDefaultLinear(hidden, outDim, `${spec.kind}/${seed}/fc2`);
  const shape = `${inDim} → ${hidden} → ${outDim}`;
  const model = new MlpModel(embeddings, fc1, fc2, {
    kind: spec.kind as 'fcnet' | 'mlp',
    flatten,
    sequenceLength: spec.sequenceLength,
    head: spec.head,
    description: `${spec.kind} ${shape} (GELU), untrained (seed ${seed}), on ${spec.embeddings.weights ? 'trained' : 'untrained'} GPT-2 embeddings${spec.head ? ', with LM head' : ''}`,
    embeddingId: source.id,
  });
  log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to initialise)`);
  return model;
}

const common = {
  embeddings: embeddingSourceSchema,
  hiddenMultiplier: { type: 'integer', minimum: 1, default: 4, description: 'hidden width as a multiple of the input width' },
  head: { type: 'boolean', default: false, description: 'map the output, read as [n, d], to logits through the tied token embedding' },
  positionIds: { type: 'string', enum: ['sequential', 'zeros'], default: 'sequential' },
  seed: { type: 'integer', minimum: 0, description: 'seed for the MLP weights (default: the experiment seed)' },
};

export const fcnetKind: ModelKind<MlpSpec> = {
  kind: 'fcnet',
  description: "the seed's FCNet: the sequence's embeddings flattened, n·d → 4n·d → 4n·d (invertible) or → n·d, GELU",
  inputSpace: 'embeddings',
  optionsSchema: {
    type: 'object',
    properties: {
      ...common,
      sequenceLength: { type: 'integer', minimum: 1, description: 'tokens per input (default: the prompt length, set by the experiment)' },
      invertible: { type: 'boolean', default: true, description: 'last layer 4n·d → 4n·d (true) or → n·d (false)' },
      outputDim: { type: 'integer', minimum: 1, description: 'explicit output width (overrides invertible)' },
    },
  },
  create: (spec, deps) => buildMlp(spec, true, deps.seed, deps.log),
};

export const mlpKind: ModelKind<MlpSpec> = {
  kind: 'mlp',
  description: 'transformer-style MLP applied per token: d → 4d → d, GELU (not invertible in general)',
  inputSpace: 'embeddings',
  optionsSchema: { type: 'object', properties: { ...common } },
  create: (spec, deps) => buildMlp(spec, false, deps.seed, deps.log),
};
