"""PyTorch-CPU side of `pnpm bench`: the same input-optimisation step as repscope's, timed.

An independent minimal GPT-2 / ViT-stem implementation (random weights, frozen), so the
benchmark needs nothing but Debian's python3-torch. Prints one JSON line.
"""
import json
import os
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F

torch.set_grad_enabled(True)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Block(torch.nn.Module):
    def __init__(self, d, heads, causal=True, eps=1e-5, act=gelu_new):
        super().__init__()
        self.heads = heads
        self.causal = causal
        self.act = act
        self.ln1 = torch.nn.LayerNorm(d, eps=eps)
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d, eps=eps)
        self.fc = torch.nn.Linear(d, 4 * d)
        self.out = torch.nn.Linear(4 * d, d)

    def forward(self, x):
        b, n, d = x.shape
        h = self.ln1(x)
        q, k, v = self.qkv(h).split(d, dim=2)
        q, k, v = [t.view(b, n, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        if self.causal:
            mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
            att = att.masked_fill(mask, float('-inf'))
        att = att.softmax(-1)
        z = (att @ v).transpose(1, 2).reshape(b, n, d)
        x = x + self.proj(z)
        return x + self.out(self.act(self.fc(self.ln2(x))))


class Gpt2(torch.nn.Module):
    def __init__(self, depth, head, d=768, heads=12, vocab=50257):
        super().__init__()
        self.blocks = torch.nn.ModuleList([Block(d, heads) for _ in range(depth)])
        self.head = head
        self.ln_f = torch.nn.LayerNorm(d, eps=1e-5)
        self.wte = torch.nn.Parameter(torch.randn(vocab, d) * 0.02)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return x @ self.wte.T if self.head else x


class Hybrid(torch.nn.Module):
    def __init__(self, depth, d=768, heads=12):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, d, 16, 16)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.blocks = torch.nn.ModuleList([Block(d, heads) for _ in range(depth)])

    def forward(self, img):
        x = self.conv(img).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1)
        for b in self.blocks:
            x = b(x)
        return x


class Vit(torch.nn.Module):
    """ViT-B/16 without its classifier: conv stem, CLS, learned positions, bidirectional blocks, exact GELU."""

    def __init__(self, depth, d=768, heads=12):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, d, 16, 16)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.pos = torch.nn.Parameter(torch.randn(1, 197, d) * 0.02)
        self.blocks = torch.nn.ModuleList([Block(d, heads, causal=False, eps=1e-12, act=F.gelu) for _ in range(depth)])

    def forward(self, img):
        x = self.conv(img).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for b in self.blocks:
            x = b(x)
        return x


def blas_library():
    """Which BLAS this process loaded (Debian's torch uses whatever libblas.so.3 points to)."""
    try:
        with open('/proc/self/maps') as maps:
            libs = {line.split()[-1] for line in maps if 'blas' in line.lower() and '/' in line}
        names = sorted({l.rsplit('/', 1)[-1] for l in libs})
        return ', '.join(names) or 'none'
    except OSError:
        return 'unknown'


def openblas_core():
    """The kernel core OpenBLAS selected for this CPU (openblas_get_corename), or None without OpenBLAS."""
    import ctypes
    try:
        with open('/proc/self/maps') as maps:
            paths = sorted({line.split()[-1] for line in maps if 'openblas' in line.lower() and '/' in line})
        for lib in paths:
            fn = ctypes.CDLL(lib).openblas_get_corename
            fn.restype = ctypes.c_char_p
            return fn().decode()
    except (OSError, AttributeError):
        pass
    return None


def main():
    case = json.loads(sys.argv[1])
    torch.manual_seed(0)
    torch.set_num_threads(case.get('threads', 2))
    if case['model'] == 'gpt2':
        model = Gpt2(case['depth'], case['head'])
        x = torch.randn(case['batch'], case['tokens'], 768)
    else:
        model = Hybrid(case['depth']) if case['model'] == 'hybrid' else Vit(case['depth'])
        x = torch.rand(case['batch'], 3, 224, 224)
    for p in model.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        target = model(torch.randn_like(x))
    x = x.clone().requires_grad_(True)
    lr = 0.01

    def step():
        loss = torch.sum(torch.abs(model(x) - target))
        grad, = torch.autograd.grad(loss, x)
        with torch.no_grad():
            x.sub_(lr * grad)
        return loss.item()

    for _ in range(case['warmup']):
        step()
    times = []
    deadline = time.perf_counter() + case.get('minSeconds', 2.0)
    while len(times) < case['steps'] or (time.perf_counter() < deadline and len(times) < 200):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'msPerStep': times[len(times) // 2], 'steps': len(times), 'peakRssMB': rss_mb, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas_library(), 'openblasCore': openblas_core(), 'forcedCore': os.environ.get('OPENBLAS_CORETYPE')}))


if __name__ == '__main__':
    main()
