import * as tf from '@tensorflow/tfjs';
import { checkInput, checkObjective, descentState, DescentState, inputAbsSum, INPUT_CHECK_EVERY } from './divergence-guard';
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
 *
 * Reads synchronously, so it fails on the webgpu backend: plugins use `descentStepAsync`,
 * which runs on every backend at the same speed on wasm.
 */
export function descentStep(x: tf.Variable, objective: (x: tf.Tensor) => tf.Tensor1D, optimizer: Optimizer, gradientMask?: tf.Tensor): Float32Array {
  const step = descend(x, objective, optimizer, gradientMask);
  try {
    const values = step.readback.dataSync() as Float32Array;
    return step.finish(values, () => readScalar(tf.tidy(() => tf.sum(tf.abs(step.applied)))));
  } finally {
    step.dispose();
  }
}

/**
 * `descentStep` with an asynchronous read of the objective values: the form a GPU backend
 * needs (WebGPU in Node cannot read a tensor synchronously) and one that lets the GPU
 * queue run ahead of JavaScript. Same guard.
 */
export async function descentStepAsync(x: tf.Variable, objective: (x: tf.Tensor) => tf.Tensor1D, optimizer: Optimizer, gradientMask?: tf.Tensor): Promise<Float32Array> {
  const step = descend(x, objective, optimizer, gradientMask);
  try {
    const values = (await step.readback.data()) as Float32Array;
    // The gradient is read only when the input went non-finite, to say which one did.
    const inputBroke = step.checksInput && !Number.isFinite(values[values.length - step.extra]!);
    const gradientSum = inputBroke ? await readScalarAsync(tf.tidy(() => tf.sum(tf.abs(step.applied)))) : NaN;
    return step.finish(values, () => gradientSum);
  } finally {
    step.dispose();
  }
}

interface PendingStep {
  /** Per-item objective values, then the `extra` values. */
  readback: tf.Tensor1D;
  checksInput: boolean;
  /** Values after the per-item ones: Σ|x| after the update (checksInput), then Σ|x| before it (first step). */
  extra: number;
  applied: tf.Tensor;
  finish(values: Float32Array, gradientAbsSum: () => number): Float32Array;
  dispose(): void;
}

/** The update itself, and what to read back; the caller reads it (sync or async) and calls finish. */
function descend(x: tf.Variable, objective: (x: tf.Tensor) => tf.Tensor1D, optimizer: Optimizer, gradientMask: tf.Tensor | undefined): PendingStep {
  const state: DescentState = descentState(x);
  let perItem: tf.Tensor1D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    perItem = tf.keep(objective(x));
    return tf.sum(perItem) as tf.Scalar;
  }, [x]);
  const g = grads[x.name]!;
  const applied = gradientMask ? tf.mul(g, gradientMask) : g;
  const owned: tf.Tensor[] = [g, applied, perItem!, value];
  try {
    // The first step also reads Σ|x| before its update: the scale growth is measured against.
    const before = state.startScale === undefined ? inputAbsSum(x) : undefined;
    if (before) owned.push(before);
    optimizer.step(x, applied);
    const checksInput = state.steps % INPUT_CHECK_EVERY === 0;
    const extra = (before ? 1 : 0) + (checksInput ? 1 : 0);
    const readback = extra ? tf.tidy(() => tf.concat([perItem!.dtype === 'float32' ? perItem! : tf.cast(perItem!, 'float32'), ...(checksInput ? [inputAbsSum(x)] : []), ...(before ? [before] : [])]) as tf.Tensor1D) : perItem!;
    if (extra) owned.push(readback);
    return {
      readback,
      checksInput,
      extra,
      applied,
      finish(values, gradientAbsSum) {
        const n = values.length - extra;
        const perItemValues = extra ? values.slice(0, n) : values;
        if (before) state.startScale = values[values.length - 1]! / x.size;
        checkObjective(state, perItemValues);
        if (checksInput) checkInput(state, values[n]!, x.size, gradientAbsSum);
        state.steps++;
        return perItemValues;
      },
      dispose: () => tf.dispose(owned),
    };
  } catch (err) {
    tf.dispose(owned);
    throw err;
  }
}

function readScalar(t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

async function readScalarAsync(t: tf.Tensor): Promise<number> {
  const v = (await t.data())[0]!;
  t.dispose();
  return v;
}

/** ∂/∂x of Σ objective(x) without updating anything (for walks and diagnostics). Caller disposes. */
export function inputGradient(x: tf.Tensor, objective: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.grad((inp: tf.Tensor) => tf.sum(objective(inp)) as tf.Scalar)(x));
}
