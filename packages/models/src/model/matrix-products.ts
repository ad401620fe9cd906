import * as tf from '@tensorflow/tfjs';
import { nativeTakesProduct } from '../backend/native-matmul';

/*
 * Products with a transposed operand, in whichever layout the kernel that will run them is fast
 * at. XNNPACK (tfjs-wasm) runs `transposeA`/`transposeB` products 7–25× slower than plain ones,
 * so for it we transpose the small operand (or the result) explicitly; the system BLAS takes a
 * transposed operand for free, so where it runs the product we ask for it directly and skip the
 * copies — for the LM head that is the difference between 2.3× and 3.1× over XNNPACK (issue 24).
 */

/** x·Mᵀ [rows, out] for x [rows, in] and M [out, in]. */
export function timesTransposed(x: tf.Tensor2D, matrix: tf.Tensor2D): tf.Tensor2D {
  if (nativeTakesProduct(x.shape[0], matrix.shape[0], matrix.shape[1])) return tf.matMul(x, matrix, false, true);
  return tf.transpose(tf.matMul(matrix, tf.transpose(x))) as tf.Tensor2D;
}

/** x·Wᵀ for a weight W [in, out] kept as is (the input gradient dy·Wᵀ of a linear layer). */
export function timesWeightTransposed(dy: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  if (nativeTakesProduct(dy.shape[0], weight.shape[0], weight.shape[1])) return tf.matMul(dy, weight, false, true);
  return tf.transpose(tf.matMul(weight, tf.transpose(dy))) as tf.Tensor2D;
}
