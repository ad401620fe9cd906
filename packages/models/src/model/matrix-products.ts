import * as tf from '@tensorflow/tfjs';
import { nativeTakesProduct } from '../backend/native-matmul';
import { HeldMatrix, rowPieces, SplitMatrix } from './split-matrix';

/*
 * Products with a transposed operand, in whichever layout the kernel that will run them is fast
 * at. XNNPACK (tfjs-wasm) runs `transposeA`/`transposeB` products 7–25× slower than plain ones,
 * so for it we transpose the small operand (or the result) explicitly; the system BLAS takes a
 * transposed operand for free, so where it runs the product we ask for it directly and skip the
 * copies — for the LM head that is the difference between 2.3× and 3.1× over XNNPACK (issue 24).
 *
 * On webgpu a tensor over the device's storage-binding limit cannot be read or written by any
 * kernel: a weight that large is held in row blocks (split-matrix.ts), and a product whose
 * result would be that large (the logits [rows, V] of many rows) runs over pieces of x's rows,
 * joined by buffer copies (backend/webgpu-row-copies.ts). Elsewhere neither happens.
 */

/** x·Mᵀ [rows, out] for x [rows, in] and M [out, in]. */
export function timesTransposed(x: tf.Tensor2D, matrix: HeldMatrix): tf.Tensor2D {
  const pieces = rowPieces(x.shape[0], matrix.shape[0]);
  if (matrix instanceof SplitMatrix || pieces.length > 1) {
    const blocks = matrix instanceof SplitMatrix ? matrix.blocks : [matrix];
    return inRowPieces(x, pieces, (rows) => joinColumns(blocks.map((b) => timesTransposedWhole(rows, b))));
  }
  return timesTransposedWhole(x, matrix);
}

function timesTransposedWhole(x: tf.Tensor2D, matrix: tf.Tensor2D): tf.Tensor2D {
  if (nativeTakesProduct(x.shape[0], matrix.shape[0], matrix.shape[1])) return tf.matMul(x, matrix, false, true);
  return tf.transpose(tf.matMul(matrix, tf.transpose(x))) as tf.Tensor2D;
}

/** dy·M [rows, in] for dy [rows, out] and M [out, in]: the input gradient of x·Mᵀ. */
export function timesMatrix(dy: tf.Tensor2D, matrix: HeldMatrix): tf.Tensor2D {
  const pieces = rowPieces(dy.shape[0], dy.shape[1]);
  if (!(matrix instanceof SplitMatrix) && pieces.length === 1) return tf.matMul(dy, matrix);
  return inRowPieces(dy, pieces, (rows) => (matrix instanceof SplitMatrix ? sumOverBlocks(rows, matrix) : (tf.matMul(rows, matrix) as tf.Tensor2D)));
}

/** Σ_b dy[:, rows of block b]·M_b: the product with M's blocks, each column range of dy against its block. */
function sumOverBlocks(dy: tf.Tensor2D, m: SplitMatrix): tf.Tensor2D {
  const parts = m.blocks.map((b, i) => tf.matMul(tf.slice(dy, [0, m.starts[i]!], [-1, b.shape[0]]), b) as tf.Tensor2D);
  return parts.length === 1 ? parts[0]! : (tf.addN(parts) as tf.Tensor2D);
}

function joinColumns(parts: tf.Tensor2D[]): tf.Tensor2D {
  return parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as tf.Tensor2D);
}

/** f over consecutive pieces of x's rows, results stacked (each piece freed once joined). */
function inRowPieces(x: tf.Tensor2D, pieces: number[], f: (rows: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
  if (pieces.length === 1) return f(x);
  const outs: tf.Tensor2D[] = [];
  let start = 0;
  for (const count of pieces) {
    const from = start;
    outs.push(tf.tidy(() => f(tf.slice(x, [from, 0], [count, -1]))));
    start += count;
  }
  const joined = tf.concat(outs, 0) as tf.Tensor2D;
  tf.dispose(outs);
  return joined;
}

/** x·Wᵀ for a weight W [in, out] kept as is (the input gradient dy·Wᵀ of a linear layer). */
export function timesWeightTransposed(dy: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  if (nativeTakesProduct(dy.shape[0], weight.shape[0], weight.shape[1])) return tf.matMul(dy, weight, false, true);
  return tf.transpose(tf.matMul(weight, tf.transpose(dy))) as tf.Tensor2D;
}
