#!/usr/bin/python3
"""Cross-check families_ref.py against the third-party reference fixtures.

/work/shared/fixtures/families/<family>/ (copied to packages/models/test-data/families/) holds
tiny checkpoints with activations computed by someone else's float64 implementation. Two
independently written references agreeing to float32 rounding on every hook point is what makes
either of them trustworthy, so this script runs ours on their checkpoints and token ids and
prints max|Δ| / max|ref| per tensor. It exits non-zero when any tensor differs by more than
--tol (default 1e-6, i.e. float32 storage rounding with margin).

Usage: /usr/bin/python3 scripts/reference/check_against_shared.py [FIXTURES_DIR] [--dtype float32]
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts (not gitignored)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from families_ref import FAMILIES, Reference  # noqa: E402
from safetensors_io import read_file  # noqa: E402

DEFAULT_DIR = '/work/shared/fixtures/families'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('fixtures', nargs='?', default=DEFAULT_DIR)
    ap.add_argument('--dtype', choices=['float64', 'float32'], default='float64')
    ap.add_argument('--tol', type=float, default=1e-6)
    a = ap.parse_args()
    worst_all = 0.0
    for family in FAMILIES:
        folder = os.path.join(a.fixtures, family)
        if not os.path.isdir(folder):
            print(f'{family}: no fixture folder')
            continue
        meta = json.load(open(os.path.join(folder, 'expected.json')))
        expected = read_file(os.path.join(folder, 'expected.safetensors'))
        ref = Reference(folder, torch.float64 if a.dtype == 'float64' else torch.float32)
        got, unused = ref.run(meta['token_ids'], with_grad=False)
        worst = 0.0
        lines = []
        for name, exp in expected.items():
            if name not in got:
                lines.append(f'  {name}: missing from our reference')
                worst = float('inf')
                continue
            if got[name].shape != exp.shape:
                lines.append(f'  {name}: shape {got[name].shape} vs {exp.shape}')
                worst = float('inf')
                continue
            rel = float(np.max(np.abs(got[name] - exp)) / np.max(np.abs(exp)))
            worst = max(worst, rel)
            lines.append(f'  {name:28s} {rel:.3e}')
        extra = sorted(set(got) - set(expected))
        print(f'{family} ({len(meta["token_ids"])} tokens, {a.dtype}): worst max|Δ|/max|ref| = {worst:.3e}' + (f'; unused tensors: {len(unused)}' if unused else '') + (f'; not in fixture: {extra}' if extra else ''))
        print('\n'.join(lines))
        worst_all = max(worst_all, worst)
    print(f'worst over all families: {worst_all:.3e} (tolerance {a.tol:g})')
    sys.exit(0 if worst_all <= a.tol else 1)


if __name__ == '__main__':
    main()
