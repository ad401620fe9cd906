#!/usr/bin/python3
"""Independent float64 reference forward (and input gradient) for the decoder families
repscope loads from Hugging Face checkpoints: llama (incl. rope_scaling llama3), qwen2, qwen3,
gemma3_text and gpt_neox.

Written from the Hugging Face modeling code (transformers src/transformers/models/
{llama,qwen2,qwen3,gemma3,gpt_neox}/modeling_*.py, masking_utils.py, modeling_rope_utils.py), not
from repscope's TypeScript, and run with Debian's python3-torch (use /usr/bin/python3: the pyenv
python on PATH has no torch). Only the maths of an eager HF forward for one unpadded sequence
is reproduced; KV caches, padding masks, dropout etc. are out of scope.

Numerics: weights are decoded exactly from the stored F16/BF16/F32 (safetensors_io) and every
operation runs in float64 (or float32 with --dtype float32, to see how far a float32
implementation may drift). HF would round intermediate results to the weights' dtype when run
in half precision; the parity contract here is "the maths of the model, evaluated on the stored
weights in float32 or better", so those roundings are deliberately not reproduced. Two places
where HF's float32 path differs from float64 only by float32 rounding: RoPE inverse frequencies
(HF computes them in float32) and Gemma's embedding scale (HF casts sqrt(hidden) to the
weights' dtype; for float32 weights that is float32(sqrt(hidden)), for bf16 weights it would be
bf16(sqrt(hidden)) = 5.65625 for hidden 32 — not reproduced, as weights are "decoded" here).

Outputs (float32, batch 1): blocks.{i}.hook_resid_pre, blocks.{i}.hook_resid_post,
ln_final.hook_normalized (final norm, its weights applied), logits [1, T, vocab], and
grad.blocks.0.hook_resid_pre: d S / d (blocks.0.hook_resid_pre) for the scalar
    S = sum_{t, v} logits[0, t, v] * G[t, v],
    G[t, v] = ((((t * V + v) * 2654435761) mod 2^32) >> 8) / 2^24 - 0.5
(Knuth's multiplicative hash of the flat index; every G is a multiple of 2^-24 in [-0.5, 0.5),
so float32 code reproduces it exactly: in JS, (Math.imul(i, 2654435761) >>> 8) / 2 ** 24 - 0.5).
The gradient is taken with respect to the residual stream entering block 0 (for Gemma that is
after the embedding scale), i.e. what model.embed(ids) returns on the TypeScript side.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts (not gitignored)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_checkpoint, write_f32  # noqa: E402

FAMILIES = ('llama', 'qwen2', 'qwen3', 'gemma3_text', 'gpt_neox')

# The defaults of each HF config class for the keys this reference reads, so that a config.json
# that omits a key behaves as transformers would (e.g. Gemma3TextConfig ties embeddings by default).
HF_DEFAULTS = {
    'llama': dict(rope_theta=10000.0, rms_norm_eps=1e-6, attention_bias=False, mlp_bias=False, tie_word_embeddings=False, rope_scaling=None, hidden_act='silu'),
    'qwen2': dict(rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=False, rope_scaling=None, use_sliding_window=False, hidden_act='silu'),
    'qwen3': dict(rope_theta=10000.0, rms_norm_eps=1e-6, attention_bias=False, tie_word_embeddings=False, rope_scaling=None, use_sliding_window=False, hidden_act='silu'),
    'gemma3_text': dict(
        rope_theta=1_000_000.0, rope_local_base_freq=10_000.0, rms_norm_eps=1e-6, attention_bias=False, tie_word_embeddings=True, rope_scaling=None,
        head_dim=256, query_pre_attn_scalar=256, sliding_window=4096, sliding_window_pattern=6, layer_types=None, hidden_activation='gelu_pytorch_tanh',
        final_logit_softcapping=None, attn_logit_softcapping=None, use_bidirectional_attention=False,
    ),
    'gpt_neox': dict(rotary_pct=0.25, rotary_emb_base=10000, layer_norm_eps=1e-5, use_parallel_residual=True, hidden_act='gelu', attention_bias=True, tie_word_embeddings=False, rope_scaling=None),
}

GRAD_NAME = 'grad.blocks.0.hook_resid_pre'


def grad_weights(T, V):
    """G[t, v] of the module docstring, as float64 [1, T, V] (exact)."""
    i = np.arange(T * V, dtype=np.uint64)
    h = (i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    return ((h >> np.uint64(8)).astype(np.float64) / 2.0**24 - 0.5).reshape(1, T, V)


def rotate_half(x):
    # HF's rotate_half: the first half of the rotary dims pairs with the second half (not
    # interleaved pairs as in the original RoPE paper / GPT-J).
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def default_inv_freq(base, dim, dtype):
    return 1.0 / (torch.tensor(float(base), dtype=dtype) ** (torch.arange(0, dim, 2, dtype=dtype) / dim))


def llama3_inv_freq(inv_freq, scaling):
    """modeling_rope_utils._compute_llama3_parameters: wavelengths longer than
    original_max/low_freq_factor are divided by factor, shorter than original_max/high_freq_factor
    kept, and the band between interpolated smoothly."""
    factor = scaling['factor']
    low, high = scaling['low_freq_factor'], scaling['high_freq_factor']
    old_len = scaling['original_max_position_embeddings']
    low_wavelen, high_wavelen = old_len / low, old_len / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_len / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, scaled)


def rope_tables(inv_freq, T, dtype):
    pos = torch.arange(T, dtype=dtype)
    freqs = pos[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def apply_rope(x, cos, sin):
    """x [B, H, T, D]; rotates the first cos.shape[-1] dims (all of them except for GPT-NeoX's
    partial rotary) and passes the rest through unchanged."""
    r = cos.shape[-1]
    rot, rest = x[..., :r], x[..., r:]
    rot = rot * cos + rotate_half(rot) * sin
    return torch.cat((rot, rest), dim=-1)


def rms_norm(x, w, eps, one_plus):
    # Llama/Qwen: w * normalize(x). Gemma: normalize(x) * (1 + w), in float (Gemma3RMSNorm).
    y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return y * (1.0 + w) if one_plus else y * w


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = (x - mu).pow(2).mean(-1, keepdim=True)  # biased variance, as torch.nn.LayerNorm
    return (x - mu) / torch.sqrt(var + eps) * w + b


def activation(name, x):
    if name == 'silu':
        return x * torch.sigmoid(x)
    if name == 'gelu':  # exact erf GELU (ACT2FN["gelu"])
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name in ('gelu_pytorch_tanh', 'gelu_new'):  # tanh approximation
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))
    raise NotImplementedError(f'activation {name}')


def linear(x, w, b=None):
    y = x @ w.T
    return y + b if b is not None else y


def causal_mask(T, window):
    """allowed[q, k]. HF masking_utils: causal_mask_function is kv_idx <= q_idx and
    sliding_window_overlay(W) is kv_idx > q_idx - W, so a query sees itself and the W - 1
    tokens before it (W keys in all)."""
    q = torch.arange(T)[:, None]
    k = torch.arange(T)[None, :]
    allowed = k <= q
    if window is not None:
        allowed = allowed & (k > q - window)
    return allowed


def attend(q, k, v, scale, allowed, softcap=None):
    """q [B, H, T, D], k/v [B, H, T, D] (kv heads already repeated)."""
    scores = (q @ k.transpose(-1, -2)) * scale
    if softcap is not None:
        scores = torch.tanh(scores / softcap) * softcap
    scores = scores.masked_fill(~allowed, float('-inf'))
    return torch.softmax(scores, dim=-1) @ v


class Reference:
    def __init__(self, folder, dtype=torch.float64):
        with open(os.path.join(folder, 'config.json')) as f:
            raw_config = json.load(f)
        self.family = raw_config.get('model_type')
        if self.family not in FAMILIES:
            raise NotImplementedError(f'model_type {self.family!r}')
        self.c = {**HF_DEFAULTS[self.family], **raw_config}
        self.dtype = dtype
        tensors = read_checkpoint(folder)
        # Gemma 3 checkpoints saved from the multimodal class carry a language_model. prefix.
        if self.family == 'gemma3_text' and any(n.startswith('language_model.') for n in tensors):
            tensors = {n[len('language_model.'):]: t for n, t in tensors.items() if n.startswith('language_model.')}
        self.w = {n: torch.from_numpy(np.asarray(t, dtype=np.float64)).to(dtype) for n, t in tensors.items() if t.dtype.kind == 'f'}
        self.used = set()
        self._check_config()

    def p(self, name, required=True):
        if name not in self.w:
            if required:
                raise KeyError(f'{self.family}: checkpoint has no tensor {name}')
            return None
        self.used.add(name)
        return self.w[name]

    def _check_config(self):
        c = self.c
        if self.family in ('qwen2', 'qwen3') and c.get('use_sliding_window'):
            raise NotImplementedError('use_sliding_window = true is not reproduced')
        if self.family == 'gemma3_text':
            if c.get('use_bidirectional_attention'):
                raise NotImplementedError('use_bidirectional_attention')
            rs = c.get('rope_scaling')
            if rs is not None and rs.get('rope_type', rs.get('type')) not in ('default', 'linear'):
                raise NotImplementedError(f'gemma3 rope_scaling {rs}')
        if self.family == 'llama' and c.get('rope_scaling') is not None:
            kind = c['rope_scaling'].get('rope_type', c['rope_scaling'].get('type'))
            if kind not in ('llama3', 'default'):
                raise NotImplementedError(f'rope_scaling {kind}')
        if self.family in ('qwen2', 'qwen3', 'gpt_neox') and c.get('rope_scaling') is not None:
            raise NotImplementedError(f'{self.family} rope_scaling')

    # ---- shared pieces -------------------------------------------------------------------------

    @property
    def layers(self):
        return self.c['num_hidden_layers']

    def layer_types(self):
        """Gemma 3: config.layer_types, else Gemma3TextConfig's rule from sliding_window_pattern:
        layer i slides unless (i + 1) is a multiple of the pattern."""
        c = self.c
        if self.family != 'gemma3_text':
            return ['full_attention'] * self.layers
        if c.get('layer_types') is not None:
            return list(c['layer_types'])
        pattern = c['sliding_window_pattern']
        return ['sliding_attention' if (i + 1) % pattern else 'full_attention' for i in range(self.layers)]

    def head_dim(self):
        c = self.c
        return c.get('head_dim') or c['hidden_size'] // c['num_attention_heads']

    def inv_freq(self, layer_type):
        c, dt = self.c, self.dtype
        if self.family == 'gpt_neox':
            head = c['hidden_size'] // c['num_attention_heads']
            return default_inv_freq(c['rotary_emb_base'], int(head * c['rotary_pct']), dt)
        if self.family == 'gemma3_text':
            # Sliding layers: rope_local_base_freq, never scaled. Full layers: rope_theta, and
            # rope_scaling applies to them only (Gemma3TextConfig folds rope_scaling into
            # rope_parameters["full_attention"]; older versions built the local rotary embedding
            # from a config copy with rope_scaling reset to default). linear: inv_freq / factor.
            if layer_type == 'sliding_attention':
                return default_inv_freq(c['rope_local_base_freq'], self.head_dim(), dt)
            inv = default_inv_freq(c['rope_theta'], self.head_dim(), dt)
            rs = c.get('rope_scaling')
            if rs is not None and rs.get('rope_type', rs.get('type')) == 'linear':
                inv = inv / rs['factor']
            return inv
        inv = default_inv_freq(c['rope_theta'], self.head_dim(), dt)
        rs = c.get('rope_scaling')
        if rs is not None and rs.get('rope_type', rs.get('type')) == 'llama3':
            inv = llama3_inv_freq(inv, rs)
        return inv

    def embed(self, ids):
        name = 'gpt_neox.embed_in.weight' if self.family == 'gpt_neox' else 'model.embed_tokens.weight'
        x = self.p(name)[torch.tensor(ids)][None]
        if self.family == 'gemma3_text':
            # Gemma3TextScaledWordEmbedding: embedding * embed_scale.to(weight.dtype), the scale
            # being sqrt(hidden_size); the compute dtype stands in for the weights' dtype here.
            x = x * torch.tensor(self.c['hidden_size'] ** 0.5, dtype=self.dtype)
        return x

    def head_weight(self):
        if self.family == 'gpt_neox':
            return self.p('gpt_neox.embed_in.weight') if self.c['tie_word_embeddings'] else self.p('embed_out.weight')
        return self.p('model.embed_tokens.weight') if self.c['tie_word_embeddings'] else self.p('lm_head.weight')

    def final_norm(self, h):
        if self.family == 'gpt_neox':
            return layer_norm(h, self.p('gpt_neox.final_layer_norm.weight'), self.p('gpt_neox.final_layer_norm.bias'), self.c['layer_norm_eps'])
        return rms_norm(h, self.p('model.norm.weight'), self.c['rms_norm_eps'], self.family == 'gemma3_text')

    # ---- Llama / Qwen2 / Qwen3 / Gemma 3 block -------------------------------------------------

    def _proj_bias(self, which):
        """Whether q/k/v/o projections carry a bias, per HF: Llama and Qwen3 follow
        attention_bias for all four; Qwen2 always has q/k/v biases and never an o bias; Gemma 3
        follows attention_bias."""
        if self.family == 'qwen2':
            return which != 'o'
        return bool(self.c.get('attention_bias'))

    def decoder_layer(self, i, h, layer_type, T):
        c, pre = self.c, f'model.layers.{i}.'
        gemma = self.family == 'gemma3_text'
        eps = c['rms_norm_eps']
        H, KV, D = c['num_attention_heads'], c['num_key_value_heads'], self.head_dim()
        B = h.shape[0]

        x = rms_norm(h, self.p(pre + 'input_layernorm.weight'), eps, gemma)

        def proj(which, heads):
            w = self.p(pre + f'self_attn.{which}_proj.weight')
            b = self.p(pre + f'self_attn.{which}_proj.bias') if self._proj_bias(which) else None
            return linear(x, w, b).view(B, T, heads, D).transpose(1, 2)

        q, k, v = proj('q', H), proj('k', KV), proj('v', KV)
        if self.family in ('qwen3', 'gemma3_text'):
            # per-head RMSNorm over head_dim on q and k, before RoPE
            q = rms_norm(q, self.p(pre + 'self_attn.q_norm.weight'), eps, gemma)
            k = rms_norm(k, self.p(pre + 'self_attn.k_norm.weight'), eps, gemma)
        cos, sin = rope_tables(self.inv_freq(layer_type), T, self.dtype)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        # repeat_kv: key/value head j serves query heads j*rep .. (j+1)*rep - 1
        rep = H // KV
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        if gemma:
            scale = c['query_pre_attn_scalar'] ** -0.5
            window = c['sliding_window'] if layer_type == 'sliding_attention' else None
            softcap = c.get('attn_logit_softcapping')
        else:
            scale, window, softcap = D**-0.5, None, None
        o = attend(q, k, v, scale, causal_mask(T, window), softcap)
        o = o.transpose(1, 2).reshape(B, T, H * D)
        o = linear(o, self.p(pre + 'self_attn.o_proj.weight'), self.p(pre + 'self_attn.o_proj.bias') if self._proj_bias('o') else None)

        if gemma:
            # four norms per layer: attention and MLP outputs are normalised before the residual add
            h = h + rms_norm(o, self.p(pre + 'post_attention_layernorm.weight'), eps, True)
            x = rms_norm(h, self.p(pre + 'pre_feedforward_layernorm.weight'), eps, True)
        else:
            h = h + o
            x = rms_norm(h, self.p(pre + 'post_attention_layernorm.weight'), eps, False)

        mlp_bias = self.family == 'llama' and bool(c.get('mlp_bias'))

        def mlp_proj(which, inp):
            return linear(inp, self.p(pre + f'mlp.{which}_proj.weight'), self.p(pre + f'mlp.{which}_proj.bias') if mlp_bias else None)

        act = c['hidden_activation'] if gemma else c['hidden_act']
        m = mlp_proj('down', activation(act, mlp_proj('gate', x)) * mlp_proj('up', x))
        if gemma:
            m = rms_norm(m, self.p(pre + 'post_feedforward_layernorm.weight'), eps, True)
        return h + m

    # ---- GPT-NeoX block ------------------------------------------------------------------------

    def neox_layer(self, i, h, T):
        c, pre = self.c, f'gpt_neox.layers.{i}.'
        H = c['num_attention_heads']
        D = c['hidden_size'] // H
        B = h.shape[0]
        eps = c['layer_norm_eps']
        bias = bool(c['attention_bias'])

        x = layer_norm(h, self.p(pre + 'input_layernorm.weight'), self.p(pre + 'input_layernorm.bias'), eps)
        qkv = linear(x, self.p(pre + 'attention.query_key_value.weight'), self.p(pre + 'attention.query_key_value.bias') if bias else None)
        # fused projection laid out per head: [heads, (q, k, v), head_dim]
        qkv = qkv.view(B, T, H, 3 * D)
        q = qkv[..., :D].transpose(1, 2)
        k = qkv[..., D : 2 * D].transpose(1, 2)
        v = qkv[..., 2 * D :].transpose(1, 2)
        cos, sin = rope_tables(self.inv_freq(None), T, self.dtype)  # rotary_ndims = int(D * rotary_pct)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        o = attend(q, k, v, D**-0.5, causal_mask(T, None))
        o = o.transpose(1, 2).reshape(B, T, H * D)
        attn = linear(o, self.p(pre + 'attention.dense.weight'), self.p(pre + 'attention.dense.bias') if bias else None)

        def mlp(inp):
            y = linear(inp, self.p(pre + 'mlp.dense_h_to_4h.weight'), self.p(pre + 'mlp.dense_h_to_4h.bias'))
            return linear(activation(c['hidden_act'], y), self.p(pre + 'mlp.dense_4h_to_h.weight'), self.p(pre + 'mlp.dense_4h_to_h.bias'))

        def ln2(inp):
            return layer_norm(inp, self.p(pre + 'post_attention_layernorm.weight'), self.p(pre + 'post_attention_layernorm.bias'), eps)

        if c['use_parallel_residual']:
            return h + attn + mlp(ln2(h))  # x + attn(ln1(x)) + mlp(ln2(x))
        h = h + attn
        return h + mlp(ln2(h))

    # ---- whole model ---------------------------------------------------------------------------

    def run(self, ids, with_grad=True):
        T = len(ids)
        x0 = self.embed(ids).detach().requires_grad_(with_grad)
        out = {}
        h = x0
        types = self.layer_types()
        for i in range(self.layers):
            out[f'blocks.{i}.hook_resid_pre'] = h
            h = self.neox_layer(i, h, T) if self.family == 'gpt_neox' else self.decoder_layer(i, h, types[i], T)
            out[f'blocks.{i}.hook_resid_post'] = h
        n = self.final_norm(h)
        out['ln_final.hook_normalized'] = n
        logits = n @ self.head_weight().T
        cap = self.c.get('final_logit_softcapping') if self.family == 'gemma3_text' else None
        if cap is not None:
            logits = torch.tanh(logits / cap) * cap
        out['logits'] = logits
        result = {k: v.detach().cpu().numpy().astype(np.float64) for k, v in out.items()}
        if with_grad:
            G = torch.from_numpy(grad_weights(T, logits.shape[-1])).to(self.dtype)
            (logits * G).sum().backward()
            result[GRAD_NAME] = x0.grad.detach().cpu().numpy().astype(np.float64)
        unused = sorted(set(self.w) - self.used)
        return result, unused


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('checkpoint', help='HF checkpoint folder (config.json + model.safetensors or shards)')
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--ids', help='comma-separated token ids')
    g.add_argument('--ids-from', help='a JSON file with "token_ids" (e.g. expected.json)')
    ap.add_argument('--out', required=True, help='expected.safetensors to write (float32)')
    ap.add_argument('--dtype', choices=['float64', 'float32'], default='float64')
    ap.add_argument('--no-grad', action='store_true', help='skip the input gradient')
    a = ap.parse_args(argv)
    ids = [int(s) for s in a.ids.split(',')] if a.ids else json.load(open(a.ids_from))['token_ids']
    ref = Reference(a.checkpoint, torch.float64 if a.dtype == 'float64' else torch.float32)
    result, unused = ref.run(ids, with_grad=not a.no_grad)
    if unused:
        # HF ignores such tensors too (Pythia's attention.bias / masked_bias / rotary inv_freq buffers are the usual case)
        print(f'not used by the forward: {unused[:6]}{" …" if len(unused) > 6 else ""} ({len(unused)})', file=sys.stderr)
    write_f32(a.out, result)
    print(f'{a.out}: {ref.family}, {len(ids)} tokens, {len(result)} tensors ({a.dtype})')


if __name__ == '__main__':
    main()
