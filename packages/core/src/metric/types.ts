import type * as tf from '@tensorflow/tfjs';

/**
 * A distance between two batches of same-shaped tensors, one value per batch item
 * (reduced over every axis but the first), so restarts batched together are scored apart.
 */
export interface Metric {
  name: string;
  description: string;
  perItem(a: tf.Tensor, b: tf.Tensor): tf.Tensor1D;
}
