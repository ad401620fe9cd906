/** Dtypes repscope reads; each converts to float32 (integers are read as ids/masks elsewhere). */
export const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

const f16Table = (() => {
  // Every half-precision bit pattern decoded once: converting 100M weights is then a lookup.
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * Math.pow(2, -14) * (frac / 1024);
    else if (exp === 31) table[h] = frac ? NaN : sign * Infinity;
    else table[h] = sign * Math.pow(2, exp - 15) * (1 + frac / 1024);
  }
  return table;
})();

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Decode little-endian raw bytes of `dtype` to float32. */
export function toFloat32(bytes: Uint8Array, dtype: string): Float32Array {
  const count = bytes.byteLength / DTYPE_BYTES[dtype]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      // On little-endian hosts (all Node platforms in practice) the bytes already are the floats.
      if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(bytes);
      else for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = f16Table[view.getUint16(i * 2, true)]!;
      return out;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      return out;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      return out;
    default:
      throw new Error(`unsupported dtype ${dtype}`);
  }
}

/** float32 → IEEE half (round to nearest even), for writing F16 files. */
export function float32ToF16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant = (mant | 0x800000) >> (1 - e);
    const round = mant & 0x1fff;
    let h = mant >> 13;
    if (round > 0x1000 || (round === 0x1000 && h & 1)) h++;
    return sign | h;
  }
  const round = mant & 0x1fff;
  let h = (e << 10) | (mant >> 13);
  if (round > 0x1000 || (round === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** float32 → bfloat16 bits (round to nearest even). */
export function float32ToBf16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  if (Number.isNaN(value)) return 0x7fc0;
  const rounding = 0x7fff + ((x >>> 16) & 1);
  return ((x + rounding) >>> 16) & 0xffff;
}
