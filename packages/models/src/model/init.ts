import seedrandom from 'seedrandom';

/**
 * Seeded parameter initialisation, computed in JavaScript (float64, then float32) so the same
 * seed gives bit-identical weights on every backend. Each parameter draws from its own
 * stream keyed by its name, so truncating a model (fewer blocks) keeps the weights it shares
 * with the full model.
 */
export function normalArray(count: number, std: number, key: string, mean = 0): Float32Array {
  const rand = seedrandom.alea(key);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    let u = rand();
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = mean + r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = mean + r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export function uniformArray(count: number, lo: number, hi: number, key: string): Float32Array {
  const rand = seedrandom.alea(key);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

export function filledArray(count: number, value: number): Float32Array {
  return new Float32Array(count).fill(value);
}
