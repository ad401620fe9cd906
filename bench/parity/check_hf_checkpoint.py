"""Independent check that a repscope training checkpoint is a Hugging Face GPT-2 folder.

Reads config.json and model.safetensors without repscope (the safetensors layout by hand),
builds GPT2LMHeadModel's computation in PyTorch from the HF key names — Conv1D weights
[in, out] (y = x·W + b), lm_head tied to wte, gelu_new, pre-LN, causal — and compares its
logits on the given token ids with the logits repscope wrote (`repscope activations
--hooks logits`). Prints one JSON line; exit 1 when they differ by more than 1e-4 (relative).

  /usr/bin/python3 bench/parity/check_hf_checkpoint.py CHECKPOINT_DIR ACTIVATIONS.safetensors 464,3797,…
"""
import json
import math
import struct
import sys

import torch


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        assert e['dtype'] == 'F32', (name, e['dtype'])
        b, end = e['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32).reshape(e['shape'])
    return header.get('__metadata__', {}), out


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_logits(cfg, w, ids):
    d, heads, eps = cfg['n_embd'], cfg['n_head'], cfg['layer_norm_epsilon']
    n = len(ids)
    x = w['wte.weight'][ids] + w['wpe.weight'][:n]
    ln = lambda t, p: torch.nn.functional.layer_norm(t, (d,), w[p + '.weight'], w[p + '.bias'], eps)
    conv1d = lambda t, p: t @ w[p + '.weight'] + w[p + '.bias']
    mask = torch.triu(torch.ones(n, n, dtype=torch.bool), 1)
    for i in range(cfg['n_layer']):
        h = ln(x, f'h.{i}.ln_1')
        q, k, v = conv1d(h, f'h.{i}.attn.c_attn').split(d, -1)
        q, k, v = [t.view(n, heads, d // heads).transpose(0, 1) for t in (q, k, v)]
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(d // heads)).masked_fill(mask, float('-inf')).softmax(-1)
        x = x + conv1d((att @ v).transpose(0, 1).reshape(n, d), f'h.{i}.attn.c_proj')
        x = x + conv1d(gelu_new(conv1d(ln(x, f'h.{i}.ln_2'), f'h.{i}.mlp.c_fc')), f'h.{i}.mlp.c_proj')
    head = w.get('lm_head.weight', w['wte.weight'])
    return ln(x, 'ln_f') @ head.T


def main():
    folder, acts, ids = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3].split(',')]
    cfg = json.load(open(f'{folder}/config.json'))
    assert cfg['model_type'] == 'gpt2' and 'GPT2LMHeadModel' in cfg['architectures'], cfg
    meta, w = read_safetensors(f'{folder}/model.safetensors')
    assert meta.get('format') == 'pt', meta
    expected = {'wte.weight', 'wpe.weight', 'ln_f.weight', 'ln_f.bias'} | {f'h.{i}.{p}' for i in range(cfg['n_layer']) for p in [
        'ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias',
        'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias']}
    if cfg.get('tie_word_embeddings', True) is False:
        expected.add('lm_head.weight')
    assert set(w) == expected, sorted(set(w) ^ expected)
    assert list(w['h.0.mlp.c_fc.weight'].shape) == [cfg['n_embd'], 4 * cfg['n_embd']], 'Conv1D layout is [in, out]'
    ours = gpt2_logits(cfg, w, ids)
    _, a = read_safetensors(acts)
    theirs = a['logits'].reshape(ours.shape)
    diff = (ours - theirs).abs().max().item()
    scale = max(1.0, theirs.abs().max().item())
    ok = diff <= 1e-4 * scale
    print(json.dumps({'ok': ok, 'maxAbsDiff': diff, 'scale': scale, 'tokens': len(ids), 'torch': torch.__version__}))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
