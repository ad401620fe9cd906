import * as tf from '@tensorflow/tfjs';
import { RunDivergedError } from '../run/run-errors';

/**
 * How far an input's mean |x| may grow beyond its start (floored at 1, so inputs that start
 * at or near zero get room) before the descent counts as diverged. No objective this project
 * optimises moves its input a million times its own scale; a step size that does has left
 * the region where the model's output means anything (LayerNorm then saturates and the loss
 * freezes while every number stays finite).
 */
export const INPUT_GROWTH_LIMIT = 1e6;

interface DescentState {
  steps: number;
  startScale: number;
}

const states = new WeakMap<tf.Variable, DescentState>();

/** Per-variable step count and starting scale; the scale costs one readback, on the first step only. */
export function descentState(x: tf.Variable): DescentState {
  let state = states.get(x);
  if (!state) {
    const scale = tf.tidy(() => tf.mean(tf.abs(x))).dataSync()[0]!;
    state = { steps: 0, startScale: scale };
    states.set(x, state);
  }
  return state;
}

/**
 * The statistics the guard needs, as two values appended to the step's existing readback:
 * Σ|g| (NaN/Inf when any gradient entry is) and mean |x| after the update. Caller disposes.
 */
export function guardStatistics(x: tf.Tensor, gradient: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.stack([tf.sum(tf.abs(gradient)), tf.mean(tf.abs(x))]) as tf.Tensor1D);
}

/** Throws RunDivergedError when a step's objective, gradient or input left the meaningful range. */
export function checkDescentStep(state: DescentState, perItem: ArrayLike<number>, gradientAbsSum: number, inputMeanAbs: number): void {
  const step = state.steps;
  for (let i = 0; i < perItem.length; i++) {
    if (!Number.isFinite(perItem[i]!)) throw new RunDivergedError(step, 'loss', perItem[i]!);
  }
  if (!Number.isFinite(gradientAbsSum)) {
    throw new RunDivergedError(step, 'gradient', gradientAbsSum, 'Look for log(0) or a division by zero in the objective, or lower the learning rate.', `the gradient is ${gradientAbsSum}`);
  }
  if (!Number.isFinite(inputMeanAbs)) {
    throw new RunDivergedError(step, 'input', inputMeanAbs, 'Lower the learning rate.', `the optimised input became ${inputMeanAbs}`);
  }
  const limit = INPUT_GROWTH_LIMIT * Math.max(state.startScale, 1);
  if (inputMeanAbs > limit) {
    throw new RunDivergedError(
      step,
      'input',
      inputMeanAbs,
      'The step size is far too large for this objective: lower the learning rate.',
      `the optimised input's mean |x| grew from ${state.startScale.toPrecision(3)} to ${inputMeanAbs.toPrecision(3)} (limit ${limit.toPrecision(3)})`,
    );
  }
}
