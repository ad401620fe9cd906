#!/usr/bin/python3
"""Make the tiny random checkpoints in packages/models/test-data/reference/<family>/ and their
expected activations.

One checkpoint per family, in Hugging Face layout with the real vocabulary size, chosen to
exercise what the third-party fixtures in test-data/families/ do not:

  llama        F16, tied head, no rope_scaling, no head_dim key (hidden / heads), 3 layers,
               GQA 2:1, rms_norm_eps 1e-5
  qwen2        BF16 in one file, tied head, q/k/v biases, GQA 2:1
  qwen3        F32, tied head, head_dim 8 with hidden 16 and 4 heads (q width 32 ≠ hidden),
               GQA 4:1, q/k norms
  gemma3_text  BF16, 5 layers with the sliding/global pattern from sliding_window_pattern 3
               (no layer_types key: sliding, sliding, full, sliding, sliding), window 3 over a
               sentence more than twice as long, rope_theta 1e6 for full layers and
               rope_local_base_freq 1e4 for sliding ones, rope_scaling linear ×8 (full layers
               only, as in the larger Gemma 3 models), head_dim 12 ≠ hidden / heads,
               query_pre_attn_scalar 10 ≠ head_dim, tied head
  gpt_neox     F16, use_parallel_residual false, rotary_pct 0.5, untied embed_out, Pythia's
               extra buffers (attention.bias as BOOL, masked_bias and rotary inv_freq as F32)

Weights: N(0, 1/fan_in) projections (activations of order one, so every nonlinearity is away
from its linear regime), N(0, 1) embeddings, norm weights near their identity value, biases
N(0, 0.1²); numpy Generator(PCG64) with the seed recorded in expected.json. Token ids: the
family's sentence through scripts/reference/bpe_tokenizer.py (Qwen2 uses the Qwen 3 tokenizer
files: same vocabulary), BOS as that tokenizer's post-processor adds it; gpt_neox has no
tokenizer in this repository, so it gets fixed ids including 0 and the last (padding) row.

expected.safetensors comes from families_ref.py (float64) and includes the input gradient
grad.blocks.0.hook_resid_pre (scalar defined in families_ref.py); expected.json also records how
far the same reference run in float32 lands from it, per tensor (what a float32 implementation
can be expected to reach).

Usage: /usr/bin/python3 scripts/reference/make_checkpoints.py [family ...]
"""

import hashlib
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts (not gitignored)
sys.path.insert(0, HERE)
from bpe_tokenizer import Tokenizer  # noqa: E402
from families_ref import GRAD_NAME, Reference, grad_weights  # noqa: E402
from safetensors_io import bf16_bits, write_f32, write_file  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
TEST_DATA = os.path.join(ROOT, 'packages', 'models', 'test-data')
OUT = os.path.join(TEST_DATA, 'reference')

COMMON = {'attention_dropout': 0.0, 'initializer_range': 0.02, 'use_cache': True, 'transformers_version': '4.56.1'}

SPECS = {
    'llama': dict(
        exercises='F16, tied head, no rope_scaling, no head_dim key (hidden / heads), 3 layers, GQA 2:1, rms_norm_eps 1e-5',
        seed=1101,
        dtype='F16',
        tokenizer='llama',
        sentence='Naïve café sold 1234 croissants 🥐.',
        config={
            'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'vocab_size': 128256, 'hidden_size': 16, 'intermediate_size': 40,
            'num_hidden_layers': 3, 'num_attention_heads': 2, 'num_key_value_heads': 1, 'hidden_act': 'silu', 'max_position_embeddings': 4096,
            'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'rope_scaling': None, 'attention_bias': False, 'mlp_bias': False, 'pretraining_tp': 1,
            'tie_word_embeddings': True, 'bos_token_id': 128000, 'eos_token_id': 128001, 'torch_dtype': 'float16', **COMMON,
        },
    ),
    'qwen2': dict(
        exercises='BF16 in one file, tied head, q/k/v biases, GQA 2:1',
        seed=2202,
        dtype='BF16',
        tokenizer='qwen3',
        sentence='Привет, 東京! 42 people 😀',
        config={
            'architectures': ['Qwen2ForCausalLM'], 'model_type': 'qwen2', 'vocab_size': 151936, 'hidden_size': 16, 'intermediate_size': 48,
            'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2, 'hidden_act': 'silu', 'max_position_embeddings': 32768,
            'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'rope_scaling': None, 'use_sliding_window': False, 'sliding_window': 32768,
            'max_window_layers': 2, 'tie_word_embeddings': True, 'bos_token_id': 151643, 'eos_token_id': 151643, 'torch_dtype': 'bfloat16', **COMMON,
        },
    ),
    'qwen3': dict(
        exercises='F32, tied head, head_dim 8 with hidden 16 and 4 heads (q width 32 != hidden), GQA 4:1, q/k norms',
        seed=3303,
        dtype='F32',
        tokenizer='qwen3',
        sentence='def f(x):\n    return x ** 2  # 平方',
        config={
            'architectures': ['Qwen3ForCausalLM'], 'model_type': 'qwen3', 'vocab_size': 151936, 'hidden_size': 16, 'intermediate_size': 32,
            'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 1, 'head_dim': 8, 'hidden_act': 'silu',
            'max_position_embeddings': 40960, 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'rope_scaling': None, 'attention_bias': False,
            'use_sliding_window': False, 'sliding_window': None, 'max_window_layers': 2, 'tie_word_embeddings': True, 'bos_token_id': 151643,
            'eos_token_id': 151645, 'torch_dtype': 'float32', **COMMON,
        },
    ),
    'gemma3_text': dict(
        exercises='BF16; 5 layers typed by sliding_window_pattern 3 (no layer_types key); window 3 over 14 tokens; rope_theta 1e6 (full) vs rope_local_base_freq 1e4 (sliding); rope_scaling linear x8 on full layers only; head_dim 12 != hidden/heads; query_pre_attn_scalar 10 != head_dim; tied head',
        seed=4404,
        dtype='BF16',
        tokenizer='gemma3_text',
        sentence='Lanterns drift over the harbour while 3 boats wait 🚤.',
        config={
            'architectures': ['Gemma3ForCausalLM'], 'model_type': 'gemma3_text', 'vocab_size': 262144, 'hidden_size': 16, 'intermediate_size': 48,
            'num_hidden_layers': 5, 'num_attention_heads': 2, 'num_key_value_heads': 1, 'head_dim': 12, 'hidden_activation': 'gelu_pytorch_tanh',
            'max_position_embeddings': 32768, 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'rope_local_base_freq': 10000.0,
            'rope_scaling': {'rope_type': 'linear', 'factor': 8.0}, 'query_pre_attn_scalar': 10, 'sliding_window': 3, 'sliding_window_pattern': 3,
            'attention_bias': False, 'attn_logit_softcapping': None, 'final_logit_softcapping': None, 'use_bidirectional_attention': False,
            'cache_implementation': 'hybrid', 'tie_word_embeddings': True, 'bos_token_id': 2, 'eos_token_id': [1, 106], 'pad_token_id': 0,
            'torch_dtype': 'bfloat16', **COMMON,
        },
    ),
    'gpt_neox': dict(
        exercises='F16, use_parallel_residual false, rotary_pct 0.5 (4 of 8 dims), untied embed_out, Pythia buffers (BOOL attention.bias, F32 masked_bias and inv_freq)',
        seed=5505,
        dtype='F16',
        tokenizer=None,
        token_ids=[0, 12092, 50303, 1533, 273, 7312, 15, 50276, 42, 9023, 2, 31326, 50280, 187, 1, 24781],
        config={
            'architectures': ['GPTNeoXForCausalLM'], 'model_type': 'gpt_neox', 'vocab_size': 50304, 'hidden_size': 16, 'intermediate_size': 64,
            'num_hidden_layers': 3, 'num_attention_heads': 2, 'hidden_act': 'gelu', 'max_position_embeddings': 32, 'layer_norm_eps': 1e-5,
            'rotary_pct': 0.5, 'rotary_emb_base': 10000, 'use_parallel_residual': False, 'attention_bias': True, 'tie_word_embeddings': False,
            'bos_token_id': 0, 'eos_token_id': 0, 'hidden_dropout': 0.0, 'torch_dtype': 'float16', **COMMON,
        },
    ),
}


def random_weights(family, c, rng):
    """{name: float64 array} in HF names, before rounding to the storage dtype."""
    w = {}

    def proj(name, out_dim, in_dim, bias=False):
        w[name + '.weight'] = rng.normal(0, 1 / np.sqrt(in_dim), (out_dim, in_dim))
        if bias:
            w[name + '.bias'] = rng.normal(0, 0.1, (out_dim,))

    H, V = c['hidden_size'], c['vocab_size']
    if family == 'gpt_neox':
        heads = c['num_attention_heads']
        w['gpt_neox.embed_in.weight'] = rng.normal(0, 1, (V, H))
        for i in range(c['num_hidden_layers']):
            p = f'gpt_neox.layers.{i}.'
            for ln in ('input_layernorm', 'post_attention_layernorm'):
                w[p + ln + '.weight'] = 1 + rng.normal(0, 0.1, (H,))
                w[p + ln + '.bias'] = rng.normal(0, 0.1, (H,))
            proj(p + 'attention.query_key_value', 3 * H, H, bias=True)
            proj(p + 'attention.dense', H, H, bias=True)
            proj(p + 'mlp.dense_h_to_4h', c['intermediate_size'], H, bias=True)
            proj(p + 'mlp.dense_4h_to_h', H, c['intermediate_size'], bias=True)
        w['gpt_neox.final_layer_norm.weight'] = 1 + rng.normal(0, 0.1, (H,))
        w['gpt_neox.final_layer_norm.bias'] = rng.normal(0, 0.1, (H,))
        w['embed_out.weight'] = rng.normal(0, 1 / np.sqrt(H), (V, H))
        assert H % heads == 0
        return w
    gemma = family == 'gemma3_text'
    heads, kv = c['num_attention_heads'], c['num_key_value_heads']
    D = c.get('head_dim') or H // heads

    def norm(name, dim):
        # Gemma stores w for (1 + w), so "near identity" is near 0; the others store the scale.
        w[name] = rng.normal(0, 0.1, (dim,)) if gemma else 1 + rng.normal(0, 0.1, (dim,))

    w['model.embed_tokens.weight'] = rng.normal(0, 1, (V, H))
    for i in range(c['num_hidden_layers']):
        p = f'model.layers.{i}.'
        norm(p + 'input_layernorm.weight', H)
        qkv_bias = family == 'qwen2'
        proj(p + 'self_attn.q_proj', heads * D, H, qkv_bias)
        proj(p + 'self_attn.k_proj', kv * D, H, qkv_bias)
        proj(p + 'self_attn.v_proj', kv * D, H, qkv_bias)
        if family in ('qwen3', 'gemma3_text'):
            norm(p + 'self_attn.q_norm.weight', D)
            norm(p + 'self_attn.k_norm.weight', D)
        proj(p + 'self_attn.o_proj', H, heads * D)
        norm(p + 'post_attention_layernorm.weight', H)
        if gemma:
            norm(p + 'pre_feedforward_layernorm.weight', H)
            norm(p + 'post_feedforward_layernorm.weight', H)
        proj(p + 'mlp.gate_proj', c['intermediate_size'], H)
        proj(p + 'mlp.up_proj', c['intermediate_size'], H)
        proj(p + 'mlp.down_proj', H, c['intermediate_size'])
    norm('model.norm.weight', H)
    if not c['tie_word_embeddings']:
        w['lm_head.weight'] = rng.normal(0, 1 / np.sqrt(H), (V, H))
    return w


def stored(dtype, x):
    if dtype == 'BF16':
        return ('BF16', bf16_bits(x))
    if dtype == 'F16':
        return ('F16', np.asarray(x, dtype=np.float16))
    return ('F32', np.asarray(x, dtype=np.float32))


def pythia_buffers(c):
    """The non-parameter tensors Pythia checkpoints carry per layer; HF ignores them (it builds
    its own causal mask and recomputes inv_freq), and so must a loader."""
    P = c['max_position_embeddings']
    D = c['hidden_size'] // c['num_attention_heads']
    rot = int(D * c['rotary_pct'])
    inv = 1.0 / (c['rotary_emb_base'] ** (np.arange(0, rot, 2) / rot))
    out = {}
    for i in range(c['num_hidden_layers']):
        p = f'gpt_neox.layers.{i}.attention.'
        out[p + 'bias'] = ('BOOL', np.tril(np.ones((P, P), dtype=np.bool_)).reshape(1, 1, P, P))
        out[p + 'masked_bias'] = ('F32', np.array(-1e9, dtype=np.float32))
        out[p + 'rotary_emb.inv_freq'] = ('F32', inv.astype(np.float32))
    return out


def dump_json(value, indent=0):
    """json.dumps(indent=2), except that lists of numbers/strings stay on one line."""
    pad = '  ' * indent
    if isinstance(value, dict):
        items = [f'{pad}  {json.dumps(k)}: {dump_json(v, indent + 1)}' for k, v in value.items()]
        return '{\n' + ',\n'.join(items) + f'\n{pad}}}'
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return '[\n' + ',\n'.join(f'{pad}  {dump_json(v, indent + 1)}' for v in value) + f'\n{pad}]'
    return json.dumps(value, ensure_ascii=False)


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def make(family):
    spec = SPECS[family]
    c = spec['config']
    folder = os.path.join(OUT, family)
    os.makedirs(folder, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(spec['seed']))
    weights = random_weights(family, c, rng)
    tensors = {name: stored(spec['dtype'], x) for name, x in weights.items()}
    if family == 'gpt_neox':
        tensors.update(pythia_buffers(c))
    write_file(os.path.join(folder, 'model.safetensors'), tensors, metadata={'format': 'pt'})
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(c, f, indent=2)
        f.write('\n')

    meta = {'model_type': family}
    if spec['tokenizer']:
        tok_dir = os.path.join(TEST_DATA, 'families', spec['tokenizer'])
        tok = Tokenizer(os.path.join(tok_dir, 'tokenizer.json'), os.path.join(tok_dir, 'tokenizer_config.json'))
        ids = tok.encode(spec['sentence'])
        meta['sentence'] = spec['sentence']
        meta['token_ids'] = ids
        meta['tokenizer'] = {
            'files': f'../families/{spec["tokenizer"]}/tokenizer.json and tokenizer_config.json (not copied here: megabytes)',
            'sha256': {n: sha256(os.path.join(tok_dir, n)) for n in ('tokenizer.json', 'tokenizer_config.json')},
            'encoder': 'scripts/reference/bpe_tokenizer.py',
            'bos': 'prepended by the post-processor (TemplateProcessing <bos> $A)' if tok.prefix_ids else 'none: the post-processor adds no special tokens',
        }
    else:
        ids = spec['token_ids']
        meta['token_ids'] = ids
        meta['note_ids'] = 'no tokenizer: fixed ids including row 0 and the last (padding) row'

    ref = Reference(folder, torch.float64)
    result, unused = ref.run(ids)
    write_f32(os.path.join(folder, 'expected.safetensors'), result)
    # The same maths in float32: the spread a correct float32 implementation may show.
    result32, _ = Reference(folder, torch.float32).run(ids)
    f32_gap = {k: float(np.max(np.abs(result32[k] - v)) / np.max(np.abs(v))) for k, v in result.items()}

    meta.update({
        'weights': {
            'files': ['model.safetensors'], 'dtype': spec['dtype'], 'seed': spec['seed'], 'rng': 'numpy Generator(PCG64(seed))',
            'init': 'projections N(0, 1/fan_in), embeddings N(0, 1), norm weights 1 + N(0, 0.1²) (Gemma: N(0, 0.1²) for 1 + w), biases N(0, 0.1²)',
            'tie_word_embeddings': c['tie_word_embeddings'],
            **({'extra_buffers': 'per layer attention.bias (BOOL [1,1,P,P]), attention.masked_bias (F32), attention.rotary_emb.inv_freq (F32), as in Pythia checkpoints; not used by the forward'} if family == 'gpt_neox' else {}),
        },
        'made_by': 'scripts/reference/make_checkpoints.py; activations by scripts/reference/families_ref.py: float64 forward on the stored weights (F16/BF16 widened exactly), written as float32',
        'exercises': spec['exercises'],
        'gradient': {
            'tensor': GRAD_NAME,
            'of': 'S = sum_{t,v} logits[0,t,v] * G[t,v] with respect to blocks.0.hook_resid_pre',
            'G': '((((t * vocab + v) * 2654435761) mod 2^32) >> 8) / 2^24 - 0.5, i.e. in JS (Math.imul(t * vocab + v, 2654435761) >>> 8) / 2 ** 24 - 0.5',
            'S': float((torch.from_numpy(result['logits']) * torch.from_numpy(grad_weights(len(ids), result['logits'].shape[-1]))).sum()),
        },
        'float32_reference_gap': {k: float(f'{v:.3e}') for k, v in f32_gap.items()},
        'tensors': {k: list(v.shape) for k, v in result.items()},
    })
    if family == 'gemma3_text':
        meta['layer_types'] = ref.layer_types()
    with open(os.path.join(folder, 'expected.json'), 'w') as f:
        f.write(dump_json(meta) + '\n')
    worst = max(f32_gap.values())
    print(f'{family}: {len(ids)} tokens, {spec["dtype"]}, unused {len(unused)}; float32 reference within {worst:.2e} of float64')


def main():
    for family in sys.argv[1:] or list(SPECS):
        make(family)


if __name__ == '__main__':
    main()
