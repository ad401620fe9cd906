"""PyTorch-CPU side of the training bench: the same GPT-2 (tied head, full GPT-2 vocabulary),
the same batch, next-token cross-entropy, AdamW with decay on linear weights only, gradient
clipping. An independent minimal implementation (Debian's python3-torch only). One JSON line.
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

from torch_case import Block, blas_library, openblas_core


class Gpt2Lm(torch.nn.Module):
    def __init__(self, layers, d, heads, positions, vocab=50257):
        super().__init__()
        self.wte = torch.nn.Parameter(torch.randn(vocab, d) * 0.02)
        self.wpe = torch.nn.Parameter(torch.randn(positions, d) * 0.01)
        self.blocks = torch.nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = torch.nn.LayerNorm(d, eps=1e-5)

    def forward(self, ids):
        x = self.wte[ids] + self.wpe[: ids.shape[1]]
        for b in self.blocks:
            x = b(x)
        return self.ln_f(x) @ self.wte.T


def main():
    c = json.loads(sys.argv[1])
    torch.manual_seed(0)
    torch.set_num_threads(c.get('threads', 2))
    model = Gpt2Lm(c['layers'], c['width'], c['heads'], c['tokens'])
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and n not in ('wte', 'wpe')]
    rest = [p for n, p in model.named_parameters() if not (p.dim() == 2 and n not in ('wte', 'wpe'))]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': rest, 'weight_decay': 0.0}], lr=0.003, betas=(0.9, 0.95), eps=1e-8)
    gen = torch.Generator().manual_seed(1)

    def step():
        ids = torch.randint(0, 50257, (c['sequences'], c['tokens'] + 1), generator=gen)
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    step()
    times = []
    for _ in range(c['steps'] - 1):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'msPerStep': times[len(times) // 2], 'steps': len(times), 'peakRssMB': rss_mb, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas_library(), 'openblasCore': openblas_core(), 'forcedCore': os.environ.get('OPENBLAS_CORETYPE')}))


if __name__ == '__main__':
    main()
