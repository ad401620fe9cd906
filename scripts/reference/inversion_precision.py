#!/usr/bin/env python3
"""The seed's float64 check, in PyTorch: does 64-bit precision change how many steps gradient
inversion needs to satisfy eq. 4?  (The seed, on trained GPT-2 with the LM head: converting model
and inputs to torch.double() gave "no significant change in the number of iterations required".)
repscope's wasm backend has no float64, so this harness runs the inversion of
configs/inversion/gpt2-baseline-eq4.yaml by hand, once in float32 and once in float64, from the
same start, against the same baseline perturbation:

  model     block 0 of a GPT-2 checkpoint, then the tied LM head *without* ln_f (the seed's
            AbbreviatedGPT; `finalNorm: false`), causal attention, gelu_new, positions 0…n−1
  target    O(e), e = wte[ids] + wpe[0:n] for "The sky is blue." (GPT-2 ids 464 6766 318 4171 13)
  baseline  m = ‖O(e + ξ) − O(e)‖₁, ξ ~ N(0, σ = 1/20) (eq. 4), one draw shared by both precisions
  start     e₀ ~ N(1/2, 1/20) (the seed's text), one float64 draw shared by both (rounded for float32)
  descent   plain SGD on 0.1 · ‖O(x) − O(e)‖₁ (the loss scale 0.1 is repscope's choice), lr falling
            linearly from η to η/10 over the steps (the seed's schedule; η = 2 is repscope's choice
            and, with --lr, any list of η), 500 steps
  measured  per precision and η: the first step n whose ‖O(x_n) − O(e)‖₁ (before that step's
            update; step N is the state after the last) is below m — as repscope's
            firstStepBeatingBaseline —, the final output distance, the pseudo-inverse decoding of
            the final x, the relative difference of the first gradient between the precisions,
            and how far the two trajectories ended apart.

The random draws come from torch's generator, not repscope's, so the numbers are this harness's
own (same distributions and settings, not the same draws as a repscope run).

A checkpoint folder is a Hugging Face GPT-2 folder (config.json, model.safetensors; keys with or
without `transformer.`). A folder trained here with a reduced vocabulary has vocab-map.json
beside it (reduced id i is GPT-2 id ids[i]); the prompt is mapped through it and must be inside it.

  /usr/bin/python3 scripts/reference/inversion_precision.py --make-untrained /tmp/gpt2-untrained
  /usr/bin/python3 scripts/reference/inversion_precision.py /tmp/gpt2-untrained --lr 2,0.00525
  /usr/bin/python3 scripts/reference/inversion_precision.py runs/train-brown-4x256/checkpoints/step-250

`--make-untrained DIR` writes an untrained GPT-2-small-shaped folder (12 × 768, 12 heads, vocab
50257, 1024 positions) with Hugging Face's GPT2PreTrainedModel initialisation — weights
N(0, 0.02), the two c_proj weights N(0, 0.02/√(2·n_layer)), biases 0, layer norms 1 and 0 —
from torch.manual_seed(--seed) (default 0), and exits.

Prints one JSON object on stdout (progress on stderr). Run with Debian's Python
(`/usr/bin/python3`, python3-torch; the pyenv python3 on PATH has no torch).
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import torch

PROMPT = 'The sky is blue.'
PROMPT_GPT2_IDS = [464, 6766, 318, 4171, 13]  # GPT-2's BPE of PROMPT (repscope's gpt2Tokenizer gives the same)
DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'F64': torch.float64}


# ---- checkpoint folders ----------------------------------------------------------------------

def read_safetensors(path, wanted):
    """{name: float64 tensor} for the names in `wanted` (others are skipped, not read)."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, e in header.items():
            if name == '__metadata__':
                continue
            short = name[len('transformer.'):] if name.startswith('transformer.') else name
            if short not in wanted:
                continue
            if e['dtype'] not in DTYPES:
                raise SystemExit(f'{path}: {name}: dtype {e["dtype"]} not handled')
            b, end = e['data_offsets']
            f.seek(base + b)
            raw = bytearray(f.read(end - b))
            out[short] = torch.frombuffer(raw, dtype=DTYPES[e['dtype']]).reshape(e['shape']).to(torch.float64)
    missing = sorted(set(wanted) - set(out))
    if missing:
        raise SystemExit(f'{path}: missing tensors {missing}')
    return out


def make_untrained(folder, seed):
    """GPT-2 small's shape with GPT2PreTrainedModel._init_weights, drawn in a fixed order."""
    cfg = {'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'vocab_size': 50257, 'n_positions': 1024,
           'n_ctx': 1024, 'n_embd': 768, 'n_layer': 12, 'n_head': 12, 'n_inner': None, 'activation_function': 'gelu_new',
           'layer_norm_epsilon': 1e-5, 'initializer_range': 0.02, 'tie_word_embeddings': True,
           'bos_token_id': 50256, 'eos_token_id': 50256}
    torch.manual_seed(seed)
    d, L, std = cfg['n_embd'], cfg['n_layer'], cfg['initializer_range']
    proj_std = std / math.sqrt(2 * L)
    w = {'wte.weight': torch.randn(cfg['vocab_size'], d) * std, 'wpe.weight': torch.randn(cfg['n_positions'], d) * std}
    for i in range(L):
        p = f'h.{i}.'
        w[p + 'ln_1.weight'], w[p + 'ln_1.bias'] = torch.ones(d), torch.zeros(d)
        w[p + 'attn.c_attn.weight'], w[p + 'attn.c_attn.bias'] = torch.randn(d, 3 * d) * std, torch.zeros(3 * d)
        w[p + 'attn.c_proj.weight'], w[p + 'attn.c_proj.bias'] = torch.randn(d, d) * proj_std, torch.zeros(d)
        w[p + 'ln_2.weight'], w[p + 'ln_2.bias'] = torch.ones(d), torch.zeros(d)
        w[p + 'mlp.c_fc.weight'], w[p + 'mlp.c_fc.bias'] = torch.randn(d, 4 * d) * std, torch.zeros(4 * d)
        w[p + 'mlp.c_proj.weight'], w[p + 'mlp.c_proj.bias'] = torch.randn(4 * d, d) * proj_std, torch.zeros(d)
    w['ln_f.weight'], w['ln_f.bias'] = torch.ones(d), torch.zeros(d)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=1)
    # The project's own writer (safetensors_io.py, beside this script).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from safetensors_io import write_f32
    write_f32(os.path.join(folder, 'model.safetensors'), {k: v.detach().to(torch.float32).numpy() for k, v in w.items()}, {'format': 'pt', 'made_by': 'scripts/reference/inversion_precision.py --make-untrained'})
    print(json.dumps({'wrote': folder, 'seed': seed, 'init': 'HF GPT2PreTrainedModel: N(0, 0.02), c_proj N(0, 0.02/sqrt(24)), biases 0, LN (1, 0)'}))


def prompt_ids(folder, vocab_size):
    """The prompt's ids in the checkpoint's vocabulary, and the vocabulary's GPT-2 ids (or None)."""
    map_file = os.path.join(folder, 'vocab-map.json')
    if not os.path.exists(map_file):
        return list(PROMPT_GPT2_IDS), None
    vocab = json.load(open(map_file))
    base = vocab['ids']
    assert len(base) == vocab_size - 1, (map_file, len(base), vocab_size)
    index = {g: i for i, g in enumerate(base)}
    missing = [g for g in PROMPT_GPT2_IDS if g not in index]
    if missing:
        raise SystemExit(f'{map_file}: the prompt\'s GPT-2 ids {missing} are outside the reduced vocabulary')
    return [index[g] for g in PROMPT_GPT2_IDS], base


# ---- the model: block 0 + the tied head without ln_f ------------------------------------------

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def make_forward(cfg, w):
    d, heads, eps = cfg['n_embd'], cfg['n_head'], cfg['layer_norm_epsilon']
    ln = lambda t, p: torch.nn.functional.layer_norm(t, (d,), w[p + '.weight'], w[p + '.bias'], eps)
    conv1d = lambda t, p: t @ w[p + '.weight'] + w[p + '.bias']

    def forward(x):  # x: [n, d] → logits [n, V]
        n = x.shape[0]
        mask = torch.triu(torch.ones(n, n, dtype=torch.bool), 1)
        h = ln(x, 'h.0.ln_1')
        q, k, v = conv1d(h, 'h.0.attn.c_attn').split(d, -1)
        q, k, v = [t.view(n, heads, d // heads).transpose(0, 1) for t in (q, k, v)]
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(d // heads)).masked_fill(mask, float('-inf')).softmax(-1)
        x = x + conv1d((att @ v).transpose(0, 1).reshape(n, d), 'h.0.attn.c_proj')
        x = x + conv1d(gelu_new(conv1d(ln(x, 'h.0.ln_2'), 'h.0.mlp.c_fc')), 'h.0.mlp.c_proj')
        return x @ w['wte.weight'].T  # the seed's AbbreviatedGPT: lm_head straight after the block

    return forward


# ---- one inversion ----------------------------------------------------------------------------

def invert(forward, target, start, m, lr, steps, scale, log_every):
    """SGD with the linear decay η → η/10. Returns the record and the final x."""
    x = start.clone().requires_grad_(True)
    first = None
    first_grad = None
    trace = []
    distance = None
    diverged = None
    for n in range(steps + 1):
        out = forward(x)
        distance_t = (out - target).abs().sum()
        distance = distance_t.item()
        if not math.isfinite(distance) or x.detach().abs().mean().item() > 1e6:
            diverged = f'at step {n}: output distance {distance:.4g}, mean |x| {x.detach().abs().mean().item():.4g}'
            break
        if first is None and distance < m:
            first = n
        if n % log_every == 0 or n == steps:
            trace.append([n, distance])
        if n == steps:
            break
        lr_n = lr + (lr / 10 - lr) * (n / (steps - 1) if steps > 1 else 0)
        (grad,) = torch.autograd.grad(scale * distance_t, x)
        if first_grad is None:
            first_grad = grad.detach().to(torch.float64).clone()
        with torch.no_grad():
            x -= lr_n * grad
    return {
        'firstStepBeatingBaseline': first,
        'outputDistance': distance,
        'initialOutputDistance': trace[0][1] if trace else None,
        'beatsBaseline': distance is not None and math.isfinite(distance) and distance < m,
        'status': 'diverged' if diverged else 'completed',
        **({'error': diverged} if diverged else {}),
        'distanceTrace': trace,
    }, x.detach(), first_grad


def decode(x, w64, n):
    """a_g = argmax W⁺(x − p) with W⁺ = (WᵀW)⁻¹Wᵀ (W = wte, full column rank), in float64."""
    W = w64['wte.weight']
    e = x.to(torch.float64) - w64['wpe.weight'][:n]
    logits = torch.linalg.solve(W.T @ W, e.T).T @ W.T
    return logits.argmax(-1).tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('checkpoint', nargs='?')
    ap.add_argument('--make-untrained', metavar='DIR')
    ap.add_argument('--seed', type=int, default=0, help='start, baseline draw and (with --make-untrained) weights')
    ap.add_argument('--lr', default='2', help='comma-separated η (default 2, the config\'s)')
    ap.add_argument('--steps', type=int, default=500)
    ap.add_argument('--sigma', type=float, default=0.05, help='eq. 4 baseline σ (default 1/20)')
    ap.add_argument('--scale', type=float, default=0.1, help='loss scale (default 0.1, repscope\'s choice)')
    ap.add_argument('--log-every', type=int, default=50)
    ap.add_argument('--threads', type=int, default=0, help='torch threads (default: torch\'s)')
    ap.add_argument('--out', help='also write the JSON here, rewritten after each η (a stopped run keeps what it finished)')
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.make_untrained:
        make_untrained(a.make_untrained, a.seed)
        return
    if not a.checkpoint:
        ap.error('a checkpoint folder (or --make-untrained DIR)')
    cfg = json.load(open(os.path.join(a.checkpoint, 'config.json')))
    assert cfg.get('model_type') == 'gpt2', cfg.get('model_type')
    wanted = {'wte.weight', 'wpe.weight'} | {f'h.0.{p}.{s}' for p in ('ln_1', 'attn.c_attn', 'attn.c_proj', 'ln_2', 'mlp.c_fc', 'mlp.c_proj') for s in ('weight', 'bias')}
    w64 = read_safetensors(os.path.join(a.checkpoint, 'model.safetensors'), wanted)
    ids, base = prompt_ids(a.checkpoint, cfg['vocab_size'])
    n, d = len(ids), cfg['n_embd']
    state_file = os.path.join(a.checkpoint, 'train-state.json')
    state = json.load(open(state_file)) if os.path.exists(state_file) else {}

    g = torch.Generator().manual_seed(a.seed)
    start64 = 0.5 + 0.05 * torch.randn(n, d, generator=g, dtype=torch.float64)   # e₀ ~ N(1/2, 1/20)
    xi64 = a.sigma * torch.randn(n, d, generator=g, dtype=torch.float64)          # eq. 4's ξ ~ N(0, σ)

    results = []
    for lr in [float(s) for s in a.lr.split(',')]:
        per = {}
        finals = {}
        grads = {}
        for name, dtype in (('float32', torch.float32), ('float64', torch.float64)):
            w = {k: v.to(dtype) for k, v in w64.items()}
            forward = make_forward(cfg, w)
            e = w['wte.weight'][ids] + w['wpe.weight'][:n]
            with torch.no_grad():
                target = forward(e)
                m = (forward(e + xi64.to(dtype)) - target).abs().sum().item()
            t0 = time.time()
            rec, x, grad0 = invert(forward, target, start64.to(dtype), m, lr, a.steps, a.scale, a.log_every)
            rec['seconds'] = round(time.time() - t0, 2)
            rec['baselineDistance'] = m
            if rec['status'] == 'completed':
                toks = decode(x, w64, n)
                rec['tokens'] = toks if base is None else [base[t] if t < len(base) else None for t in toks]
                rec['exactMatch'] = toks == ids
                rec['tokenAccuracy'] = sum(t == i for t, i in zip(toks, ids)) / n
            per[name], finals[name], grads[name] = rec, x, grad0
            print(f'lr {lr} {name}: first step below m {rec["firstStepBeatingBaseline"]}, m_g {rec["outputDistance"]:.6g} (m {m:.6g}), {rec["seconds"]} s', file=sys.stderr)
        g32, g64 = grads['float32'], grads['float64']
        compare = {}
        if g32 is not None and g64 is not None:
            compare['firstGradientRelativeDifference'] = ((g32 - g64).norm() / g64.norm()).item()
        if per['float32']['status'] == per['float64']['status'] == 'completed':
            x32, x64 = finals['float32'].to(torch.float64), finals['float64']
            compare['finalInputRelativeL1Difference'] = ((x32 - x64).abs().sum() / (x64 - start64).abs().sum()).item()
        results.append({'lr': lr, **per, **compare})
        if a.out:
            with open(a.out, 'w') as f:
                json.dump(report(a, cfg, state, ids, results), f, indent=1)

    print(json.dumps(report(a, cfg, state, ids, results), indent=1))


def report(a, cfg, state, ids, results):
    return {
        'harness': 'scripts/reference/inversion_precision.py',
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'checkpoint': os.path.abspath(a.checkpoint),
        'step': state.get('step'),
        'evalLoss': state.get('evalLoss'),
        'config': {k: cfg.get(k) for k in ('n_layer', 'n_embd', 'n_head', 'vocab_size')},
        'prompt': PROMPT,
        'ids': ids,
        'gpt2Ids': PROMPT_GPT2_IDS,
        'settings': {'block': 0, 'head': 'tied, without ln_f', 'steps': a.steps, 'schedule': 'linear eta -> eta/10', 'lossScale': a.scale,
                     'metric': 'l1', 'init': 'N(0.5, 0.05)', 'baselineSigma': a.sigma, 'seed': a.seed},
        'results': results,
    }


if __name__ == '__main__':
    main()
