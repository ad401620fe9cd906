import * as tf from '@tensorflow/tfjs';
import { CholeskyDecomposition, Matrix, pseudoInverse } from 'ml-matrix';
import type { TokenModel } from '../model/types';
import { embeddingHash, readGramPinv, repscopeCacheDir, writeGramPinv } from './gram-pinv-disk-cache';

/**
 * (WᵀW)⁺ per embedding identity, on the host (not a tensor: it outlives runs without counting
 * as a leak); across processes, on disk under the user's cache folder (gram-pinv-disk-cache.ts).
 */
const gramPinvCache = new Map<string, { d: number; values: Float32Array }>();

/**
 * (WᵀW)⁺ for W = W_E [V, d]. W⁺ = (WᵀW)⁺Wᵀ holds for any W, so decoding through it is the
 * Moore–Penrose pseudo-inverse even when W is rank-deficient. TF.js has no SVD; the d×d
 * pseudo-inverse is computed in float64 by ml-matrix, and WᵀW by TF.js from W_Eᵀ·W_E
 * (no transposed operand: fast on wasm).
 */
export async function gramPseudoInverse(model: TokenModel): Promise<tf.Tensor2D> {
  let cached = gramPinvCache.get(model.embeddingId);
  if (!cached) {
    const w = model.tokenEmbeddingMatrix();
    const d = w.shape[1];
    const dir = repscopeCacheDir();
    const key = dir ? embeddingHash((await w.data()) as Float32Array, d) : undefined;
    const fromDisk = dir && key ? readGramPinv(dir, key, d) : undefined;
    cached = { d, values: fromDisk ?? (await computeGramPinv(w)) };
    if (dir && key && !fromDisk) writeGramPinv(dir, key, d, cached.values);
    gramPinvCache.set(model.embeddingId, cached);
  }
  return tf.tensor2d(cached.values, [cached.d, cached.d]);
}

async function computeGramPinv(w: tf.Tensor2D): Promise<Float32Array> {
  const gram = gramMatrix(w);
  const d = gram.shape[0];
  let values: Float32Array;
  try {
    values = (await gram.data()) as Float32Array;
  } finally {
    gram.dispose();
  }
  const rows: number[][] = [];
  for (let i = 0; i < d; i++) rows.push(Array.from(values.subarray(i * d, (i + 1) * d)));
  return Float32Array.from(invertGram(new Matrix(rows)).to1DArray());
}

/**
 * WᵀW summed over row blocks (each block transposed, multiplied, freed), so neither a full
 * Wᵀ copy nor a long-lived packed copy of W stays in the wasm heap.
 */
function gramMatrix(w: tf.Tensor2D): tf.Tensor2D {
  const [rows, d] = w.shape;
  let acc = tf.zeros([d, d]) as tf.Tensor2D;
  for (let start = 0; start < rows; start += 8192) {
    const next = tf.tidy(() => {
      const block = tf.slice(w, [start, 0], [Math.min(8192, rows - start), d]);
      return tf.add(acc, tf.matMul(tf.transpose(block), block)) as tf.Tensor2D;
    });
    acc.dispose();
    acc = next;
  }
  return acc;
}

/**
 * WᵀW is symmetric positive definite when W has full column rank (any trained or random
 * embedding): Cholesky inverts it in ~2 s for d = 768. A rank-deficient W falls back to the
 * SVD pseudo-inverse (~10 s), which is exact in that case too.
 */
function invertGram(gram: Matrix): Matrix {
  const chol = new CholeskyDecomposition(gram);
  if (chol.isPositiveDefinite()) {
    const inv = chol.solve(Matrix.eye(gram.rows));
    if (inv.to1DArray().every(Number.isFinite)) return inv;
  }
  return pseudoInverse(gram);
}

const normCache = new Map<string, Float32Array>();

/** ‖W_E[s]‖ for every token s, cached per embedding identity. */
export async function rowNorms(model: TokenModel): Promise<tf.Tensor1D> {
  let cached = normCache.get(model.embeddingId);
  if (!cached) {
    const norms = tf.tidy(() => tf.norm(model.tokenEmbeddingMatrix(), 'euclidean', 1));
    try {
      cached = Float32Array.from((await norms.data()) as Float32Array);
    } finally {
      norms.dispose();
    }
    normCache.set(model.embeddingId, cached);
  }
  return tf.tensor1d(cached);
}
