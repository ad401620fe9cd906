import * as tf from '@tensorflow/tfjs';
import { HeldMatrix, SplitMatrix } from '../model/split-matrix';

/**
 * Rows per block for the one-off passes over W_E (hash, norms, WᵀW): 2048 × d floats is 5 MB
 * at d = 640, and XNNPACK's product over a 2048-long contraction ran ~2× faster than over 8192
 * (its packed right operand then fits the cache; measured 29 vs 13–16 GMAC/s on 2 threads).
 */
export const BLOCK_ROWS = 2048;

interface RangedRead {
  readSync(dataId: object, start?: number, end?: number): Float32Array;
}

/**
 * Rows [start, start + rows) of W [V, d] as a tensor. tfjs-wasm's Slice first copies its whole
 * input out of the wasm heap (for Gemma 3's 262144 × 640 W_E, 671 MB per block: 460 ms each),
 * and its Gather costs ~70 ns per element; the wasm backend can read just a range of its heap,
 * so there the block costs its own size. Elsewhere Slice is native and reads only the block.
 */
export function rowBlock(w: HeldMatrix, start: number, rows: number): tf.Tensor2D {
  if (w instanceof SplitMatrix) return w.rows(start, rows);
  const d = w.shape[1];
  if (tf.getBackend() === 'wasm' && w.dtype === 'float32') {
    const values = (tf.backend() as unknown as RangedRead).readSync(w.dataId, start * d, (start + rows) * d);
    return tf.tensor2d(values, [rows, d]);
  }
  return tf.slice(w, [start, 0], [rows, d]);
}

/**
 * Calls `fn` with each block of W's rows as host floats (a copy of that block only), in order:
 * a pass over the vocabulary never holds a second W (671 MB for Gemma 3) on the host.
 */
export async function forEachRowBlock(w: HeldMatrix, fn: (values: Float32Array, start: number, rows: number) => void): Promise<void> {
  const [vocab, d] = w.shape;
  const ranged = tf.getBackend() === 'wasm' && w instanceof tf.Tensor && w.dtype === 'float32';
  for (let start = 0; start < vocab; start += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, vocab - start);
    if (ranged) {
      fn((tf.backend() as unknown as RangedRead).readSync((w as tf.Tensor2D).dataId, start * d, (start + rows) * d), start, rows);
      continue;
    }
    const block = w instanceof SplitMatrix ? w.rows(start, rows) : tf.slice(w, [start, 0], [rows, d]);
    try {
      fn((await block.data()) as Float32Array, start, rows);
    } finally {
      block.dispose();
    }
  }
}
