"""PyTorch side of bench/parity/train-parity.js: train the initial weights on the same batches with
torch.optim.AdamW (decay on linear weights only), global-norm clipping and the same learning
rates, using an independent GPT-2 written from the HF key names.

Checked: the first step's gradient of every tensor (exit 1 unless each is within 1e-4 of
max |g| of that tensor) and the loss of every step. The final weights are reported, not
checked: Adam's first steps move a weight by about lr·sign(g), so a gradient that is ~0 in
float32 may flip sign between the two libraries and move its weight by 2·lr.
"""
import json
import sys

import torch

from check_hf_checkpoint import gpt2_logits, read_safetensors


def main():
    spec = json.load(open(sys.argv[1]))
    cfg = json.load(open(spec['init'] + '/config.json'))
    _, w = read_safetensors(spec['init'] + '/model.safetensors')
    params = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    linear = [p for k, p in params.items() if k.endswith('.weight') and p.dim() == 2 and k not in ('wte.weight', 'wpe.weight')]
    rest = [p for k, p in params.items() if not (k.endswith('.weight') and p.dim() == 2 and k not in ('wte.weight', 'wpe.weight'))]
    _, ref_grads = read_safetensors(spec['grads'])
    first = spec['batches'][0]
    for k in params:
        params[k].grad = None
    for b in first:
        n = len(b['inputs'][0])
        loss = sum(torch.nn.functional.cross_entropy(gpt2_logits(cfg, params, ids), torch.tensor(b['targets'][r * n:(r + 1) * n]), reduction='sum') for r, ids in enumerate(b['inputs']))
        (loss / len(b['targets']) / len(first)).backward()
    grad_diff = max(((params[k].grad - ref_grads[k]).abs().max().item() / max(1e-12, params[k].grad.abs().max().item()), k) for k in ref_grads)
    if '--verbose' in sys.argv:
        for k in ref_grads:
            print(k, (params[k].grad - ref_grads[k]).abs().max().item(), params[k].grad.abs().max().item(), file=sys.stderr)
    for k in params:
        params[k].grad = None
    opt = torch.optim.AdamW([{'params': linear, 'weight_decay': spec['weightDecay']}, {'params': rest, 'weight_decay': 0.0}], lr=1.0, betas=tuple(spec['betas']), eps=spec['eps'])
    for step, micro in enumerate(spec['batches']):
        opt.zero_grad(set_to_none=True)
        for b in micro:
            losses = []
            for row, ids in enumerate(b['inputs']):
                logits = gpt2_logits(cfg, params, ids)
                n = len(ids)
                losses.append(torch.nn.functional.cross_entropy(logits, torch.tensor(b['targets'][row * n:(row + 1) * n]), reduction='sum'))
            (torch.stack(losses).sum() / len(b['targets']) / len(micro)).backward()
        if spec['clip'] > 0:
            torch.nn.utils.clip_grad_norm_(list(params.values()), spec['clip'])
        for g in opt.param_groups:
            g['lr'] = spec['lrs'][step]
        opt.step()
    _, final = read_safetensors(spec['final'] + '/model.safetensors')
    worst = max(((params[k].detach() - final[k]).abs().max().item() / max(1.0, final[k].abs().max().item()), k) for k in final)
    ok = grad_diff[0] <= 1e-4
    print(json.dumps({'ok': ok, 'gradientMaxRelDiff': grad_diff[0], 'gradientWorstTensor': grad_diff[1], 'finalWeightsMaxRelDiff': worst[0], 'finalWorstTensor': worst[1], 'steps': len(spec['batches']), 'torch': torch.__version__}))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
