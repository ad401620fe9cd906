import * as tf from '@tensorflow/tfjs';
import { mergeHeads } from '../layers';

/**
 * Additive attention masks by sequence length and window, built once: causal, and for
 * sliding-window layers also blind to keys `window` or more positions back (a query sees
 * itself and the window − 1 positions before it, as Hugging Face's sliding-window mask).
 */
export class WindowedCausalMasks {
  private readonly masks = new Map<string, tf.Tensor2D>();

  get(n: number, window: number | undefined): tf.Tensor2D {
    const key = `${n}/${window ?? 'all'}`;
    let mask = this.masks.get(key);
    if (!mask) {
      const values = new Float32Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (j > i || (window !== undefined && j <= i - window)) values[i * n + j] = -1e9;
      mask = tf.keep(tf.tensor2d(values, [n, n]));
      this.masks.set(key, mask);
    }
    return mask;
  }

  dispose(): void {
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }
}

/** Softmax attention over heads [b, h, n, dh] with an explicit scale and an additive mask: the pattern and merged outputs. */
export function maskedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, scale: number, mask: tf.Tensor2D): { pattern: tf.Tensor4D; z: tf.Tensor3D } {
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask);
  const pattern = tf.softmax(scores) as tf.Tensor4D;
  return { pattern, z: mergeHeads(tf.matMul(pattern, v)) };
}
