import * as tf from '@tensorflow/tfjs';
import { checkInput, checkObjective, descentState, inputAbsSum, INPUT_CHECK_EVERY } from './divergence-guard';
import type { Optimizer } from './types';

/**
 * One step of gradient descent on an input: evaluate the per-item objective (one value per
 * batch item, e.g. per restart), take the gradient of their sum with respect to `x` (items
 * do not interact, so each gets its own gradient), and let the optimizer update `x`.
 * Returns the per-item objective values before the update. Allocates nothing that outlives
 * the step.
 *
 * Throws RunDivergedError when the objective, the gradient or the updated input is NaN/Inf,
 * or the input grew far beyond its starting scale (see divergence-guard.ts). The check rides
 * on the readback of the objective values the step makes anyway: one reduction (Σ|x|) every
 * INPUT_CHECK_EVERY steps, no extra GPU→CPU sync.
 *
 * @param gradientMask optional 0/1 tensor broadcastable to x: only masked entries move
 *   (the clamped walk's "descend one side of the cut").
 */
export function descentStep(x: tf.Variable, objective: (x: tf.Tensor) => tf.Tensor1D, optimizer: Optimizer, gradientMask?: tf.Tensor): Float32Array {
  const state = descentState(x);
  let perItem: tf.Tensor1D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    perItem = tf.keep(objective(x));
    return tf.sum(perItem) as tf.Scalar;
  }, [x]);
  const g = grads[x.name]!;
  const applied = gradientMask ? tf.mul(g, gradientMask) : g;
  try {
    optimizer.step(x, applied);
    if (state.steps % INPUT_CHECK_EVERY !== 0) {
      const perItemValues = perItem!.dataSync() as Float32Array;
      checkObjective(state, perItemValues);
      state.steps++;
      return perItemValues;
    }
    const readback = tf.tidy(() => tf.concat([perItem!.dtype === 'float32' ? perItem! : tf.cast(perItem!, 'float32'), inputAbsSum(x)]));
    const values = readback.dataSync() as Float32Array;
    readback.dispose();
    const n = values.length - 1;
    const perItemValues = values.slice(0, n);
    checkObjective(state, perItemValues);
    checkInput(state, values[n]!, x.size, () => readScalar(tf.tidy(() => tf.sum(tf.abs(applied)))));
    state.steps++;
    return perItemValues;
  } finally {
    tf.dispose([g, applied, perItem!, value]);
  }
}

function readScalar(t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/** ∂/∂x of Σ objective(x) without updating anything (for walks and diagnostics). Caller disposes. */
export function inputGradient(x: tf.Tensor, objective: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.grad((inp: tf.Tensor) => tf.sum(objective(inp)) as tf.Scalar)(x));
}
