/** Index of the first NaN or ±Infinity in `values`, or -1: one pass over the bits, no copy. */
export function firstNonFinite(values: Float32Array): number {
  // NaN and ±Infinity are exactly the floats whose 8 exponent bits are all ones; an integer
  // test on the raw bits is cheaper than float arithmetic on every element.
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i]! & 0x7f800000) === 0x7f800000) return i;
  }
  return -1;
}

const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);

/** Integer dtypes cannot hold NaN/Inf, so only float tensors need the scan. */
export function canBeNonFinite(dtype: string): boolean {
  return FLOAT_DTYPES.has(dtype);
}
