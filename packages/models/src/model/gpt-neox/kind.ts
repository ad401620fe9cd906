import { hfFamilyKind } from '../checkpoint/hf-family-kind';
import { GptNeoxConfig, gptNeoxConfigFromHf, gptNeoxParameterShapes } from './config';
import { GptNeoxModel } from './gpt-neox-model';

export const gptNeoxKind = hfFamilyKind<GptNeoxConfig>({
  kind: 'gpt_neox',
  description: 'GPT-NeoX / Pythia (LayerNorm, fused per-head QKV, partial RoPE, parallel or sequential residual, GELU, untied embed_out) from a HF checkpoint or an untrained config; truncate with depth, head on/off',
  trainable: false,
  configKeys: 'hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, vocab_size, rotary_pct, use_parallel_residual',
  finalNormName: 'LayerNorm',
  configFromHf: gptNeoxConfigFromHf,
  parameterShapes: gptNeoxParameterShapes,
  headName: 'embed_out.weight',
  // Pythia stores its causal mask (`attention.bias`), the mask's fill value and the rotary frequencies: all recomputed here.
  buffers: [/attention\.bias$/, /attention\.masked_bias$/, /rotary_emb\.inv_freq$/],
  // Hugging Face's initialisation: N(0, initializer_range), LayerNorms at (1, 0), zero biases.
  init: (c, name) => (/(layernorm|layer_norm)\.weight$/.test(name) ? { fill: 1 } : name.endsWith('.bias') ? { fill: 0 } : { std: c.initializerRange }),
  build: (params, p, _spec, common) => new GptNeoxModel(params, { ...common, config: p.config }),
});
