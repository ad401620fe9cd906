/** Index of the first NaN or ±Infinity in `values`, or -1: one pass, no allocation. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v − v is 0 for every finite float and NaN for NaN and ±Infinity.
    if (v - v !== 0) return i;
  }
  return -1;
}

const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);

/** Integer dtypes cannot hold NaN/Inf, so only float tensors need the scan. */
export function canBeNonFinite(dtype: string): boolean {
  return FLOAT_DTYPES.has(dtype);
}
