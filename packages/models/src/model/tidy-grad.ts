import * as tf from '@tensorflow/tfjs';

/**
 * A custom gradient's body in a tidy. tfjs's customGrad calls gradFunc outside any tidy, so every
 * intermediate it creates stays allocated until the whole backward pass ends — with per-head
 * attention, layer norm and GELU written as custom gradients that was most of a ViT-B/16 step's
 * peak memory (issue 24: a ViT-B/16 step's peak RSS 1476 → 1202 MB with this alone). Only the
 * returned gradients survive.
 */
export function tidyGrad<Args extends unknown[], Out extends tf.Tensor | tf.Tensor[]>(gradFunc: (...args: Args) => Out): (...args: Args) => Out {
  return (...args: Args) => tf.tidy(() => gradFunc(...args)) as Out;
}
