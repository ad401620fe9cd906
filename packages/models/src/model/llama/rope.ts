import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config';

/**
 * Rotary position embedding, Hugging Face's rotate-half layout: a head vector's first and
 * second halves are the two coordinates of each rotated pair. Frequencies (with Llama 3's
 * band-wise scaling) and the cos/sin tables are computed in float64 in JavaScript, then stored
 * as float32: the same on every backend.
 */
export function inverseFrequencies(c: LlamaConfig): Float64Array {
  const half = c.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(c.ropeTheta, (2 * i) / c.headDim);
  const s = c.ropeScaling;
  if (!s) return inv;
  // transformers' _compute_llama3_parameters: long wavelengths slowed by `factor`, short ones
  // kept, the band between interpolated.
  const lowFreqWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositions / s.highFreqFactor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i]!;
    if (wavelen > lowFreqWavelen) inv[i] = inv[i]! / s.factor;
    else if (wavelen >= highFreqWavelen) {
      const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      inv[i] = (1 - smooth) * (inv[i]! / s.factor) + smooth * inv[i]!;
    }
  }
  return inv;
}

/** cos and sin tables [n, headDim] for positions 0…n−1 (each frequency twice: rotate-half). */
export function ropeTables(c: LlamaConfig, n: number, inv = inverseFrequencies(c)): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = c.headDim / 2;
  const cos = new Float32Array(n * c.headDim);
  const sin = new Float32Array(n * c.headDim);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * inv[i]!;
      cos[p * c.headDim + i] = cos[p * c.headDim + half + i] = Math.cos(angle);
      sin[p * c.headDim + i] = sin[p * c.headDim + half + i] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [n, c.headDim]), sin: tf.tensor2d(sin, [n, c.headDim]) };
}

/** x·cos + rotate_half(x)·sin for heads [b, h, n, headDim]; rotate_half(x) = [−x₂, x₁]. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  const half = x.shape[3] / 2;
  const [x1, x2] = tf.split(x, [half, half], 3) as [tf.Tensor4D, tf.Tensor4D];
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
}
