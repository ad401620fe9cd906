import { tf, type Model, type Rng } from '@repscope/core';

/** ‖a − b‖₁ per batch item: the seed's distance between outputs (eq. 4), whatever the loss metric. */
export function l1PerItem(a: tf.Tensor, b: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const n = a.shape[0]!;
    return tf.sum(tf.abs(tf.sub(tf.reshape(a, [n, -1]), tf.reshape(b, [1, -1]))), 1) as tf.Tensor1D;
  });
}

/**
 * The seed's eq. 4 baseline: m = ‖O(e′) − O(e)‖₁ with e′ = e + N(0, σ). A reconstruction
 * "is as close as a slightly perturbed true input" when m_g = ‖O(e_g) − O(e)‖₁ < m.
 */
export async function baselineDistance(model: Model, embedding: tf.Tensor, output: tf.Tensor, std: number, rng: Rng): Promise<number> {
  const distance = tf.tidy(() => {
    const shifted = tf.add(embedding, tf.randomNormal(embedding.shape, 0, std, 'float32', rng.tensorSeed()));
    return l1PerItem(model.forward(shifted), output);
  });
  return readFirst(distance);
}

/** The first value of a tensor, read asynchronously (any backend); disposes the tensor. */
export async function readFirst(t: tf.Tensor): Promise<number> {
  try {
    return (await t.data())[0]!;
  } finally {
    t.dispose();
  }
}
