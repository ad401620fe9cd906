import * as tf from '@tensorflow/tfjs';
import { nativeTakesProduct } from '../backend/native-matmul';
import { tidyGrad } from './tidy-grad';

/**
 * The trainable path. Models are frozen by default: parameters are plain tensors and the
 * layers' custom gradients reach only the input. A model built for training holds its
 * parameters as `tf.Variable`s instead, and each layer then switches to the ops here, which
 * also give the parameter gradients. The forward values are the same ops as the frozen path,
 * so there is still one model implementation. Every gradient avoids transposed operands
 * (tfjs-wasm runs `transposeA`/`transposeB` products several times slower than plain ones,
 * see layers.ts) by transposing the small operand explicitly — except where the system BLAS
 * runs the product (issue 24), which takes transposed operands for free, so we ask it directly.
 */
export function isTrainable(t: tf.Tensor): boolean {
  return t instanceof tf.Variable && t.trainable;
}

type Op = (...args: tf.Tensor[]) => tf.Tensor;

/**
 * y = x·W (+ b) for W [in, out]: dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ dy. Wᵀ is copied per call: a
 * [in, out] weight is far smaller than the [tokens, out] and [in, tokens] activations that the
 * frozen path's (W·dyᵀ)ᵀ transposes, and a trained W changes every step anyway.
 */
export function trainableLinear(weight: tf.Tensor2D, bias: tf.Tensor1D | undefined): (x: tf.Tensor) => tf.Tensor {
  const [inDim, outDim] = weight.shape;
  const forward = (x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D | undefined, save: tf.GradSaveFunc) => {
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
    save([x2]);
    return {
      value: tf.reshape(tf.fused.matMul({ a: x2, b: w, bias: b }), [...lead, outDim]),
      gradFunc: tidyGrad((dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dy2 = tf.reshape(dy, [-1, outDim]) as tf.Tensor2D;
        const x2 = saved[0] as tf.Tensor2D;
        const rows = x2.shape[0];
        const dx = tf.reshape(nativeTakesProduct(rows, inDim, outDim) ? tf.matMul(dy2, w, false, true) : tf.matMul(dy2, tf.transpose(w)), [...lead, inDim]);
        const dw = nativeTakesProduct(inDim, outDim, rows) ? tf.matMul(x2, dy2, true, false) : tf.matMul(tf.transpose(x2), dy2);
        return b ? [dx, dw, tf.sum(dy2, 0)] : [dx, dw];
      }),
    };
  };
  if (bias) {
    const op = tf.customGrad(((x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => forward(x, w, b, save)) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op;
    return (x) => op(x, weight, bias);
  }
  const op = tf.customGrad(((x: tf.Tensor, w: tf.Tensor2D, save: tf.GradSaveFunc) => forward(x, w, undefined, save)) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op;
  return (x) => op(x, weight);
}

/**
 * y = x·Mᵀ for M [out, in] (the tied LM head over W_E). Mᵀ is materialised once per call
 * (the parameter changes every step), far cheaper than transposing the [tokens, vocab]
 * product: dx = dy·M, dM = (xᵀ·dy)ᵀ.
 */
export function trainableTransposedLinear(matrix: tf.Tensor2D): (x: tf.Tensor) => tf.Tensor {
  const [outDim, inDim] = matrix.shape;
  const op = tf.customGrad(((x: tf.Tensor, m: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
    save([x2]);
    return {
      value: tf.reshape(nativeTakesProduct(x2.shape[0], outDim, inDim) ? tf.matMul(x2, m, false, true) : tf.matMul(x2, tf.transpose(m)), [...lead, outDim]),
      gradFunc: tidyGrad((dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dy2 = tf.reshape(dy, [-1, outDim]) as tf.Tensor2D;
        const x = saved[0] as tf.Tensor2D;
        const dm = nativeTakesProduct(outDim, inDim, x.shape[0]) ? tf.matMul(dy2, x, true, false) : tf.transpose(tf.matMul(tf.transpose(x), dy2));
        return [tf.reshape(tf.matMul(dy2, m), [...lead, inDim]), dm];
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op;
  return (x) => op(x, matrix);
}

/**
 * Rows of a trainable table (token embeddings). tfjs's own gather gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks; scatterND sums repeated ids the same way.
 */
export function trainableGather(table: tf.Tensor2D, ids: tf.Tensor2D): tf.Tensor3D {
  const [rows, width] = table.shape;
  const [b, n] = ids.shape;
  const op = tf.customGrad(((t: tf.Tensor2D, save: tf.GradSaveFunc) => {
    // Saved, not closed over: the caller's tidy disposes `ids` before the backward pass.
    save([tf.reshape(ids, [b * n, 1])]);
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(saved[0]!, tf.reshape(dy, [b * n, width]), [rows, width]),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op;
  return op(table) as tf.Tensor3D;
}
