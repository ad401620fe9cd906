/** Mean |after − before| per patch (patch×patch squares, row-major): what moved, where. */
export function changePerPatch(before: Float32Array, after: Float32Array, size: number, patch: number): number[] {
  const grid = size / patch;
  const out = new Array<number>(grid * grid).fill(0);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = Math.floor(y / patch) * grid + Math.floor(x / patch);
      for (let c = 0; c < 3; c++) {
        const i = (y * size + x) * 3 + c;
        out[p]! += Math.abs(after[i]! - before[i]!);
      }
    }
  }
  return out.map((v) => v / (patch * patch * 3));
}

/** Mean change of each row of patches (row 0 = the top = the first tokens). */
export function changeByRow(perPatch: number[], grid: number): number[] {
  return Array.from({ length: grid }, (_, r) => perPatch.slice(r * grid, (r + 1) * grid).reduce((a, v) => a + v, 0) / grid);
}

/**
 * Share of all change that falls in the first `fraction` of patches in token order — the
 * seed's observation that early patches change most in a causal model, as one number
 * (0.25 would mean change is spread evenly when fraction = 0.25).
 */
export function earlyChangeFraction(perPatch: number[], fraction: number): number {
  const total = perPatch.reduce((a, v) => a + v, 0);
  const early = perPatch.slice(0, Math.max(1, Math.round(perPatch.length * fraction))).reduce((a, v) => a + v, 0);
  return total > 0 ? early / total : 0;
}
