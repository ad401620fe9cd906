import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../util/errors';

/**
 * Lowers the WebGPU storage-binding limit that decides what is held and computed in row blocks
 * (never raises it: the device would reject the kernels). Tests set it so a tiny model on
 * lavapipe splits exactly as GPT-2 small does on a card.
 */
export const BINDING_LIMIT_ENV = 'REPSCOPE_WEBGPU_MAX_BINDING_BYTES';

interface LimitedBackend {
  device?: { limits?: { maxStorageBufferBindingSize?: number } };
}

/**
 * The most bytes one tensor may hold and still be read or written by a kernel: on webgpu the
 * device's maxStorageBufferBindingSize (tfjs asks for the adapter's own, 128 MiB on lavapipe,
 * gigabytes on most cards), or the lower value of REPSCOPE_WEBGPU_MAX_BINDING_BYTES. Undefined
 * on every other backend, which binds no buffers: there nothing is ever split.
 */
export function storageBindingLimit(): number | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const device = (tf.backend() as unknown as LimitedBackend).device?.limits?.maxStorageBufferBindingSize;
  const forced = forcedLimit(process.env[BINDING_LIMIT_ENV]);
  if (device === undefined) return forced;
  return forced === undefined ? device : Math.min(device, forced);
}

function forcedLimit(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const bytes = Number(raw);
  // A block holds whole float32 rows: anything under 4 bytes could hold none.
  if (!Number.isSafeInteger(bytes) || bytes < 4) throw new InvalidInputError(`${BINDING_LIMIT_ENV} must be a whole number of bytes (at least 4), got "${raw}"`, 'E_ENV');
  return bytes;
}

/** Whether a tensor of `elements` 4-byte values is over the limit (never off webgpu). */
export function overBindingLimit(elements: number): boolean {
  const limit = storageBindingLimit();
  return limit !== undefined && elements * 4 > limit;
}
