import { InvalidInputError } from '../../util/errors';
import { hfDimension, hfPositive, MODEL_LIMITS } from '../limits';

/** The Llama-shaped families: one code path (RMSNorm, gated MLP, RoPE, grouped-query attention). */
export type LlamaFamily = 'llama' | 'qwen2' | 'qwen3' | 'gemma3_text';
export const LLAMA_FAMILIES: readonly LlamaFamily[] = ['llama', 'qwen2', 'qwen3', 'gemma3_text'];

/** Llama 3's frequency-dependent RoPE scaling (`rope_scaling.rope_type: llama3`). */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

/** `rope_scaling.rope_type: linear`: positions divided by `factor` (Gemma 3's larger models). */
export interface LinearRopeScaling {
  linearFactor: number;
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
  ropeScaling?: Llama3RopeScaling | LinearRopeScaling;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases (Qwen2). */
  qkvBias: boolean;
  /** RMSNorm over each head's q and k before RoPE (Qwen3, Gemma 3). */
  qkNorm: boolean;
  /** Gemma 3's departures from Llama; absent for llama/qwen2/qwen3. */
  gemma?: GemmaTraits;
}

/**
 * What Gemma 3 changes: RMSNorm scales by (1 + w); the embedding is multiplied by √hidden;
 * sandwich norms (after attention and around the MLP); GeGLU with tanh GELU; attention scaled
 * by query_pre_attn_scalar^−½; sliding-window layers (with their own RoPE base) between
 * global ones.
 */
export interface GemmaTraits {
  attentionScale: number;
  /** Per layer: a query sees this many positions (itself included), or undefined for all. */
  windows: (number | undefined)[];
  slidingWindow: number;
  ropeLocalTheta: number;
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
  use_bidirectional_attention: (v) => v === true,
  // Llama's and Gemma's attention_bias also puts a bias on o_proj; Qwen2's biases are built in.
  attention_bias: (v) => v === true,
};

function ropeScalingFromHf(raw: unknown, where: string): Llama3RopeScaling | LinearRopeScaling | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidInputError(`${where}: config.json rope_scaling must be an object or null`, 'E_CHECKPOINT');
  const r = raw as Record<string, unknown>;
  const type = r['rope_type'] ?? r['type'];
  if (type === 'default') return undefined;
  if (type === 'linear') {
    const factor = r['factor'];
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0) throw new InvalidInputError(`${where}: config.json rope_scaling.factor must be a positive number (got ${JSON.stringify(factor)})`, 'E_CHECKPOINT');
    return { linearFactor: factor };
  }
  if (type !== 'llama3') throw new InvalidInputError(`${where}: config.json rope_scaling type ${JSON.stringify(type)} is not supported (supported: llama3, linear, or none)`, 'E_CHECKPOINT');
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
  const isGemma = family === 'gemma3_text';
  const expectedAct = isGemma ? 'gelu_pytorch_tanh' : 'silu';
  for (const key of isGemma ? ['hidden_activation', 'hidden_act'] : ['hidden_act']) {
    const act = hf[key];
    if (act !== undefined && act !== null && act !== expectedAct) throw new InvalidInputError(`${where}: config.json ${key} ${JSON.stringify(act)} is not supported (${family} uses ${expectedAct})`, 'E_CHECKPOINT');
  }
  const hidden = hfDimension(hf, 'hidden_size', where, { min: 1, max: MODEL_LIMITS.width });
  const heads = hfDimension(hf, 'num_attention_heads', where, { min: 1, max: MODEL_LIMITS.heads });
  const kvHeads = hfDimension(hf, 'num_key_value_heads', where, { min: 1, max: MODEL_LIMITS.heads }, heads);
  // Gemma3TextConfig's defaults differ from Llama's (head_dim 256, rope_theta 1e6, query_pre_attn_scalar 256).
  const headDim = hfDimension(hf, 'head_dim', where, { min: 2, max: MODEL_LIMITS.width }, isGemma ? 256 : Math.floor(hidden / heads));
  if (heads % kvHeads !== 0) throw new InvalidInputError(`${where}: config.json num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads})`, 'E_CHECKPOINT');
  if (headDim % 2 !== 0) throw new InvalidInputError(`${where}: config.json head_dim (${headDim}) must be even for rotary embeddings`, 'E_CHECKPOINT');
  const tie = hf['tie_word_embeddings'];
  const layers = hfDimension(hf, 'num_hidden_layers', where, { min: 0, max: MODEL_LIMITS.layers });
  return {
    family,
    vocabSize: hfDimension(hf, 'vocab_size', where, { min: 1, max: MODEL_LIMITS.vocabSize }),
    hidden,
    intermediate: hfDimension(hf, 'intermediate_size', where, { min: 1, max: MODEL_LIMITS.width * 8 }),
    layers,
    heads,
    kvHeads,
    headDim,
    rmsNormEps: hfPositive(hf, 'rms_norm_eps', where, 1e-6),
    ropeTheta: hfPositive(hf, 'rope_theta', where, isGemma ? 1_000_000 : 10000),
    ropeScaling: ropeScalingFromHf(hf['rope_scaling'], where),
    maxPositions: hfDimension(hf, 'max_position_embeddings', where, { min: 1, max: 1 << 24 }, isGemma ? 131072 : 2048),
    // Gemma ties its head unless told otherwise; the others default to untied (as their HF configs do).
    tieWordEmbeddings: typeof tie === 'boolean' ? tie : isGemma,
    qkvBias: family === 'qwen2',
    qkNorm: family === 'qwen3' || isGemma,
    ...(isGemma ? { gemma: gemmaTraits(hf, where, layers) } : {}),
  };
}

/** Which layers slide: `layer_types` when given, else every `sliding_window_pattern`-th layer is global. */
function gemmaTraits(hf: Record<string, unknown>, where: string, layers: number): GemmaTraits {
  const slidingWindow = hfDimension(hf, 'sliding_window', where, { min: 1, max: 1 << 24 }, 4096);
  let types: unknown[];
  if (hf['layer_types'] !== undefined && hf['layer_types'] !== null) {
    if (!Array.isArray(hf['layer_types']) || hf['layer_types'].length !== layers) throw new InvalidInputError(`${where}: config.json layer_types must list one type per layer (${layers})`, 'E_CHECKPOINT');
    types = hf['layer_types'];
  } else {
    const pattern = hfDimension(hf, 'sliding_window_pattern', where, { min: 1, max: MODEL_LIMITS.layers }, 6);
    types = Array.from({ length: layers }, (_, i) => ((i + 1) % pattern === 0 ? 'full_attention' : 'sliding_attention'));
  }
  const windows = types.map((t, i) => {
    if (t === 'full_attention') return undefined;
    if (t === 'sliding_attention') return slidingWindow;
    throw new InvalidInputError(`${where}: config.json layer_types[${i}] ${JSON.stringify(t)} is not supported (sliding_attention or full_attention)`, 'E_CHECKPOINT');
  });
  return {
    attentionScale: 1 / Math.sqrt(hfPositive(hf, 'query_pre_attn_scalar', where, 256)),
    windows,
    slidingWindow,
    ropeLocalTheta: hfPositive(hf, 'rope_local_base_freq', where, 10000),
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
    if (c.gemma) out.push({ name: `${p}.pre_feedforward_layernorm.weight`, shape: [c.hidden] }, { name: `${p}.post_feedforward_layernorm.weight`, shape: [c.hidden] });
    out.push({ name: `${p}.mlp.gate_proj.weight`, shape: [c.intermediate, c.hidden] }, { name: `${p}.mlp.up_proj.weight`, shape: [c.intermediate, c.hidden] }, { name: `${p}.mlp.down_proj.weight`, shape: [c.hidden, c.intermediate] });
  }
  out.push({ name: 'model.norm.weight', shape: [c.hidden] });
  if (head && !c.tieWordEmbeddings) out.push({ name: 'lm_head.weight', shape: [c.vocabSize, c.hidden] });
  return out;
}
