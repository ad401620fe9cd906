/* The model and input shape of one bench case ({model: gpt2 | vit | hybrid | a FAMILY_SHAPES key, depth, head, batch, tokens}), shared by the timed case and the profiler. */
const { Rng } = require('@repscope/core');
const { createBuiltinRegistries } = require('@repscope/core/testing');

/**
 * Model families at the real dimensions of published checkpoints (their Hugging Face
 * config.json keys), weights untrained. `torch_case.py` builds the same shapes from `config`.
 */
const FAMILY_SHAPES = {
  'smollm2-135m': {
    kind: 'llama',
    config: { hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64, vocab_size: 49152, max_position_embeddings: 8192, tie_word_embeddings: true, rope_theta: 100000, rms_norm_eps: 1e-5 },
  },
  'qwen3-0.6b': {
    kind: 'qwen3',
    config: { hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, vocab_size: 151936, max_position_embeddings: 40960, tie_word_embeddings: true, rope_theta: 1000000, rms_norm_eps: 1e-6 },
  },
  'gemma-3-270m': {
    kind: 'gemma3_text',
    config: {
      hidden_size: 640, intermediate_size: 2048, num_hidden_layers: 18, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 256, vocab_size: 262144, max_position_embeddings: 32768, tie_word_embeddings: true,
      rope_theta: 1000000, rope_local_base_freq: 10000, rms_norm_eps: 1e-6, query_pre_attn_scalar: 256, sliding_window: 512,
      layer_types: Array.from({ length: 18 }, (_, i) => ((i + 1) % 6 === 0 ? 'full_attention' : 'sliding_attention')),
    },
  },
};

async function caseModel(c) {
  const family = FAMILY_SHAPES[c.model];
  const spec = family
    ? { kind: family.kind, config: family.config, depth: c.depth, head: c.head }
    : c.model === 'gpt2'
      ? { kind: 'gpt2', size: 'small', depth: c.depth, head: c.head, positionIds: 'sequential' }
      : c.model === 'vit'
        ? { kind: 'vit', size: 'b16', depth: c.depth, head: false }
        : { kind: 'hybrid', vit: {}, gpt2: {}, depth: c.depth, head: false, positionEmbedding: 'none', normalize: 'none' };
  const model = await createBuiltinRegistries().models.get(spec.kind).create(spec, { seed: 0, rng: new Rng(0), log: () => {} });
  const shape = family ? [c.batch, c.tokens, family.config.hidden_size] : c.model === 'gpt2' ? [c.batch, c.tokens, 768] : [c.batch, 224, 224, 3];
  return { model, shape };
}

module.exports = { caseModel, FAMILY_SHAPES };
