import { InvalidInputError } from '../../util/errors';
import { hfDimension, hfPositive, MODEL_LIMITS } from '../limits';

/** GELU as `gelu` (erf, exact) or as the tanh approximation (`gelu_new`, `gelu_fast`, `gelu_pytorch_tanh`: one formula). */
export type NeoxActivation = 'erf' | 'tanh';

const ACTIVATIONS: Record<string, NeoxActivation> = { gelu: 'erf', gelu_new: 'tanh', gelu_fast: 'tanh', gelu_pytorch_tanh: 'tanh' };

export interface GptNeoxConfig {
  vocabSize: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  headDim: number;
  /** Leading dimensions of each head that RoPE rotates (rotate-half within them); the rest pass through. */
  rotaryDims: number;
  rotaryBase: number;
  layerNormEps: number;
  activation: NeoxActivation;
  /** x + attn(ln1(x)) + mlp(ln2(x)) (Pythia) rather than two residual steps. */
  parallelResidual: boolean;
  /** query_key_value and attention.dense carry biases (HF's `attention_bias`, default true). */
  attentionBias: boolean;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** σ of the N(0, σ) initialisation of an untrained build (HF's `initializer_range`). */
  initializerRange: number;
}

const fail = (where: string, message: string) => new InvalidInputError(`${where}: config.json ${message}`, 'E_CHECKPOINT');

function optionalBoolean(hf: Record<string, unknown>, key: string, where: string, fallback: boolean): boolean {
  const v = hf[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw fail(where, `${key} must be true or false (got ${JSON.stringify(v)?.slice(0, 40)})`);
  return v;
}

/**
 * A rotary setting that config.json may spell three ways: the GPT-NeoX key (`rotary_pct`,
 * `rotary_emb_base`), the generic alias transformers 4.4x–4.5x also saves (`partial_rotary_factor`,
 * `rope_theta`), or a key of transformers 5's `rope_parameters`. Spellings that disagree are
 * refused: which one a given transformers version reads differs, so the model would be ambiguous.
 */
function rotarySetting(hf: Record<string, unknown>, keys: [string, string], where: string, fallback: number): number {
  const params = hf['rope_parameters'] as Record<string, unknown> | undefined;
  const found: [string, unknown][] = [];
  for (const key of keys) if (hf[key] !== undefined && hf[key] !== null) found.push([key, hf[key]]);
  if (params && params[keys[1]] !== undefined) found.push([`rope_parameters.${keys[1]}`, params[keys[1]]]);
  for (const [key, v] of found) if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(where, `${key} must be a number (got ${JSON.stringify(v)?.slice(0, 40)})`);
  const values = found as [string, number][];
  const other = values.find(([, v]) => v !== values[0]![1]);
  if (other) throw fail(where, `${values[0]![0]} = ${values[0]![1]} and ${other[0]} = ${other[1]} disagree`);
  return values[0]?.[1] ?? fallback;
}

function refuseRopeScaling(hf: Record<string, unknown>, where: string): void {
  const scaling = hf['rope_scaling'];
  if (scaling !== null && scaling !== undefined) throw fail(where, `rope_scaling ${JSON.stringify(scaling).slice(0, 80)} is not supported for gpt_neox (only null: unscaled RoPE)`);
  const params = hf['rope_parameters'];
  if (params === null || params === undefined) return;
  if (typeof params !== 'object' || Array.isArray(params)) throw fail(where, 'rope_parameters must be an object');
  const type = (params as Record<string, unknown>)['rope_type'] ?? 'default';
  if (type !== 'default') throw fail(where, `rope_parameters.rope_type ${JSON.stringify(type)} is not supported for gpt_neox (only "default": unscaled RoPE)`);
}

/** Read a GPT-NeoX (Pythia) config.json, each dimension bounded; math this code does not carry out is refused by key. */
export function gptNeoxConfigFromHf(hf: Record<string, unknown>, where: string): GptNeoxConfig {
  refuseRopeScaling(hf, where);
  const act = hf['hidden_act'] ?? 'gelu';
  const activation = typeof act === 'string' ? ACTIVATIONS[act] : undefined;
  if (!activation) throw fail(where, `hidden_act ${JSON.stringify(act)} is not supported for gpt_neox (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  const hidden = hfDimension(hf, 'hidden_size', where, { min: 1, max: MODEL_LIMITS.width });
  const heads = hfDimension(hf, 'num_attention_heads', where, { min: 1, max: MODEL_LIMITS.heads });
  if (hidden % heads !== 0) throw fail(where, `hidden_size (${hidden}) must be a multiple of num_attention_heads (${heads})`);
  const headDim = hidden / heads;
  const pct = rotarySetting(hf, ['rotary_pct', 'partial_rotary_factor'], where, 0.25);
  if (pct < 0 || pct > 1) throw fail(where, `rotary_pct must be within 0…1 (got ${pct})`);
  // int(head_size · rotary_pct) as transformers computes it: the same double product, truncated.
  const rotaryDims = Math.trunc(headDim * pct);
  if (rotaryDims % 2 !== 0) throw fail(where, `rotary_pct ${pct} gives ${rotaryDims} rotary dimensions per head; rotate-half RoPE needs an even number`);
  const rotaryBase = rotarySetting(hf, ['rotary_emb_base', 'rope_theta'], where, 10000);
  if (rotaryBase <= 0) throw fail(where, `rotary_emb_base must be positive (got ${rotaryBase})`);
  return {
    vocabSize: hfDimension(hf, 'vocab_size', where, { min: 1, max: MODEL_LIMITS.vocabSize }),
    hidden,
    intermediate: hfDimension(hf, 'intermediate_size', where, { min: 1, max: MODEL_LIMITS.width * 8 }),
    layers: hfDimension(hf, 'num_hidden_layers', where, { min: 0, max: MODEL_LIMITS.layers }),
    heads,
    headDim,
    rotaryDims,
    rotaryBase,
    layerNormEps: hfPositive(hf, 'layer_norm_eps', where, 1e-5),
    activation,
    parallelResidual: optionalBoolean(hf, 'use_parallel_residual', where, true),
    attentionBias: optionalBoolean(hf, 'attention_bias', where, true),
    maxPositions: hfDimension(hf, 'max_position_embeddings', where, { min: 1, max: MODEL_LIMITS.positions }, 2048),
    tieWordEmbeddings: optionalBoolean(hf, 'tie_word_embeddings', where, false),
    initializerRange: hfPositive(hf, 'initializer_range', where, 0.02),
  };
}

/** Hugging Face parameter names and shapes of the first `blocks` blocks (Linear weights are [out, in]). */
export function gptNeoxParameterShapes(c: GptNeoxConfig, blocks: number, head: boolean): { name: string; shape: number[] }[] {
  const d = c.hidden;
  const out = [{ name: 'gpt_neox.embed_in.weight', shape: [c.vocabSize, d] }];
  for (let i = 0; i < blocks; i++) {
    const p = `gpt_neox.layers.${i}`;
    out.push({ name: `${p}.input_layernorm.weight`, shape: [d] }, { name: `${p}.input_layernorm.bias`, shape: [d] });
    out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [d] }, { name: `${p}.post_attention_layernorm.bias`, shape: [d] });
    out.push({ name: `${p}.attention.query_key_value.weight`, shape: [3 * d, d] });
    if (c.attentionBias) out.push({ name: `${p}.attention.query_key_value.bias`, shape: [3 * d] });
    out.push({ name: `${p}.attention.dense.weight`, shape: [d, d] });
    if (c.attentionBias) out.push({ name: `${p}.attention.dense.bias`, shape: [d] });
    out.push({ name: `${p}.mlp.dense_h_to_4h.weight`, shape: [c.intermediate, d] }, { name: `${p}.mlp.dense_h_to_4h.bias`, shape: [c.intermediate] });
    out.push({ name: `${p}.mlp.dense_4h_to_h.weight`, shape: [d, c.intermediate] }, { name: `${p}.mlp.dense_4h_to_h.bias`, shape: [d] });
  }
  out.push({ name: 'gpt_neox.final_layer_norm.weight', shape: [d] }, { name: 'gpt_neox.final_layer_norm.bias', shape: [d] });
  if (head && !c.tieWordEmbeddings) out.push({ name: 'embed_out.weight', shape: [c.vocabSize, d] });
  return out;
}
