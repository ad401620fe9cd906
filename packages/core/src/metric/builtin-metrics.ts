import * as tf from '@tensorflow/tfjs';
import type { Metric } from './types';

function flat(t: tf.Tensor): tf.Tensor2D {
  return tf.reshape(t, [t.shape[0] ?? 1, -1]);
}

export const l1Metric: Metric = {
  name: 'l1',
  description: 'sum of absolute differences ‖a − b‖₁ (the seed\'s loss and distance)',
  perItem: (a, b) => tf.tidy(() => tf.sum(tf.abs(tf.sub(flat(a), flat(b))), 1) as tf.Tensor1D),
};

export const l2Metric: Metric = {
  name: 'l2',
  description: 'Euclidean distance ‖a − b‖₂',
  perItem: (a, b) => tf.tidy(() => tf.sqrt(tf.sum(tf.squaredDifference(flat(a), flat(b)), 1)) as tf.Tensor1D),
};

export const sqL2Metric: Metric = {
  name: 'sq-l2',
  description: 'squared Euclidean distance ‖a − b‖₂² (smooth at zero)',
  perItem: (a, b) => tf.tidy(() => tf.sum(tf.squaredDifference(flat(a), flat(b)), 1) as tf.Tensor1D),
};

export const maeMetric: Metric = {
  name: 'mae',
  description: 'mean absolute difference',
  perItem: (a, b) => tf.tidy(() => tf.mean(tf.abs(tf.sub(flat(a), flat(b))), 1) as tf.Tensor1D),
};

export const mseMetric: Metric = {
  name: 'mse',
  description: 'mean squared difference',
  perItem: (a, b) => tf.tidy(() => tf.mean(tf.squaredDifference(flat(a), flat(b)), 1) as tf.Tensor1D),
};

export const linfMetric: Metric = {
  name: 'linf',
  description: 'largest absolute difference ‖a − b‖∞',
  perItem: (a, b) => tf.tidy(() => tf.max(tf.abs(tf.sub(flat(a), flat(b))), 1) as tf.Tensor1D),
};

/** 1 − cos(a, b) over the flattened item; the 1e-12 keeps zero vectors from producing NaN. */
export const cosineMetric: Metric = {
  name: 'cosine',
  description: 'cosine distance 1 − a·b / (‖a‖‖b‖) over each flattened item',
  perItem: (a, b) =>
    tf.tidy(() => {
      const fa = flat(a);
      const fb = flat(b);
      const dot = tf.sum(tf.mul(fa, fb), 1);
      const norms = tf.mul(tf.norm(fa, 'euclidean', 1), tf.norm(fb, 'euclidean', 1));
      return tf.sub(1, tf.div(dot, tf.add(norms, 1e-12))) as tf.Tensor1D;
    }),
};
