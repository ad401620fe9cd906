"""PyTorch-CPU side of `pnpm bench`: the same input-optimisation step as repscope's, timed.

An independent minimal GPT-2 / ViT-stem / Llama / Qwen3 / Gemma 3 implementation (random
weights, frozen), so the benchmark needs nothing but Debian's python3-torch. Prints one JSON line.
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


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


class DecoderBlock(torch.nn.Module):
    """Llama / Qwen3 block (pre-RMSNorm, grouped-query causal attention with rotate-half RoPE,
    Qwen3's q/k RMSNorm per head, SwiGLU) or Gemma 3's (the same plus sandwich norms, GeGLU with
    tanh GELU, attention scaled by query_pre_attn_scalar^-1/2, sliding window). q|k|v and
    gate|up are fused into one product each; norm weights are ones (Gemma's 1 + w with w = 0,
    folded), projections N(0, 0.02), as repscope's untrained models."""

    def __init__(self, c, n, gemma, qk_norm, theta, window):
        super().__init__()
        d, hd, f = c['hidden_size'], c['head_dim'], c['intermediate_size']
        self.heads, self.kv, self.hd, self.f, self.gemma, self.qk_norm = c['num_attention_heads'], c['num_key_value_heads'], hd, f, gemma, qk_norm
        self.eps = c['rms_norm_eps']
        self.scale = c.get('query_pre_attn_scalar', hd) ** -0.5
        self.qkv = torch.nn.Linear(d, (self.heads + 2 * self.kv) * hd, bias=False)
        self.o = torch.nn.Linear(self.heads * hd, d, bias=False)
        self.gate_up = torch.nn.Linear(d, 2 * f, bias=False)
        self.down = torch.nn.Linear(f, d, bias=False)
        for lin in (self.qkv, self.o, self.gate_up, self.down):
            torch.nn.init.normal_(lin.weight, 0.0, 0.02)
        self.norm_w = torch.nn.Parameter(torch.ones(d))  # every norm's weight is ones here; one tensor serves them all
        self.head_norm_w = torch.nn.Parameter(torch.ones(hd))
        inv = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        angle = torch.arange(n, dtype=torch.float64)[:, None] * inv[None, :]
        angle = torch.cat((angle, angle), -1)
        self.cos, self.sin = angle.cos().float(), angle.sin().float()
        i = torch.arange(n)
        allowed = (i[None, :] <= i[:, None]) & ((i[None, :] > i[:, None] - window) if window else True)
        self.mask = torch.zeros(n, n).masked_fill(~allowed, float('-inf'))

    def rope(self, x):
        h = self.hd // 2
        return x * self.cos + torch.cat((-x[..., h:], x[..., :h]), -1) * self.sin

    def forward(self, x):
        b, n, d = x.shape
        H, kv, hd, rep = self.heads, self.kv, self.hd, self.heads // self.kv
        q, k, v = self.qkv(rms_norm(x, self.norm_w, self.eps)).split([H * hd, kv * hd, kv * hd], -1)
        q, k, v = q.view(b, n, H, hd).transpose(1, 2), k.view(b, n, kv, hd).transpose(1, 2), v.view(b, n, kv, hd).transpose(1, 2)
        if self.qk_norm:
            q, k = rms_norm(q, self.head_norm_w, self.eps), rms_norm(k, self.head_norm_w, self.eps)
        q, k = self.rope(q), self.rope(k)
        # Grouped-query attention without repeating k and v: the rep query heads of a kv head as one [rep·n, hd] block.
        s = (q.reshape(b, kv, rep * n, hd) @ k.transpose(-1, -2)) * self.scale
        p = (s.view(b, kv, rep, n, n) + self.mask).softmax(-1)
        z = (p.view(b, kv, rep * n, n) @ v).view(b, H, n, hd).transpose(1, 2).reshape(b, n, H * hd)
        a = self.o(z)
        if self.gemma:
            a = rms_norm(a, self.norm_w, self.eps)
        x = x + a
        gate, up = self.gate_up(rms_norm(x, self.norm_w, self.eps)).split(self.f, -1)
        m = self.down((F.gelu(gate, approximate='tanh') if self.gemma else F.silu(gate)) * up)
        if self.gemma:
            m = rms_norm(m, self.norm_w, self.eps)
        return x + m


class Decoder(torch.nn.Module):
    """The first `depth` blocks of a Llama / Qwen3 / Gemma 3 model from its config.json keys; with the head, the final RMSNorm and the tied LM head."""

    def __init__(self, kind, c, depth, head, n):
        super().__init__()
        gemma = kind == 'gemma3_text'
        blocks = []
        for i in range(depth):
            local = gemma and c['layer_types'][i] == 'sliding_attention'
            blocks.append(DecoderBlock(c, n, gemma, kind in ('qwen3', 'gemma3_text'), c['rope_local_base_freq'] if local else c['rope_theta'], c['sliding_window'] if local else None))
        self.blocks = torch.nn.ModuleList(blocks)
        self.head, self.eps = head, c['rms_norm_eps']
        self.norm_w = torch.nn.Parameter(torch.ones(c['hidden_size']))
        self.wte = torch.nn.Parameter(torch.empty(c['vocab_size'], c['hidden_size']).normal_(0.0, 0.02))  # in place: no second copy in the peak

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return rms_norm(x, self.norm_w, self.eps) @ self.wte.T if self.head else x


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


def peak_rss_mb():
    """VmHWM of this process (getrusage's maxrss can carry the forking parent's peak across exec)."""
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    case = json.loads(sys.argv[1])
    torch.manual_seed(0)
    torch.set_num_threads(case.get('threads', 2))
    if 'family' in case:
        model = Decoder(case['family']['kind'], case['family']['config'], case['depth'], case['head'], case['tokens'])
        x = torch.randn(case['batch'], case['tokens'], case['family']['config']['hidden_size'])
    elif case['model'] == 'gpt2':
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
    rss_mb = peak_rss_mb()
    print(json.dumps({'msPerStep': times[len(times) // 2], 'steps': len(times), 'peakRssMB': rss_mb, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas_library(), 'openblasCore': openblas_core(), 'forcedCore': os.environ.get('OPENBLAS_CORETYPE')}))


if __name__ == '__main__':
    main()
