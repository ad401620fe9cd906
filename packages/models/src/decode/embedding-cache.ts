import * as tf from '@tensorflow/tfjs';
import { Matrix, pseudoInverse } from 'ml-matrix';
import type { TokenModel } from '../model/types';
import type { HeldMatrix } from '../model/split-matrix';
import { tokenEmbeddingRows } from '../model/token-embedding-rows';
import { createEmbeddingHash, readGramPinv, repscopeCacheDir, writeGramPinv } from './gram-pinv-disk-cache';
import { addBlockGram, mirrorUpper } from './host-kernels';
import { BLOCK_ROWS, forEachRowBlock, rowBlock } from './row-blocks';

/**
 * (WᵀW)⁺ per embedding identity, on the host (not a tensor: it outlives runs without counting
 * as a leak); across processes, on disk under the user's cache folder (gram-pinv-disk-cache.ts).
 * Only the d×d matrix is kept, never W⁺ itself: W⁺ is [d, V] (671 MB for Gemma 3's
 * 262144 × 640), and decoding applies it as ((e − e_pos)·(WᵀW)⁺)·Wᵀ, through W.
 */
const gramPinvCache = new Map<string, { d: number; values: Float32Array }>();

/**
 * (WᵀW)⁺ for W = W_E [V, d]. W⁺ = (WᵀW)⁺Wᵀ holds for any W, so decoding through it is the
 * Moore–Penrose pseudo-inverse even when W is rank-deficient. WᵀW is summed over blocks of
 * rows; the d×d inverse is taken in float64 on the host.
 */
export async function gramPseudoInverse(model: TokenModel): Promise<tf.Tensor2D> {
  let cached = gramPinvCache.get(model.embeddingId);
  if (!cached) {
    const w = tokenEmbeddingRows(model);
    const d = w.shape[1];
    const dir = repscopeCacheDir();
    const key = dir ? await embeddingKey(w) : undefined;
    const fromDisk = dir && key ? readGramPinv(dir, key, d) : undefined;
    cached = { d, values: fromDisk ?? Float32Array.from(invertGram(await gramMatrix(w), d)) };
    if (dir && key && !fromDisk) writeGramPinv(dir, key, d, cached.values);
    gramPinvCache.set(model.embeddingId, cached);
  }
  return tf.tensor2d(cached.values, [cached.d, cached.d]);
}

/** The disk cache's key, hashed block by block: the same digest as hashing W's bytes at once. */
async function embeddingKey(w: HeldMatrix): Promise<string> {
  const hash = createEmbeddingHash(w.shape[1]);
  await forEachRowBlock(w, (values) => hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)));
  return hash.digest('hex');
}

/**
 * WᵀW as Σ blockᵀ·block over blocks of rows (each block transposed, multiplied, freed, so
 * neither a full Wᵀ copy nor a long-lived packed copy of W stays in the wasm heap). The block
 * products are summed on the host in float64: a float32 running sum over 128 blocks (Gemma 3)
 * would round every entry 128 times at its full size. On `cpu` the products themselves are host
 * loops (host-kernels.ts).
 */
async function gramMatrix(w: HeldMatrix): Promise<Float64Array> {
  const [vocab, d] = w.shape;
  const gram = new Float64Array(d * d);
  if (tf.getBackend() === 'cpu') {
    // 256 rows at a time: the four column runs of a dot stay in L1 (measured as fast as 128 or 512).
    const sub = 256;
    const columns = new Float64Array(d * sub);
    await forEachRowBlock(w, (values, _start, rows) => {
      for (let r = 0; r < rows; r += sub) addBlockGram(values.subarray(r * d, Math.min(rows, r + sub) * d), Math.min(sub, rows - r), d, gram, columns);
    });
    mirrorUpper(gram, d);
    return gram;
  }
  for (let start = 0; start < vocab; start += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, vocab - start);
    const product = tf.tidy(() => {
      const block = rowBlock(w, start, rows);
      return tf.matMul(tf.transpose(block), block);
    });
    try {
      const values = (await product.data()) as Float32Array;
      for (let i = 0; i < values.length; i++) gram[i]! += values[i]!;
    } finally {
      product.dispose();
    }
  }
  return gram;
}

/**
 * WᵀW is symmetric positive definite when W has full column rank (any trained or random
 * embedding): its inverse from a Cholesky factor, written out over Float64Arrays with
 * contiguous inner loops (d = 1024: 0.75 s at load average 3; ml-matrix's Cholesky solve
 * against the identity took 13 s). A rank-deficient W falls back to ml-matrix's SVD
 * pseudo-inverse, exact in that case too.
 */
export function invertGram(gram: Float64Array, d: number): Float64Array {
  const inverse = choleskyInverse(gram, d);
  if (inverse) return inverse;
  const rows: number[][] = [];
  for (let i = 0; i < d; i++) rows.push(Array.from(gram.subarray(i * d, (i + 1) * d)));
  return Float64Array.from(pseudoInverse(new Matrix(rows)).to1DArray());
}

/**
 * A⁻¹ = L⁻ᵀL⁻¹ for A = LLᵀ (row-major, d×d), or undefined when A is not numerically positive
 * definite. Each step is a dot or an axpy over rows, so every inner loop runs along memory;
 * about d³/2 multiply-adds in all.
 */
export function choleskyInverse(a: Float64Array, d: number): Float64Array | undefined {
  // L, lower triangle, row-major: L[i][j] = (A[i][j] − Σ_{k<j} L[i][k]·L[j][k]) / L[j][j].
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const li = i * d;
    for (let j = 0; j <= i; j++) {
      const lj = j * d;
      let s = a[li + j]!;
      for (let k = 0; k < j; k++) s -= l[li + k]! * l[lj + k]!;
      if (i === j) {
        // A pivot within float64 rounding of zero is a rank-deficient W (a repeated column gives
        // exactly that), not a tiny positive one: inverting it would return huge garbage.
        if (!(s > a[li + i]! * d * Number.EPSILON) || !Number.isFinite(s)) return undefined;
        l[li + i] = Math.sqrt(s);
      } else {
        l[li + j] = s / l[lj + j]!;
      }
    }
  }
  // M = L⁻¹, lower: row i = (e_i − Σ_{k<i} L[i][k]·row k of M) / L[i][i].
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const mi = i * d;
    for (let k = 0; k < i; k++) {
      const c = l[mi + k]!;
      if (c === 0) continue;
      const mk = k * d;
      for (let j = 0; j <= k; j++) m[mi + j]! -= c * m[mk + j]!;
    }
    const inv = 1 / l[mi + i]!;
    for (let j = 0; j < i; j++) m[mi + j]! *= inv;
    m[mi + i] = inv;
  }
  // A⁻¹ = MᵀM: Σ_k row_kᵀ·row_k over the lower triangle, then mirrored.
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const mk = k * d;
    for (let i = 0; i <= k; i++) {
      const c = m[mk + i]!;
      if (c === 0) continue;
      const oi = i * d;
      for (let j = 0; j <= i; j++) out[oi + j]! += c * m[mk + j]!;
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) out[j * d + i] = out[i * d + j]!;
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) return undefined;
  return out;
}

const normCache = new Map<string, Float32Array>();

/**
 * ‖W_E[s]‖ for every token s, cached per embedding identity (shared: callers must not write to
 * it); summed on the host block by block (tf.norm over W would make a [V, d] square first,
 * another W_E in memory).
 */
export async function rowNorms(model: TokenModel): Promise<Float32Array> {
  let cached = normCache.get(model.embeddingId);
  if (!cached) {
    const w = tokenEmbeddingRows(model);
    const d = w.shape[1];
    const norms = new Float32Array(w.shape[0]);
    await forEachRowBlock(w, (values, start, rows) => {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = r * d; j < (r + 1) * d; j++) s += values[j]! * values[j]!;
        norms[start + r] = Math.sqrt(s);
      }
    });
    cached = norms;
    normCache.set(model.embeddingId, cached);
  }
  return cached;
}
