import { InvalidInputError } from '../../util/errors';

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

/** Read HF `GPT2Config` fields (config.json). */
export function gpt2ConfigFromHf(hf: Record<string, unknown>, where: string): Gpt2Config {
  const num = (key: string, fallback?: number): number => {
    const v = hf[key] ?? fallback;
    if (typeof v !== 'number') throw new InvalidInputError(`${where}: config.json has no numeric "${key}"`, 'E_CHECKPOINT');
    return v;
  };
  const activation = hf['activation_function'];
  if (activation !== undefined && activation !== 'gelu_new') {
    throw new InvalidInputError(`${where}: activation_function "${String(activation)}" is not supported (GPT-2 uses gelu_new)`, 'E_CHECKPOINT');
  }
  return {
    vocabSize: num('vocab_size'),
    nPositions: num('n_positions', hf['n_ctx'] as number | undefined),
    nEmbd: num('n_embd'),
    nLayer: num('n_layer'),
    nHead: num('n_head'),
    layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
  };
}

export function checkGpt2Config(c: Gpt2Config, where: string): void {
  if (c.nEmbd % c.nHead !== 0) throw new InvalidInputError(`${where}: nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`, 'E_CONFIG_MODEL');
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
