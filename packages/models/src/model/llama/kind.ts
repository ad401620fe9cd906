import { hfFamilyKind, type HfFamilyPlan, type HfFamilySpec } from '../checkpoint/hf-family-kind';
import { ParamSource } from '../param-source';
import { LlamaConfig, llamaConfigFromHf, LlamaFamily, llamaParameterShapes } from './config';
import { LlamaModel } from './llama-model';

const ARCHITECTURES: Record<LlamaFamily, string> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM', gemma3_text: 'Gemma3ForCausalLM' };

/** config.json for what this block builds: the checkpoint's own, or the untrained `config:` keys made a complete HF file. */
function hfConfigOf(family: LlamaFamily, p: HfFamilyPlan<LlamaConfig>, spec: HfFamilySpec): Record<string, unknown> {
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

function llamaKind(family: LlamaFamily, description: string) {
  return hfFamilyKind<LlamaConfig>({
    kind: family,
    description,
    // Gemma's (1 + w) norms and scaled embeddings are not in the trainable path yet.
    trainable: family !== 'gemma3_text',
    configKeys: 'hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim, vocab_size',
    finalNormName: 'RMSNorm',
    configFromHf: (hf, where) => llamaConfigFromHf(hf, family, where),
    parameterShapes: llamaParameterShapes,
    headName: 'lm_head.weight',
    buffers: [/rotary_emb\.inv_freq$/],
    // N(0, 0.02) for embeddings and projections, zero biases, identity norms (Gemma's (1 + w): w = 0).
    init: (c, name) => (/norm\.weight$/.test(name) ? { fill: c.gemma ? 0 : 1 } : name.endsWith('.bias') ? { fill: 0 } : { std: 0.02 }),
    build: (params: ParamSource, p, spec, common) => new LlamaModel(params, { ...common, config: p.config, hfConfig: hfConfigOf(family, p, spec) }),
  });
}

export const llamaFamilyKind = llamaKind('llama', 'Llama (RMSNorm, SwiGLU, RoPE with llama3 scaling, grouped-query attention) from a HF checkpoint or an untrained config; truncate with depth, head on/off');
export const qwen2Kind = llamaKind('qwen2', 'Qwen2 (as llama, with q/k/v biases) from a HF checkpoint or an untrained config');
export const qwen3Kind = llamaKind('qwen3', 'Qwen3 (as llama, with per-head q/k RMSNorm and an explicit head_dim) from a HF checkpoint or an untrained config');
export const gemma3TextKind = llamaKind('gemma3_text', 'Gemma 3 text (sliding-window and global layers, sandwich RMSNorms with (1 + w), GeGLU, q/k norms, embeddings × √hidden) from a HF checkpoint or an untrained config');
