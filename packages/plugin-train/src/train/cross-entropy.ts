import { tf } from '@repscope/core';

/**
 * Mean next-token cross-entropy of logits [b, n, V] against `targets` (b·n ids), in nats.
 * The gradient is written out, (softmax − onehot)/N: tfjs's gather gradient needs a kernel
 * the wasm backend lacks. The one-hot is a scatterND of ones, not tf.oneHot: tfjs-wasm
 * 4.22's OneHot with dtype float32 writes the integer bit pattern (1 → 1.4e-45), which
 * silently removed the target term from the gradient.
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor1D): tf.Scalar {
  const vocab = logits.shape[logits.shape.length - 1]!;
  const count = targets.shape[0];
  const op = tf.customGrad(((l: tf.Tensor, save: tf.GradSaveFunc) => {
    const flat = tf.reshape(l, [count, vocab]) as tf.Tensor2D;
    const rows = tf.range(0, count, 1, 'int32').reshape([count, 1]);
    const at = tf.concat([rows, tf.reshape(targets, [count, 1])], 1);
    const picked = tf.gatherND(flat, at);
    const max = tf.max(flat, 1, true);
    const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(flat, max)), 1, true)), max);
    // softmax is recomputed from lse in the backward pass: exp(l − lse), one pass instead of five.
    save([flat, at, lse]);
    return {
      value: tf.mean(tf.sub(tf.reshape(lse, [count]), picked)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [f, t, s] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const g = tf.sub(tf.exp(tf.sub(f, s)), tf.scatterND(t, tf.ones([count]), [count, vocab]));
        return tf.reshape(tf.mul(g, tf.div(dy, count)), l.shape);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (l: tf.Tensor) => tf.Scalar;
  return op(logits);
}
