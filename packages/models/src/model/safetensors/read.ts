import * as fs from 'node:fs';
import { openRegularFile, UnsafeFileError } from '../checkpoint/safe-files';
import { DTYPE_BYTES, LITTLE_ENDIAN_HOST, toFloat32 } from './dtypes';

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  entries: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

/**
 * A header larger than this is not a real checkpoint header: HF allows 100 MB, but real
 * headers are kilobytes (gpt2-xl: 50 KB), and parsing 100 MB of JSON costs ~1 GB of memory.
 */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** Real checkpoints hold hundreds to a few thousand tensors; a million tiny ones is a memory bomb, not a model. */
export const MAX_TENSORS = 65536;

export class SafetensorsError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/**
 * Read and check a safetensors header without trusting it: bounded length, valid JSON,
 * known dtypes, offsets inside the file, non-overlapping, and sizes matching the shapes.
 */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openSafely(file);
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) throw new SafetensorsError(file, `truncated: ${size} bytes is too short for a safetensors header`);
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER_BYTES) throw new SafetensorsError(file, `header length ${headerLen} exceeds ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
    if (8 + headerLen > size) throw new SafetensorsError(file, `truncated: header says ${headerLen} bytes but the file has ${size - 8}`);
    const headerBuf = Buffer.alloc(headerLen);
    fs.readSync(fd, headerBuf, 0, headerLen, 8);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new SafetensorsError(file, 'header is not valid JSON (not a safetensors file?)');
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new SafetensorsError(file, 'header is not a JSON object');
    const count = Object.keys(json).length;
    if (count > MAX_TENSORS + 1) throw new SafetensorsError(file, `header lists ${count} entries, more than the ${MAX_TENSORS} tensors a checkpoint may have`);
    const dataStart = 8 + headerLen;
    const dataSize = size - dataStart;
    const entries = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(json)) {
      if (name === '__metadata__') {
        if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')))
          throw new SafetensorsError(file, '__metadata__ must map names to strings');
        metadata = Object.assign(Object.create(null) as Record<string, string>, raw ?? {});
        continue;
      }
      const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof e?.dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_BYTES, e.dtype)) throw new SafetensorsError(file, `tensor "${name}": unsupported dtype ${JSON.stringify(e?.dtype)}`);
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(file, `tensor "${name}": invalid shape ${JSON.stringify(e.shape)}`);
      if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2 || !e.data_offsets.every((o) => Number.isInteger(o) && o >= 0))
        throw new SafetensorsError(file, `tensor "${name}": invalid data_offsets ${JSON.stringify(e.data_offsets)}`);
      const [b, en] = e.data_offsets as [number, number];
      if (b > en || en > dataSize) throw new SafetensorsError(file, `tensor "${name}": data_offsets [${b}, ${en}] fall outside the ${dataSize}-byte data section (truncated file?)`);
      const expected = (e.shape as number[]).reduce((a, d) => a * d, 1) * DTYPE_BYTES[e.dtype]!;
      if (en - b !== expected) throw new SafetensorsError(file, `tensor "${name}": ${en - b} bytes stored but dtype ${e.dtype} and shape [${(e.shape as number[]).join(', ')}] need ${expected}`);
      entries.set(name, { name, dtype: e.dtype, shape: e.shape as number[], begin: dataStart + b, end: dataStart + en });
    }
    const sorted = [...entries.values()].sort((a, b) => a.begin - b.begin);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.begin < sorted[i - 1]!.end) throw new SafetensorsError(file, `tensors "${sorted[i - 1]!.name}" and "${sorted[i]!.name}" overlap`);
    }
    return { file, entries, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/** Read one tensor as float32 (positional read: files larger than memory buffers are fine). */
export function readTensorF32(header: SafetensorsHeader, entry: TensorEntry): Float32Array {
  const fd = openSafely(header.file);
  try {
    // F32 on a little-endian host is read straight into the result: a large tensor (GPT-2's
    // 147 MiB embedding) is then held once while loading, not twice.
    const direct = entry.dtype === 'F32' && LITTLE_ENDIAN_HOST ? new Float32Array((entry.end - entry.begin) / 4) : undefined;
    const bytes = direct ? new Uint8Array(direct.buffer) : Buffer.alloc(entry.end - entry.begin);
    const read = fs.readSync(fd, bytes, 0, bytes.length, entry.begin);
    if (read !== bytes.length) throw new SafetensorsError(header.file, `tensor "${entry.name}": short read`);
    return direct ?? toFloat32(bytes, entry.dtype);
  } finally {
    fs.closeSync(fd);
  }
}

function openSafely(file: string): number {
  try {
    return openRegularFile(file);
  } catch (err) {
    if (err instanceof UnsafeFileError) throw new SafetensorsError(file, err.message.startsWith(file + ': ') ? err.message.slice(file.length + 2) : err.message);
    throw err;
  }
}
