import * as tf from '@tensorflow/tfjs';
import { RunDivergedError } from '../util/run-signals';

/**
 * How far an input's mean |x| may grow beyond its start (floored at 1, so inputs that start
 * at or near zero get room) before the descent counts as diverged. No objective this project
 * optimises moves its input a million times its own scale; a step size that does has left
 * the region where the model's output means anything (LayerNorm then saturates and the loss
 * freezes while every number stays finite).
 */
export const INPUT_GROWTH_LIMIT = 1e6;

/**
 * Steps between input checks. The reduction costs little next to a forward and backward
 * pass, but kernel dispatch is what a small input's step mostly is (a batch-1 GPT-2 block on
 * wasm), so it runs on every 10th step; a blown-up input is caught at most 9 steps late,
 * and a NaN/Inf objective still on the very step it appears.
 */
export const INPUT_CHECK_EVERY = 10;

export interface DescentState {
  steps: number;
  /** Mean |x| before the first step; read with the first step's objective values (undefined until then). */
  startScale: number | undefined;
}

const states = new WeakMap<tf.Variable, DescentState>();

/** Per-variable step count and starting scale (which the first step reads with its objective values: no extra readback). */
export function descentState(x: tf.Variable): DescentState {
  let state = states.get(x);
  if (!state) {
    state = { steps: 0, startScale: undefined };
    states.set(x, state);
  }
  return state;
}

/**
 * The one statistic the guard reads on every step, appended to the step's existing readback:
 * Σ|x| after the update. A NaN/Inf gradient always shows up in it (any update with a NaN or
 * Inf gradient makes x non-finite, masked entries included: 0·NaN is NaN), so the gradient
 * itself is reduced only on the failure path, to name the cause. Caller disposes.
 */
export function inputAbsSum(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(tf.sum(tf.abs(x)), [1]) as tf.Tensor1D);
}

/** A NaN/Inf objective value stops the run on the step it appears. */
export function checkObjective(state: DescentState, perItem: ArrayLike<number>): void {
  for (let i = 0; i < perItem.length; i++) {
    if (!Number.isFinite(perItem[i]!)) throw new RunDivergedError(state.steps, 'loss', perItem[i]!);
  }
}

/**
 * Throws RunDivergedError when the input (or, behind it, the gradient) left the meaningful
 * range. `gradientAbsSum` is called only when the input is non-finite, to name the cause.
 */
export function checkInput(state: DescentState, inputAbsSumValue: number, inputSize: number, gradientAbsSum: () => number): void {
  const step = state.steps;
  if (!Number.isFinite(inputAbsSumValue)) {
    const g = gradientAbsSum();
    if (!Number.isFinite(g)) {
      throw new RunDivergedError(step, 'gradient', g, 'Look for log(0) or a division by zero in the objective, or lower the learning rate.', `the gradient is ${g}`);
    }
    throw new RunDivergedError(step, 'input', inputAbsSumValue, 'Lower the learning rate.', `the optimised input became ${inputAbsSumValue}`);
  }
  const inputMeanAbs = inputAbsSumValue / inputSize;
  const startScale = state.startScale ?? 0;
  const limit = INPUT_GROWTH_LIMIT * Math.max(startScale, 1);
  if (inputMeanAbs > limit) {
    throw new RunDivergedError(
      step,
      'input',
      inputMeanAbs,
      'The step size is far too large for this objective: lower the learning rate.',
      `the optimised input's mean |x| grew from ${startScale.toPrecision(3)} to ${inputMeanAbs.toPrecision(3)} (limit ${limit.toPrecision(3)})`,
    );
  }
}
