import * as tf from '@tensorflow/tfjs';
import type { Llama3RopeScaling, LinearRopeScaling } from './config';

/**
 * Rotary position embedding, Hugging Face's rotate-half layout: a head vector's first and
 * second halves are the two coordinates of each rotated pair. Frequencies (with Llama 3's
 * band-wise scaling) and the cos/sin tables are computed in float64 in JavaScript, then stored
 * as float32: the same on every backend.
 *
 * `rotaryDims` is the number of rotated dimensions (the head size, or a part of it for
 * partial rotary); frequencies are θ^(−2i/rotaryDims).
 */
export function inverseFrequencies(rotaryDims: number, theta: number, scaling?: Llama3RopeScaling | LinearRopeScaling): Float64Array {
  const half = rotaryDims / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / rotaryDims);
  if (!scaling) return inv;
  if ('linearFactor' in scaling) return inv.map((f) => f / scaling.linearFactor);
  const s = scaling;
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

/** cos and sin tables [count, 2·inv.length] for positions from…from+count−1 (each frequency twice: rotate-half). */
export function ropeTables(inv: Float64Array, count: number, from = 0): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = inv.length;
  const dims = 2 * half;
  const cos = new Float32Array(count * dims);
  const sin = new Float32Array(count * dims);
  for (let r = 0; r < count; r++) {
    const p = from + r;
    for (let i = 0; i < half; i++) {
      const angle = p * inv[i]!;
      cos[r * dims + i] = cos[r * dims + half + i] = Math.cos(angle);
      sin[r * dims + i] = sin[r * dims + half + i] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [count, dims]), sin: tf.tensor2d(sin, [count, dims]) };
}

/** x·cos + rotate_half(x)·sin over the last axis; rotate_half(x) = [−x₂, x₁]. cos/sin broadcast against x. */
export function applyRope<T extends tf.Tensor>(x: T, cos: tf.Tensor, sin: tf.Tensor): T {
  const axis = x.rank - 1;
  const half = x.shape[axis]! / 2;
  const [x1, x2] = tf.split(x, [half, half], axis);
  const rotated = tf.concat([tf.neg(x2!), x1!], axis);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as T;
}
