import { tf, type Rng } from '@repscope/core';
import type { InitOptions } from './options';

/**
 * e₀ for `restarts` starts: N(mean, std) (`normal`), or the seed's mixed start
 * s·N(0, std) + t·e around the true embedding (`mix`).
 */
export function initialInput(shape: number[], restarts: number, init: InitOptions, trueInput: tf.Tensor, rng: Rng): tf.Tensor {
  const full = [restarts, ...shape.slice(1)];
  return tf.tidy(() => {
    const noise = tf.randomNormal(full, init.kind === 'normal' ? init.mean : 0, init.std, 'float32', rng.tensorSeed());
    if (init.kind === 'normal') return noise;
    return tf.add(tf.mul(noise, init.s), tf.mul(trueInput, init.t));
  });
}
