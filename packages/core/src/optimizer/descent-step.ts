import * as tf from '@tensorflow/tfjs';
import type { Optimizer } from './types';

/**
 * One step of gradient descent on an input: evaluate the per-item objective (one value per
 * batch item, e.g. per restart), take the gradient of their sum with respect to `x` (items
 * do not interact, so each gets its own gradient), and let the optimizer update `x`.
 * Returns the per-item objective values before the update. Allocates nothing that outlives
 * the step.
 *
 * @param gradientMask optional 0/1 tensor broadcastable to x: only masked entries move
 *   (the clamped walk's "descend one side of the cut").
 */
export function descentStep(x: tf.Variable, objective: (x: tf.Tensor) => tf.Tensor1D, optimizer: Optimizer, gradientMask?: tf.Tensor): Float32Array {
  const perItem = descend(x, objective, optimizer, gradientMask);
  try {
    return perItem.dataSync() as Float32Array;
  } finally {
    perItem.dispose();
  }
}

/**
 * `descentStep` with an asynchronous read of the objective values: the form a GPU backend
 * needs (WebGPU in Node cannot read a tensor synchronously) and one that lets the GPU
 * queue run ahead of JavaScript.
 */
export async function descentStepAsync(x: tf.Variable, objective: (x: tf.Tensor) => tf.Tensor1D, optimizer: Optimizer, gradientMask?: tf.Tensor): Promise<Float32Array> {
  const perItem = descend(x, objective, optimizer, gradientMask);
  try {
    return (await perItem.data()) as Float32Array;
  } finally {
    perItem.dispose();
  }
}

/** The update itself; returns the per-item objective values (caller disposes). */
function descend(x: tf.Variable, objective: (x: tf.Tensor) => tf.Tensor1D, optimizer: Optimizer, gradientMask?: tf.Tensor): tf.Tensor1D {
  let perItem: tf.Tensor1D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    perItem = tf.keep(objective(x));
    return tf.sum(perItem) as tf.Scalar;
  }, [x]);
  const g = grads[x.name]!;
  try {
    if (gradientMask) {
      const masked = tf.mul(g, gradientMask);
      optimizer.step(x, masked);
      masked.dispose();
    } else {
      optimizer.step(x, g);
    }
    return perItem!;
  } catch (err) {
    perItem?.dispose();
    throw err;
  } finally {
    tf.dispose([g, value]);
  }
}

/** ∂/∂x of Σ objective(x) without updating anything (for walks and diagnostics). Caller disposes. */
export function inputGradient(x: tf.Tensor, objective: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.grad((inp: tf.Tensor) => tf.sum(objective(inp)) as tf.Scalar)(x));
}
