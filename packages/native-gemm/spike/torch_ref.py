"""PyTorch-CPU reference for the spike: the same three products, its BLAS config and OpenBLAS core.

Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for this command alone:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 spike/torch_ref.py [reps]
"""
import ctypes
import json
import os
import sys
import time

import torch

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 7
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
      f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")
config = torch.__config__.show()
print("\n".join(line for line in config.splitlines() if "BLAS" in line or "LAPACK" in line or "CPU capability" in line))

# The BLAS libraries this process actually mapped, and OpenBLAS's core through ctypes.
libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if any(k in line for k in ("blas", "blis", "mkl"))})
print("mapped BLAS:", ", ".join(libs) or "(none)")
core = None
for lib in libs:
    try:
        h = ctypes.CDLL(lib)
        if hasattr(h, "openblas_get_corename"):
            h.openblas_get_corename.restype = ctypes.c_char_p
            core = h.openblas_get_corename().decode()
            print(f"OpenBLAS core {core} ({lib}), threads {h.openblas_get_num_threads()}")
    except OSError:
        pass

torch.manual_seed(0)
shapes = [("ViT QKV", 197, 768, 2304), ("LM head, 16 restarts", 80, 768, 50257), ("training head", 2048, 256, 50257)]
out = []
with torch.no_grad():
    for name, m, k, n in shapes:
        a = torch.rand(m, k) * 2 - 1
        b = torch.rand(k, n) * 2 - 1
        r = max(3, min(reps, 5)) if m * n > 50e6 else reps
        torch.mm(a, b)
        ts = []
        for _ in range(r):
            t0 = time.perf_counter()
            torch.mm(a, b)
            ts.append((time.perf_counter() - t0) * 1e3)
        ts.sort()
        med = ts[len(ts) // 2]
        gflop = 2 * m * k * n / 1e9
        print(f"{name} {m} × {k} × {n}: {med:.2f} ms [{ts[0]:.2f} – {ts[-1]:.2f}] {gflop / med * 1e3:.1f} GFLOP/s ({r} reps)")
        out.append({"name": name, "M": m, "K": k, "N": n, "median": med, "min": ts[0], "max": ts[-1], "all": ts})
if len(sys.argv) > 2:
    json.dump({"core": core, "libs": libs, "results": out}, open(sys.argv[2], "w"), indent=2)
