import { tf } from '@repscope/core';

/**
 * An orthonormal basis of the null space of G [rows, d] (rows < d): the last d − rank columns
 * of the full QR decomposition of Gᵀ (TF.js's Householder QR). Returns [d, d − rows]; when G
 * has full row rank every column v satisfies G·v = 0 up to float32 rounding.
 */
export function nullSpaceBasis(g: tf.Tensor2D): tf.Tensor2D {
  const [rows, d] = g.shape;
  if (rows >= d) throw new Error(`null space needs fewer rows than columns (G is ${rows}×${d})`);
  return tf.tidy(() => {
    const [q] = tf.linalg.qr(tf.transpose(g), true);
    return tf.slice(q as tf.Tensor2D, [0, rows], [d, d - rows]);
  });
}

/** [‖G·v‖₂, ‖G‖_F‖v‖₂]: read it with `residualFrom`. Caller disposes. */
export function orthogonalityTerms(g: tf.Tensor2D, v: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.stack([tf.norm(tf.matMul(g, tf.reshape(v, [-1, 1]))), tf.mul(tf.norm(g), tf.norm(v))]) as tf.Tensor1D);
}

/** ‖G·v‖₂ (absolute) and ‖G·v‖₂ / (‖G‖_F‖v‖₂) (relative): how far v is from the null space. */
export function residualFrom(terms: ArrayLike<number>): { absolute: number; relative: number } {
  const absolute = terms[0]!;
  const scale = terms[1]!;
  return { absolute, relative: scale > 0 ? absolute / scale : 0 };
}

/** `orthogonalityTerms`, read (asynchronously: any backend). */
export async function orthogonalityResidual(g: tf.Tensor2D, v: tf.Tensor1D): Promise<{ absolute: number; relative: number }> {
  const terms = orthogonalityTerms(g, v);
  try {
    return residualFrom(await terms.data());
  } finally {
    terms.dispose();
  }
}
