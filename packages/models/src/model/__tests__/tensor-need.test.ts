import { describeNeed, needCovers, needOfBlock, tensorFilter, unionNeed } from '../checkpoint/tensor-need';

describe('which tensors a depth-limited model block reads', () => {
  const depth2 = tensorFilter({ depth: 2, head: false })!;

  test.each([
    ['gpt2', 'h.1.attn.c_attn.weight', 'transformer.h.2.mlp.c_fc.weight', 'ln_f.weight'],
    ['llama / qwen / gemma', 'model.layers.1.self_attn.q_proj.weight', 'model.layers.2.mlp.up_proj.weight', 'model.norm.weight'],
    ['gpt_neox', 'gpt_neox.layers.1.attention.query_key_value.weight', 'gpt_neox.layers.12.mlp.dense_h_to_4h.bias', 'gpt_neox.final_layer_norm.bias'],
    ['vit', 'vit.encoder.layer.1.attention.attention.query.weight', 'vit.encoder.layer.2.output.dense.weight', 'vit.layernorm.weight'],
  ])('%s: blocks below depth are read, deeper blocks are not; the final norm only with the head', (family, kept, deeper, finalNorm) => {
    expect(depth2(kept)).toBe(true);
    expect(depth2(deeper)).toBe(false);
    // ViT's final layernorm is not a decoder's: it is kept (its kind reads it either way).
    expect(depth2(finalNorm)).toBe(family === 'vit');
    expect(tensorFilter({ depth: 2, head: true })!(finalNorm)).toBe(true);
  });

  test('an untied LM head only with head: true; embeddings and unknown tensors always', () => {
    for (const head of ['lm_head.weight', 'embed_out.weight']) {
      expect(depth2(head)).toBe(false);
      expect(tensorFilter({ depth: 2, head: true })!(head)).toBe(true);
    }
    for (const name of ['wte.weight', 'model.embed_tokens.weight', 'gpt_neox.embed_in.weight', 'some.new.tensor']) expect(depth2(name)).toBe(true);
    // Every block and the head: no filter at all.
    expect(tensorFilter({ head: true })).toBeUndefined();
  });

  test('a config block says what it needs; several blocks need what any of them does', () => {
    expect(needOfBlock({ kind: 'gpt2', depth: 3, head: true })).toEqual({ depth: 3, head: true });
    // A depth that is not a count is left to the kind's own check, and means "every block" here.
    expect(needOfBlock({ kind: 'gpt2', depth: 'three' })).toEqual({ depth: undefined, head: false });
    expect(unionNeed([{ depth: 1, head: false }, { depth: 4, head: false }])).toEqual({ depth: 4, head: false });
    expect(unionNeed([{ depth: 1, head: false }, { depth: 2, head: true }])).toEqual({ depth: 2, head: true });
    // Unsaid means every tensor: the default of ensureHubModel and isCompleteInCache.
    expect(tensorFilter({ depth: 1 })!('lm_head.weight')).toBe(true);
    expect(unionNeed([{ depth: 1 }, { head: true }])).toEqual({ depth: undefined, head: true });
    expect(describeNeed({ depth: 4, head: false })).toBe('blocks 0–3, no LM head');
    // A hybrid's `gpt2:` part has no kind or head of its own: its parent reads all of it (ln_f included).
    expect(needOfBlock({ weights: 'hf:gpt2' })).toEqual({});
  });

  test('what a fetch covers: fewer blocks and no head are covered by more blocks and the head, not the other way', () => {
    expect(needCovers({ depth: 2, head: false }, { depth: 1, head: false })).toBe(true);
    expect(needCovers({ depth: 1, head: false }, { depth: 2, head: false })).toBe(false);
    expect(needCovers({ depth: 2, head: false }, { depth: 2, head: true })).toBe(false);
    expect(needCovers({}, { depth: 24, head: true })).toBe(true);
    expect(needCovers({ depth: 3, head: true }, {})).toBe(false);
  });
});
