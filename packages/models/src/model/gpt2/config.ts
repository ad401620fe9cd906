import { InvalidInputError } from '../../util/errors';
import { hfDimension, hfPositive, MODEL_LIMITS } from '../limits';

export interface Gpt2Config {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  layerNormEpsilon: number;
}

export const GPT2_SIZES: Record<'small' | 'medium' | 'large' | 'xl', Gpt2Config> = {
  small: { vocabSize: 50257, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12, layerNormEpsilon: 1e-5 },
  medium: { vocabSize: 50257, nPositions: 1024, nEmbd: 1024, nLayer: 24, nHead: 16, layerNormEpsilon: 1e-5 },
  large: { vocabSize: 50257, nPositions: 1024, nEmbd: 1280, nLayer: 36, nHead: 20, layerNormEpsilon: 1e-5 },
  xl: { vocabSize: 50257, nPositions: 1024, nEmbd: 1600, nLayer: 48, nHead: 25, layerNormEpsilon: 1e-5 },
};

/** Read HF `GPT2Config` fields (config.json), each checked against MODEL_LIMITS. */
export function gpt2ConfigFromHf(hf: Record<string, unknown>, where: string): Gpt2Config {
  const activation = hf['activation_function'];
  if (activation !== undefined && activation !== 'gelu_new') {
    throw new InvalidInputError(`${where}: activation_function ${JSON.stringify(activation).slice(0, 40)} is not supported (GPT-2 uses gelu_new)`, 'E_CHECKPOINT');
  }
  const nCtx = hf['n_ctx'];
  const config: Gpt2Config = {
    vocabSize: hfDimension(hf, 'vocab_size', where, { min: 1, max: MODEL_LIMITS.vocabSize }),
    nPositions: hfDimension(hf, 'n_positions', where, { min: 1, max: MODEL_LIMITS.positions }, typeof nCtx === 'number' ? nCtx : undefined),
    nEmbd: hfDimension(hf, 'n_embd', where, { min: 1, max: MODEL_LIMITS.width }),
    nLayer: hfDimension(hf, 'n_layer', where, { min: 0, max: MODEL_LIMITS.layers }),
    nHead: hfDimension(hf, 'n_head', where, { min: 1, max: MODEL_LIMITS.heads }),
    layerNormEpsilon: hfPositive(hf, 'layer_norm_epsilon', where, 1e-5),
  };
  if (config.nEmbd % config.nHead !== 0) throw new InvalidInputError(`${where}: config.json n_embd (${config.nEmbd}) is not divisible by n_head (${config.nHead})`, 'E_CHECKPOINT');
  return config;
}

/** The inverse of gpt2ConfigFromHf: HF `GPT2Config` for config.json, loadable by transformers' GPT2LMHeadModel and by repscope. */
export function hfGpt2Config(c: Gpt2Config, tiedHead = true): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_ctx: c.nPositions,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: c.layerNormEpsilon,
    resid_pdrop: 0.0,
    embd_pdrop: 0.0,
    attn_pdrop: 0.0,
    initializer_range: 0.02,
    bos_token_id: 50256,
    eos_token_id: 50256,
    tie_word_embeddings: tiedHead,
    torch_dtype: 'float32',
  };
}

/** Canonical (HF `GPT2Model`) parameter names and shapes for `blocks` blocks. */
export function gpt2ParameterShapes(c: Gpt2Config, blocks: number): { name: string; shape: number[] }[] {
  const d = c.nEmbd;
  const out = [
    { name: 'wte.weight', shape: [c.vocabSize, d] },
    { name: 'wpe.weight', shape: [c.nPositions, d] },
  ];
  for (let i = 0; i < blocks; i++) {
    out.push(
      { name: `h.${i}.ln_1.weight`, shape: [d] },
      { name: `h.${i}.ln_1.bias`, shape: [d] },
      { name: `h.${i}.attn.c_attn.weight`, shape: [d, 3 * d] },
      { name: `h.${i}.attn.c_attn.bias`, shape: [3 * d] },
      { name: `h.${i}.attn.c_proj.weight`, shape: [d, d] },
      { name: `h.${i}.attn.c_proj.bias`, shape: [d] },
      { name: `h.${i}.ln_2.weight`, shape: [d] },
      { name: `h.${i}.ln_2.bias`, shape: [d] },
      { name: `h.${i}.mlp.c_fc.weight`, shape: [d, 4 * d] },
      { name: `h.${i}.mlp.c_fc.bias`, shape: [4 * d] },
      { name: `h.${i}.mlp.c_proj.weight`, shape: [4 * d, d] },
      { name: `h.${i}.mlp.c_proj.bias`, shape: [d] },
    );
  }
  out.push({ name: 'ln_f.weight', shape: [d] }, { name: 'ln_f.bias', shape: [d] });
  return out;
}
