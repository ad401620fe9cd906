import * as tf from '@tensorflow/tfjs';
import { tidyGrad } from './tidy-grad';

/**
 * Layer norm over the last axis with frozen γ, β and a hand-written input gradient:
 * dx = r·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ, r = 1/√(var + ε). tfjs's autodiff of the
 * moments/sub/rsqrt/mul chain issues about three times as many [tokens × width] kernels
 * (broadcast reductions for every intermediate). No gradient flows to γ or β, so a trainable
 * layer norm must not use this.
 */
export function frozenLayerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  const op = tf.customGrad(((input: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    const { mean, variance } = tf.moments(input, -1, true);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const normalized = tf.mul(tf.sub(input, mean), rstd);
    save([normalized, rstd]);
    return {
      value: tf.add(tf.mul(normalized, gamma), beta),
      gradFunc: tidyGrad((dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, r] = saved as [tf.Tensor, tf.Tensor];
        const g = tf.mul(dy, gamma);
        const centred = tf.sub(g, tf.mean(g, -1, true));
        return tf.mul(tf.sub(centred, tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true))), r);
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (t: tf.Tensor) => tf.Tensor;
  return op(x);
}
