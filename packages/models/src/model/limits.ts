import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../util/errors';
import { formatBinaryBytes } from '../util/format-bytes';

/**
 * Upper bounds on every model dimension a config or a checkpoint's config.json may set.
 * Generous (each is well above any published model) but finite, so that no input can make
 * repscope compute with or allocate for a billion layers; whether a model within them fits
 * in memory is decided by `checkParameterMemory`.
 */
export const MODEL_LIMITS = {
  vocabSize: 1 << 22,
  positions: 1 << 20,
  width: 1 << 16,
  layers: 1024,
  heads: 1024,
  imageSize: 8192,
  channels: 64,
  labels: 1 << 20,
  /** fcnet: tokens flattened into one input vector. */
  sequenceLength: 1 << 16,
  multiplier: 64,
} as const;

/** JSON-schema fragment for an integer dimension in [min, max]. */
export function dimension(min: number, max: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'integer', minimum: min, maximum: max, ...extra };
}

/**
 * A dimension from a Hugging Face config.json: an integer within bounds, else a message naming
 * the file and the key. `where` is what the user gave (the weights path).
 */
export function hfDimension(hf: Record<string, unknown>, key: string, where: string, bounds: { min: number; max: number }, fallback?: number): number {
  const v = Object.prototype.hasOwnProperty.call(hf, key) ? hf[key] : fallback;
  if (v === undefined) throw new InvalidInputError(`${where}: config.json has no "${key}"`, 'E_CHECKPOINT');
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidInputError(`${where}: config.json "${key}" must be an integer (got ${JSON.stringify(v)?.slice(0, 40)})`, 'E_CHECKPOINT');
  if (v < bounds.min || v > bounds.max) throw new InvalidInputError(`${where}: config.json "${key}" is ${v}, outside the supported range ${bounds.min}…${bounds.max}`, 'E_CHECKPOINT');
  return v;
}

/** A positive finite number (epsilons) from config.json. */
export function hfPositive(hf: Record<string, unknown>, key: string, where: string, fallback: number): number {
  const v = Object.prototype.hasOwnProperty.call(hf, key) ? hf[key] : fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidInputError(`${where}: config.json "${key}" must be a positive number (got ${JSON.stringify(v)?.slice(0, 40)})`, 'E_CHECKPOINT');
  return v;
}

/**
 * Bytes a model's parameters take while it is built and used: every parameter once as a
 * float32 backend tensor, plus the largest one once more in JavaScript memory (parameters are
 * produced one at a time, see ParamSource).
 */
export function parameterBytes(shapes: { shape: number[] }[]): { count: number; bytes: number } {
  let count = 0;
  let largest = 0;
  for (const { shape } of shapes) {
    const n = shape.reduce((a, d) => a * d, 1);
    count += n;
    largest = Math.max(largest, n);
  }
  return { count, bytes: 4 * (count + largest) };
}

/** The wasm backend's whole memory: WebAssembly's 32-bit heap, which tfjs-backend-wasm 4.22 lets grow to 4 GiB. */
export const WASM_MEMORY_BYTES = 4 * 2 ** 30;

/**
 * What a model's parameters take of the wasm heap once a gradient has gone through it: every
 * parameter as a float32 tensor, and every matrix once more as XNNPACK's packed copy (made by
 * the first input gradient through it and kept). Measured on untrained SmolLM2-135M and
 * gemma-3-270m after one inversion step: 2.15× and 2.0× the parameters' bytes; Qwen3-0.6B
 * (2.2 GiB of parameters) built, then ran out of the heap in its first backward.
 */
export function wasmHeapBytes(shapes: { shape: number[] }[]): number {
  return shapes.reduce((a, { shape }) => a + 4 * shape.reduce((p, d) => p * d, 1) * (shape.length >= 2 ? 2 : 1), 0);
}

/**
 * Refuse, before allocating anything, a model whose parameters cannot fit in this machine's
 * memory, or (on the wasm backend) in wasm's 4 GiB heap. Free memory is reported but not
 * enforced: it changes from moment to moment and the OS can reclaim caches, while total memory
 * is a hard ceiling.
 */
export function checkParameterMemory(shapes: { shape: number[] }[], what: string, totalMemory = os.totalmem(), backend: string | undefined = tf.getBackend()): { count: number; bytes: number } {
  const need = parameterBytes(shapes);
  if (need.bytes > totalMemory) {
    throw new InvalidInputError(
      `${what} needs about ${formatBinaryBytes(need.bytes)} for ${formatParams(need.count)} float32 parameters, but this machine has ${formatBinaryBytes(totalMemory)} of memory (${formatBinaryBytes(os.freemem())} free)`,
      'E_MODEL_TOO_LARGE',
    );
  }
  // tf.getBackend() is undefined until a run selects its backend (it does not pick a default),
  // so `validate` checks the machine only; a kind checks again as it builds, after selection.
  const heap = wasmHeapBytes(shapes);
  if (backend === 'wasm' && heap > WASM_MEMORY_BYTES) {
    throw new InvalidInputError(
      `${what} needs about ${formatBinaryBytes(heap)} of the wasm backend's memory (${formatParams(need.count)} float32 parameters and XNNPACK's packed copies of its matrices), but wasm's memory is limited to ${formatBinaryBytes(WASM_MEMORY_BYTES)}: use backend tensorflow, webgpu or cpu (slower), which do not have this limit, or keep fewer blocks (depth)`,
      'E_MODEL_TOO_LARGE',
    );
  }
  return need;
}

export function formatParams(count: number): string {
  if (count >= 1e12) return `${(count / 1e12).toFixed(1)} T`;
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)} M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)} k`;
  return String(count);
}
