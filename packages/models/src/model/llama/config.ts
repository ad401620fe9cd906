import { InvalidInputError } from '../../util/errors';
import { hfDimension, hfPositive, MODEL_LIMITS } from '../limits';

/** The Llama-shaped families: one code path (RMSNorm, SwiGLU, RoPE, grouped-query attention). */
export type LlamaFamily = 'llama' | 'qwen2' | 'qwen3';
export const LLAMA_FAMILIES: readonly LlamaFamily[] = ['llama', 'qwen2', 'qwen3'];

/** Llama 3's frequency-dependent RoPE scaling (`rope_scaling.rope_type: llama3`). */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

export interface LlamaConfig {
  family: LlamaFamily;
  vocabSize: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling?: Llama3RopeScaling;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases (Qwen2). */
  qkvBias: boolean;
  /** RMSNorm over each head's q and k before RoPE (Qwen3). */
  qkNorm: boolean;
}

/**
 * config.json keys that change the computation and that this implementation does not carry
 * out: refused, never silently ignored (a wrong model would still produce numbers).
 */
const REFUSED_KEYS: Record<string, (v: unknown) => boolean> = {
  attn_logit_softcapping: (v) => v !== null && v !== undefined,
  final_logit_softcapping: (v) => v !== null && v !== undefined,
  num_experts: (v) => typeof v === 'number' && v > 0,
  num_local_experts: (v) => typeof v === 'number' && v > 0,
  mlp_bias: (v) => v === true,
  use_sliding_window: (v) => v === true,
  partial_rotary_factor: (v) => typeof v === 'number' && v !== 1,
  pretraining_tp: (v) => typeof v === 'number' && v !== 1,
};

function ropeScalingFromHf(raw: unknown, where: string): Llama3RopeScaling | undefined {
  if (raw === null || raw === undefined) return undefined;
  const r = raw as Record<string, unknown>;
  const type = r['rope_type'] ?? r['type'];
  if (type === 'default') return undefined;
  if (type !== 'llama3') throw new InvalidInputError(`${where}: config.json rope_scaling type ${JSON.stringify(type)} is not supported (supported: llama3, or none)`, 'E_CHECKPOINT');
  const num = (key: string) => {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidInputError(`${where}: config.json rope_scaling.${key} must be a positive number (got ${JSON.stringify(v)})`, 'E_CHECKPOINT');
    return v;
  };
  return { factor: num('factor'), lowFreqFactor: num('low_freq_factor'), highFreqFactor: num('high_freq_factor'), originalMaxPositions: num('original_max_position_embeddings') };
}

/** Read a Llama/Qwen2/Qwen3 config.json, each dimension bounded; unsupported math is refused by name. */
export function llamaConfigFromHf(hf: Record<string, unknown>, family: LlamaFamily, where: string): LlamaConfig {
  for (const [key, refused] of Object.entries(REFUSED_KEYS)) {
    if (Object.prototype.hasOwnProperty.call(hf, key) && refused(hf[key])) throw new InvalidInputError(`${where}: config.json ${key} = ${JSON.stringify(hf[key])} is not supported for ${family}`, 'E_CHECKPOINT');
  }
  const act = hf['hidden_act'];
  if (act !== undefined && act !== 'silu') throw new InvalidInputError(`${where}: config.json hidden_act ${JSON.stringify(act)} is not supported (${family} uses silu)`, 'E_CHECKPOINT');
  const hidden = hfDimension(hf, 'hidden_size', where, { min: 1, max: MODEL_LIMITS.width });
  const heads = hfDimension(hf, 'num_attention_heads', where, { min: 1, max: MODEL_LIMITS.heads });
  const kvHeads = hfDimension(hf, 'num_key_value_heads', where, { min: 1, max: MODEL_LIMITS.heads }, heads);
  const headDim = hfDimension(hf, 'head_dim', where, { min: 2, max: MODEL_LIMITS.width }, Math.floor(hidden / heads));
  if (heads % kvHeads !== 0) throw new InvalidInputError(`${where}: config.json num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`, 'E_CHECKPOINT');
  if (headDim % 2 !== 0) throw new InvalidInputError(`${where}: config.json head_dim (${headDim}) must be even for rotary embeddings`, 'E_CHECKPOINT');
  const tie = hf['tie_word_embeddings'];
  return {
    family,
    vocabSize: hfDimension(hf, 'vocab_size', where, { min: 1, max: MODEL_LIMITS.vocabSize }),
    hidden,
    intermediate: hfDimension(hf, 'intermediate_size', where, { min: 1, max: MODEL_LIMITS.width * 8 }),
    layers: hfDimension(hf, 'num_hidden_layers', where, { min: 0, max: MODEL_LIMITS.layers }),
    heads,
    kvHeads,
    headDim,
    rmsNormEps: hfPositive(hf, 'rms_norm_eps', where, 1e-6),
    ropeTheta: hfPositive(hf, 'rope_theta', where, 10000),
    ropeScaling: ropeScalingFromHf(hf['rope_scaling'], where),
    maxPositions: hfDimension(hf, 'max_position_embeddings', where, { min: 1, max: 1 << 24 }, 2048),
    tieWordEmbeddings: typeof tie === 'boolean' ? tie : false,
    qkvBias: family === 'qwen2' || hf['attention_bias'] === true,
    qkNorm: family === 'qwen3',
  };
}

/** Hugging Face parameter names and shapes of the first `blocks` blocks (Linear weights are [out, in]). */
export function llamaParameterShapes(c: LlamaConfig, blocks: number, head: boolean): { name: string; shape: number[] }[] {
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const out = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, c.hidden] }];
  for (let i = 0; i < blocks; i++) {
    const p = `model.layers.${i}`;
    out.push({ name: `${p}.input_layernorm.weight`, shape: [c.hidden] });
    out.push({ name: `${p}.self_attn.q_proj.weight`, shape: [q, c.hidden] }, { name: `${p}.self_attn.k_proj.weight`, shape: [kv, c.hidden] }, { name: `${p}.self_attn.v_proj.weight`, shape: [kv, c.hidden] });
    if (c.qkvBias) out.push({ name: `${p}.self_attn.q_proj.bias`, shape: [q] }, { name: `${p}.self_attn.k_proj.bias`, shape: [kv] }, { name: `${p}.self_attn.v_proj.bias`, shape: [kv] });
    if (c.qkNorm) out.push({ name: `${p}.self_attn.q_norm.weight`, shape: [c.headDim] }, { name: `${p}.self_attn.k_norm.weight`, shape: [c.headDim] });
    out.push({ name: `${p}.self_attn.o_proj.weight`, shape: [c.hidden, q] });
    out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [c.hidden] });
    out.push({ name: `${p}.mlp.gate_proj.weight`, shape: [c.intermediate, c.hidden] }, { name: `${p}.mlp.up_proj.weight`, shape: [c.intermediate, c.hidden] }, { name: `${p}.mlp.down_proj.weight`, shape: [c.hidden, c.intermediate] });
  }
  out.push({ name: 'model.norm.weight', shape: [c.hidden] });
  if (head && !c.tieWordEmbeddings) out.push({ name: 'lm_head.weight', shape: [c.vocabSize, c.hidden] });
  return out;
}
