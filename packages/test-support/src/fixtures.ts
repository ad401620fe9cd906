import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensorsHeader, readTensorF32 } from '@repscope/models';
import { selectBackend, BackendChoice } from '@repscope/models';

/** The tiny checkpoints and reference activations (copied from the shared reference fixtures into packages/models/test-data). */
export const FIXTURES = path.resolve(__dirname, '..', '..', 'models', 'test-data');
export const GPT2_TINY = path.join(FIXTURES, 'gpt2-tiny');
export const VIT_TINY = path.join(FIXTURES, 'vit-tiny');

export function readExpected(dir: string): { meta: Record<string, unknown>; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, unknown>;
  const header = readSafetensorsHeader(path.join(dir, 'expected.safetensors'));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, entry] of header.entries) tensors.set(name, { shape: entry.shape, data: readTensorF32(header, entry) });
  return { meta, tensors };
}

/** max |a − b| and the tolerance 1e-4 · max(1, max |expected|). */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): { maxAbsDiff: number; tolerance: number } {
  let maxAbsDiff = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return { maxAbsDiff, tolerance: 1e-4 * scale };
}

/** max |a − b| / max |expected|: the families' parity measure (per tensor, relative to its largest value). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxDiff / maxRef;
}

/** The backends every parity/gradient suite runs on (the native one too, when installed). */
export const TEST_BACKENDS: BackendChoice[] = ['cpu', 'wasm'];

export async function useBackend(name: BackendChoice): Promise<void> {
  await selectBackend(name);
  if (tf.getBackend() !== (name === 'tensorflow' || name === 'tensorflow-gpu' ? 'tensorflow' : name)) throw new Error(`backend ${name} not active`);
}
