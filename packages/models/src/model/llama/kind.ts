import * as fs from 'node:fs';
import { gpt2FamilyTokenizer, type Tokenizer } from '../../tokenizer/gpt2-tokenizer';
import { folderTokenizer } from '../checkpoint/folder-tokenizer';
import type { Checkpoint } from '../checkpoint/checkpoint';
import { matchTensors } from '../checkpoint/checkpoint';
import { openWithConfig } from '../checkpoint/open-with-config';
import { filledArray, normalArray } from '../init';
import { checkParameterMemory, dimension, MODEL_LIMITS } from '../limits';
import { about, ModelCheckError } from '../model-check';
import { ParamSource } from '../param-source';
import type { ModelKind, ModelShape, ModelSpec } from '../types';
import { LlamaConfig, llamaConfigFromHf, LlamaFamily, llamaParameterShapes } from './config';
import { LlamaModel } from './llama-model';

export interface LlamaSpec extends ModelSpec {
  weights?: string;
  /** Untrained: the architecture as config.json keys (hidden_size, num_hidden_layers, …). */
  config?: Record<string, unknown>;
  depth?: number;
  head: boolean;
  finalNorm?: boolean;
  seed?: number;
}

const CHECKPOINT_BUFFERS = [/rotary_emb\.inv_freq$/];

function optionsSchema(family: LlamaFamily) {
  return {
    type: 'object',
    properties: {
      weights: { type: 'string', repscopePath: true, description: `HF ${family} checkpoint folder or .safetensors file` },
      config: { type: 'object', description: 'untrained: the architecture as config.json keys (hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim, vocab_size, …)' },
      depth: dimension(0, MODEL_LIMITS.layers, { description: 'blocks kept (O_l); default all' }),
      head: { type: 'boolean', default: false, description: 'apply the final RMSNorm and the LM head after the kept blocks' },
      finalNorm: { type: 'boolean', default: true, description: 'with head: apply the final RMSNorm before it' },
      seed: { type: 'integer', minimum: 0, description: 'seed for untrained weights (default: the experiment seed)' },
    },
  };
}

interface LlamaPlan {
  tokenizer?: Tokenizer;
  config: LlamaConfig;
  depth: number;
  ckpt?: Checkpoint;
  names?: Map<string, string>;
  shape: ModelShape;
}

function plan(family: LlamaFamily, spec: LlamaSpec): LlamaPlan {
  if (!spec.weights && !spec.config) throw new ModelCheckError(['kind'], `${family} needs weights (a checkpoint) or config (an untrained architecture as config.json keys)`);
  if (spec.weights && spec.config) throw new ModelCheckError(['config'], 'give weights or config, not both (a checkpoint brings its own config.json)');
  const ckpt = spec.weights ? openWithConfig(spec.weights, ['weights'], family) : undefined;
  if (ckpt && ckpt.config!['model_type'] !== undefined && ckpt.config!['model_type'] !== family) {
    throw new ModelCheckError(['kind'], `${spec.weights} is a ${JSON.stringify(ckpt.config!['model_type'])} checkpoint, not ${family}`);
  }
  const config = about(spec.weights ? ['weights'] : ['config'], () => llamaConfigFromHf(ckpt?.config ?? spec.config!, family, spec.weights ?? 'model.config'));
  const depth = spec.depth ?? config.layers;
  if (depth > config.layers) throw new ModelCheckError(['depth'], `must be <= ${config.layers} (the model has ${config.layers} blocks; got ${depth})`);
  const shapes = llamaParameterShapes(config, depth, spec.head);
  const memory = about(spec.weights ? ['weights'] : ['config'], () => checkParameterMemory(shapes, `${family} (${depth} blocks, width ${config.hidden}, vocabulary ${config.vocabSize})`));
  const names = ckpt
    ? about(['weights'], () => {
        const all = llamaParameterShapes(config, config.layers, true).map((s) => ({ ...s, optional: s.name === 'lm_head.weight' }));
        return matchTensors(ckpt, all, { prefixes: [], ignore: CHECKPOINT_BUFFERS, architecture: `${family} (${config.layers} layers, width ${config.hidden})` });
      })
    : undefined;
  if (names && spec.head && !config.tieWordEmbeddings && !names.has('lm_head.weight')) throw new ModelCheckError(['weights'], `${spec.weights}: config.json says the LM head is untied, but there is no lm_head.weight`);
  // The checkpoint's tokenizer.json; a model without one over GPT-2's 50257 tokens (a Llama shape
  // trained here on GPT-2-tokenised text, or its untrained start) reads GPT-2's tokenizer.
  const tokenizer = (spec.weights ? about(['weights'], () => folderTokenizer(spec.weights!)) : undefined) ?? gpt2FamilyTokenizer(config.vocabSize);
  return {
    config,
    depth,
    ckpt,
    names,
    tokenizer,
    shape: { kind: family, inputSpace: 'embeddings', dModel: config.hidden, depth, layers: config.layers, vocabSize: config.vocabSize, tokenizer, maxPositions: config.maxPositions, parameterCount: memory.count, parameterBytes: memory.bytes },
  };
}

/** Hugging Face's initialisation: N(0, 0.02) for embeddings and projections, unit norms, zero biases. */
function initParams(c: LlamaConfig, depth: number, head: boolean, seed: number): ParamSource {
  const out = new ParamSource();
  // Gemma's norms scale by (1 + w): its identity is w = 0.
  const unitNorm = c.gemma ? 0 : 1;
  for (const { name, shape } of llamaParameterShapes(c, depth, head)) {
    const count = shape.reduce((a, d) => a * d, 1);
    if (/norm\.weight$|layernorm\.weight$/.test(name)) out.add(name, shape, () => filledArray(count, unitNorm));
    else if (name.endsWith('.bias')) out.add(name, shape, () => filledArray(count, 0));
    else out.add(name, shape, () => normalArray(count, 0.02, `${c.family}/${seed}/${name}`));
  }
  return out;
}

const ARCHITECTURES: Record<LlamaFamily, string> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM', gemma3_text: 'Gemma3ForCausalLM' };

/** config.json for what this block builds: the checkpoint's own, or the untrained `config:` keys made a complete HF file. */
function hfConfigOf(family: LlamaFamily, p: LlamaPlan, spec: LlamaSpec): Record<string, unknown> {
  if (p.ckpt?.config) return { ...p.ckpt.config };
  const c = p.config;
  return {
    architectures: [ARCHITECTURES[family]],
    model_type: family,
    ...spec.config,
    hidden_size: c.hidden,
    intermediate_size: c.intermediate,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    head_dim: c.headDim,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxPositions,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tieWordEmbeddings,
    torch_dtype: 'float32',
  };
}

function llamaKind(family: LlamaFamily, description: string): ModelKind<LlamaSpec> {
  return {
    kind: family,
    description,
    inputSpace: 'embeddings',
    trainable: family !== 'gemma3_text',
    optionsSchema: optionsSchema(family),
    resolve: (spec) => plan(family, spec).shape,
    async create(spec, deps, build) {
      if (build?.trainable && family === 'gemma3_text') throw new ModelCheckError(['kind'], `${family} cannot be built for training yet (llama, qwen2 and qwen3 can)`);
      const p = plan(family, spec);
      const seed = spec.seed ?? deps.seed;
      const started = Date.now();
      let params: ParamSource;
      if (p.ckpt) {
        params = new ParamSource();
        for (const { name, shape } of llamaParameterShapes(p.config, p.depth, spec.head)) {
          const raw = p.names!.get(name)!;
          params.add(name, shape, () => p.ckpt!.read(raw));
        }
      } else params = initParams(p.config, p.depth, spec.head, seed);
      const identity = p.ckpt ? `ckpt:${fs.realpathSync(spec.weights!)}:${fs.statSync(spec.weights!).mtimeMs}` : `${family}-untrained:${JSON.stringify(p.config)}:${seed}`;
      const head = !spec.head ? 'no LM head' : spec.finalNorm === false ? 'LM head without the final norm' : 'final norm + LM head';
      const model = new LlamaModel(params, {
        config: p.config,
        hfConfig: hfConfigOf(family, p, spec),
        trainable: build?.trainable,
        depth: p.depth,
        head: spec.head,
        finalNorm: spec.finalNorm ?? true,
        description: `${family} ${spec.weights ? `weights ${spec.weights}` : `untrained (seed ${seed})`}, ${p.depth}/${p.config.layers} blocks, ${head}`,
        embeddingId: identity,
        tokenizer: p.tokenizer,
      });
      deps.log(`model: ${model.description} (${((Date.now() - started) / 1000).toFixed(1)}s to ${p.ckpt ? 'load' : 'initialise'})`);
      return model;
    },
  };
}

export const llamaFamilyKind = llamaKind('llama', 'Llama (RMSNorm, SwiGLU, RoPE with llama3 scaling, grouped-query attention) from a HF checkpoint or an untrained config; truncate with depth, head on/off');
export const qwen2Kind = llamaKind('qwen2', 'Qwen2 (as llama, with q/k/v biases) from a HF checkpoint or an untrained config');
export const qwen3Kind = llamaKind('qwen3', 'Qwen3 (as llama, with per-head q/k RMSNorm and an explicit head_dim) from a HF checkpoint or an untrained config');
export const gemma3TextKind = llamaKind('gemma3_text', 'Gemma 3 text (sliding-window and global layers, sandwich RMSNorms with (1 + w), GeGLU, q/k norms, embeddings × √hidden) from a HF checkpoint or an untrained config');
