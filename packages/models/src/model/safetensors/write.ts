import { writeFileAtomic } from '../../util/atomic-write';
import { float32ToBf16Bits, float32ToF16Bits } from './dtypes';

export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}

/**
 * Serialise float tensors in the safetensors layout (8-byte header length, JSON header with
 * 8-byte-aligned padding, raw little-endian data), readable by `safetensors.torch.load_file`.
 */
export function encodeSafetensors(tensors: Record<string, TensorToWrite>, dtype: 'F32' | 'F16' | 'BF16' = 'F32', metadata?: Record<string, string>): Buffer {
  const width = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = {};
  if (metadata) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count !== t.data.length) throw new Error(`tensor "${name}": shape [${t.shape}] needs ${count} values, got ${t.data.length}`);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + count * width] };
    offset += count * width;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - ((8 + Buffer.byteLength(headerText)) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    for (let i = 0; i < t.data.length; i++, pos += width) {
      if (dtype === 'F32') out.writeFloatLE(t.data[i]!, pos);
      else out.writeUInt16LE(dtype === 'F16' ? float32ToF16Bits(t.data[i]!) : float32ToBf16Bits(t.data[i]!), pos);
    }
  }
  return out;
}

export function writeSafetensors(file: string, tensors: Record<string, TensorToWrite>, dtype: 'F32' | 'F16' | 'BF16' = 'F32', metadata?: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, dtype, metadata));
}
