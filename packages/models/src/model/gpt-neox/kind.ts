import * as fs from 'node:fs';
import type { Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import type { Checkpoint } from '../checkpoint/checkpoint';
import { matchTensors } from '../checkpoint/checkpoint';
import { folderTokenizer } from '../checkpoint/folder-tokenizer';
import { openWithConfig } from '../checkpoint/open-with-config';
import { filledArray, normalArray } from '../init';
import { checkParameterMemory, dimension, MODEL_LIMITS } from '../limits';
import { about, ModelCheckError } from '../model-check';
import { ParamSource } from '../param-source';
import type { ModelKind, ModelShape, ModelSpec } from '../types';
import { GptNeoxConfig, gptNeoxConfigFromHf, gptNeoxParameterShapes } from './config';
import { GptNeoxModel } from './gpt-neox-model';

export interface GptNeoxSpec extends ModelSpec {
  weights?: string;
  /** Untrained: the architecture as config.json keys (hidden_size, num_hidden_layers, rotary_pct, …). */
  config?: Record<string, unknown>;
  depth?: number;
  head: boolean;
  finalNorm?: boolean;
  seed?: number;
}

const KIND = 'gpt_neox';

/**
 * Buffers Pythia checkpoints store beside the weights: the causal mask (`attention.bias`), its
 * fill value (`attention.masked_bias`) and the rotary frequencies — all recomputed here.
 */
const CHECKPOINT_BUFFERS = [/attention\.bias$/, /attention\.masked_bias$/, /rotary_emb\.inv_freq$/];

const optionsSchema = {
  type: 'object',
  properties: {
    weights: { type: 'string', repscopePath: true, description: 'HF gpt_neox (Pythia) checkpoint folder or .safetensors file' },
    config: { type: 'object', description: 'untrained: the architecture as config.json keys (hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, vocab_size, rotary_pct, use_parallel_residual, …)' },
    depth: dimension(0, MODEL_LIMITS.layers, { description: 'blocks kept (O_l); default all' }),
    head: { type: 'boolean', default: false, description: 'apply the final LayerNorm and the LM head (embed_out) after the kept blocks' },
    finalNorm: { type: 'boolean', default: true, description: 'with head: apply the final LayerNorm before it' },
    seed: { type: 'integer', minimum: 0, description: 'seed for untrained weights (default: the experiment seed)' },
  },
};

interface GptNeoxPlan {
  tokenizer?: Tokenizer;
  config: GptNeoxConfig;
  depth: number;
  ckpt?: Checkpoint;
  names?: Map<string, string>;
  shape: ModelShape;
}

function plan(spec: GptNeoxSpec): GptNeoxPlan {
  if (!spec.weights && !spec.config) throw new ModelCheckError(['kind'], `${KIND} needs weights (a checkpoint) or config (an untrained architecture as config.json keys)`);
  if (spec.weights && spec.config) throw new ModelCheckError(['config'], 'give weights or config, not both (a checkpoint brings its own config.json)');
  const ckpt = spec.weights ? openWithConfig(spec.weights, ['weights'], KIND) : undefined;
  if (ckpt && ckpt.config!['model_type'] !== undefined && ckpt.config!['model_type'] !== KIND) {
    throw new ModelCheckError(['kind'], `${spec.weights} is a ${JSON.stringify(ckpt.config!['model_type'])} checkpoint, not ${KIND}`);
  }
  const config = about(spec.weights ? ['weights'] : ['config'], () => gptNeoxConfigFromHf(ckpt?.config ?? spec.config!, spec.weights ?? 'model.config'));
  const depth = spec.depth ?? config.layers;
  if (depth > config.layers) throw new ModelCheckError(['depth'], `must be <= ${config.layers} (the model has ${config.layers} blocks; got ${depth})`);
  const shapes = gptNeoxParameterShapes(config, depth, spec.head);
  const memory = about(spec.weights ? ['weights'] : ['config'], () => checkParameterMemory(shapes, `${KIND} (${depth} blocks, width ${config.hidden}, vocabulary ${config.vocabSize})`));
  const names = ckpt
    ? about(['weights'], () => {
        // A tied checkpoint may still store embed_out.weight (a copy); an untied one must.
        const all = gptNeoxParameterShapes(config, config.layers, true).map((s) => ({ ...s, optional: s.name === 'embed_out.weight' }));
        if (config.tieWordEmbeddings) all.push({ name: 'embed_out.weight', shape: [config.vocabSize, config.hidden], optional: true });
        return matchTensors(ckpt, all, { prefixes: [], ignore: CHECKPOINT_BUFFERS, architecture: `${KIND} (${config.layers} layers, width ${config.hidden})` });
      })
    : undefined;
  if (names && spec.head && !config.tieWordEmbeddings && !names.has('embed_out.weight')) throw new ModelCheckError(['weights'], `${spec.weights}: config.json says the LM head is untied (tie_word_embeddings false), but there is no embed_out.weight`);
  const tokenizer = spec.weights ? about(['weights'], () => folderTokenizer(spec.weights!)) : undefined;
  return {
    config,
    depth,
    ckpt,
    names,
    tokenizer,
    shape: { kind: KIND, inputSpace: 'embeddings', dModel: config.hidden, depth, layers: config.layers, vocabSize: config.vocabSize, tokenizer, maxPositions: config.maxPositions, parameterCount: memory.count, parameterBytes: memory.bytes },
  };
}

/** Hugging Face's initialisation: N(0, initializer_range) for embeddings and projections, LayerNorms at (1, 0), zero biases. */
function initParams(c: GptNeoxConfig, depth: number, head: boolean, seed: number): ParamSource {
  const out = new ParamSource();
  for (const { name, shape } of gptNeoxParameterShapes(c, depth, head)) {
    const count = shape.reduce((a, d) => a * d, 1);
    if (/(layernorm|layer_norm)\.weight$/.test(name)) out.add(name, shape, () => filledArray(count, 1));
    else if (name.endsWith('.bias')) out.add(name, shape, () => filledArray(count, 0));
    else out.add(name, shape, () => normalArray(count, c.initializerRange, `${KIND}/${seed}/${name}`));
  }
  return out;
}

export const gptNeoxKind: ModelKind<GptNeoxSpec> = {
  kind: KIND,
  description: 'GPT-NeoX / Pythia (LayerNorm, fused per-head QKV, partial RoPE, parallel or sequential residual, GELU, untied embed_out) from a HF checkpoint or an untrained config; truncate with depth, head on/off',
  inputSpace: 'embeddings',
  optionsSchema,
  resolve: (spec) => plan(spec).shape,
  async create(spec, deps, build) {
    if (build?.trainable) throw new ModelCheckError(['kind'], `${KIND} cannot be built for training yet`);
    const p = plan(spec);
    const seed = spec.seed ?? deps.seed;
    const started = Date.now();
    let params: ParamSource;
    if (p.ckpt) {
      params = new ParamSource();
      for (const { name, shape } of gptNeoxParameterShapes(p.config, p.depth, spec.head)) {
        const raw = p.names!.get(name)!;
        params.add(name, shape, () => p.ckpt!.read(raw));
      }
    } else params = initParams(p.config, p.depth, spec.head, seed);
    const identity = p.ckpt ? `ckpt:${fs.realpathSync(spec.weights!)}:${fs.statSync(spec.weights!).mtimeMs}` : `${KIND}-untrained:${JSON.stringify(p.config)}:${seed}`;
    const head = !spec.head ? 'no LM head' : spec.finalNorm === false ? 'LM head without the final norm' : 'final norm + LM head';
    const model = new GptNeoxModel(params, {
      config: p.config,
      depth: p.depth,
      head: spec.head,
      finalNorm: spec.finalNorm ?? true,
      description: `${KIND} ${spec.weights ? `weights ${spec.weights}` : `untrained (seed ${seed})`}, ${p.depth}/${p.config.layers} blocks, ${head}`,
      embeddingId: identity,
      tokenizer: p.tokenizer,
    });
    deps.log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to ${p.ckpt ? 'load' : 'initialise'})`);
    return model;
  },
};
