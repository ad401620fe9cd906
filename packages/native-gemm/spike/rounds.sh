#!/usr/bin/env bash
# Alternate the JS spike and the PyTorch reference for R rounds (the machine is shared: pool the
# samples and compare within rounds), then print the table: spike/rounds.sh [R] [outdir]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
out=${2:-/tmp/native-gemm-spike}
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  uptime
  node spike/spike.js --reps 5 --json "$out/node$r.json"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 spike/torch_ref.py 5 "$out/torch$r.json"
done
node spike/aggregate.js "$out"
