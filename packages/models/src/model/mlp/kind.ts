import { gpt2FamilyTokenizer } from '../../tokenizer/gpt2-tokenizer';
import * as tf from '@tensorflow/tfjs';
import { EmbeddingSourceSpec, embeddingSourceSchema, gpt2Embeddings, planEmbeddings } from '../gpt2/embedding-source';
import { checkParameterMemory, MODEL_LIMITS } from '../limits';
import { about, ModelCheckError } from '../model-check';
import { uniformArray } from '../init';
import { FrozenLinear } from '../layers';
import { frozenMatrix } from '../split-matrix';
import { PositionIds, TokenEmbeddings } from '../token-embeddings';
import type { ModelKind, ModelShape, ModelSpec } from '../types';
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

interface MlpPlan {
  inDim: number;
  hidden: number;
  outDim: number;
  shape: ModelShape;
}

/** Widths, checks and memory of an MLP kind, before anything is allocated. */
function planMlp(spec: MlpSpec, flatten: boolean): MlpPlan {
  const { config } = planEmbeddings(spec.embeddings ?? {}, ['embeddings']);
  const d = config.nEmbd;
  let inDim = d;
  if (flatten && spec.sequenceLength !== undefined) {
    if (spec.sequenceLength > config.nPositions) throw new ModelCheckError(['sequenceLength'], `must be <= ${config.nPositions}, the embeddings' positions (got ${spec.sequenceLength})`);
    inDim = spec.sequenceLength * d;
  }
  const hidden = spec.hiddenMultiplier * inDim;
  const outDim = spec.outputDim ?? (flatten && spec.invertible !== false ? hidden : inDim);
  const shapes = [
    { shape: [config.vocabSize, d] },
    { shape: [config.nPositions, d] },
    ...(flatten && spec.sequenceLength === undefined ? [] : [{ shape: [inDim, hidden] }, { shape: [hidden, outDim] }]),
  ];
  const key = flatten && spec.sequenceLength !== undefined ? ['sequenceLength'] : ['hiddenMultiplier'];
  const memory = about(key, () => checkParameterMemory(shapes, `${spec.kind} (${inDim} → ${hidden} → ${outDim})`));
  return {
    inDim,
    hidden,
    outDim,
    shape: {
      kind: spec.kind,
      inputSpace: 'embeddings',
      dModel: d,
      depth: 0,
      layers: 0,
      vocabSize: config.vocabSize,
      tokenizer: gpt2FamilyTokenizer(config.vocabSize),
      maxPositions: flatten && spec.sequenceLength !== undefined ? spec.sequenceLength : config.nPositions,
      ...(flatten && spec.sequenceLength !== undefined ? { sequenceLength: spec.sequenceLength } : {}),
      parameterCount: memory.count,
      parameterBytes: memory.bytes,
    },
  };
}

async function buildMlp(spec: MlpSpec, flatten: boolean, experimentSeed: number, log: (l: string) => void): Promise<MlpModel> {
  const seed = spec.seed ?? experimentSeed;
  if (flatten && !spec.sequenceLength) throw new ModelCheckError(['sequenceLength'], 'required for fcnet (the number of tokens the flattened input holds)');
  const { inDim, hidden, outDim } = planMlp(spec, flatten);
  const source = gpt2Embeddings(spec.embeddings, experimentSeed);
  const started = Date.now();
  const embeddings = new TokenEmbeddings(frozenMatrix(source.wte), tf.tensor2d(source.wpe.data, source.wpe.shape as [number, number]), spec.positionIds);
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
    tokenizer: gpt2FamilyTokenizer(source.wte.shape[0]!),
  });
  log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to initialise)`);
  return model;
}

const common = {
  embeddings: embeddingSourceSchema,
  hiddenMultiplier: { type: 'integer', minimum: 1, maximum: MODEL_LIMITS.multiplier, default: 4, description: 'hidden width as a multiple of the input width' },
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
      sequenceLength: { type: 'integer', minimum: 1, maximum: MODEL_LIMITS.sequenceLength, description: 'tokens per input (default: the prompt length, set by the experiment)' },
      invertible: { type: 'boolean', default: true, description: 'last layer 4n·d → 4n·d (true) or → n·d (false)' },
      outputDim: { type: 'integer', minimum: 1, maximum: MODEL_LIMITS.width * MODEL_LIMITS.sequenceLength, description: 'explicit output width (overrides invertible)' },
    },
  },
  resolve: (spec) => planMlp(spec, true).shape,
  create: (spec, deps) => buildMlp(spec, true, deps.seed, deps.log),
};

export const mlpKind: ModelKind<MlpSpec> = {
  kind: 'mlp',
  description: 'transformer-style MLP applied per token: d → 4d → d, GELU (not invertible in general)',
  inputSpace: 'embeddings',
  optionsSchema: { type: 'object', properties: { ...common } },
  resolve: (spec) => planMlp(spec, false).shape,
  create: (spec, deps) => buildMlp(spec, false, deps.seed, deps.log),
};
