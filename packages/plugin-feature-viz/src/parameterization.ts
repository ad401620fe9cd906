import { tf } from '@repscope/core';

/** The image being optimised, as a function of a trainable variable. */
export interface ImageParam {
  readonly variable: tf.Variable;
  /** [batch, size, size, 3] in [0, 1]-ish image space; differentiable in the variable. */
  toImage(v: tf.Tensor): tf.Tensor4D;
  dispose(): void;
}

/** Pixels are the variable (the seed). Takes ownership of `initial`. */
export function pixelParam(initial: tf.Tensor4D, name: string): ImageParam {
  const variable = tf.variable(initial, true, name);
  initial.dispose();
  return { variable, toImage: (v) => v as tf.Tensor4D, dispose: () => variable.dispose() };
}

/** Lucid's colour decorrelation: the square root of ImageNet's colour covariance, normalised. */
const COLOR_SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];
const MAX_COLUMN_NORM = Math.max(...[0, 1, 2].map((j) => Math.hypot(...COLOR_SVD_SQRT.map((row) => row[j]!))));

/**
 * Lucid's decorrelated Fourier parameterisation: per colour channel, real coefficients (a, b)
 * of cos/sin plane waves over the half spectrum, scaled by 1/frequency so that gradient
 * steps are "whitened"; the image is their inverse DFT, mixed through the decorrelating colour
 * matrix and squashed by a sigmoid. The inverse DFT is written as products with cos/sin basis
 * matrices (TF.js-wasm has no FFT kernels), which is exact and differentiable everywhere.
 */
export function fourierParam(batch: number, size: number, std: number, seed: number, name: string): ImageParam {
  const S = size;
  const F = Math.floor(S / 2) + 1;
  const basis = (n: number, m: number, fn: (x: number) => number) => {
    const data = new Float32Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) data[i * m + j] = fn((2 * Math.PI * i * j) / S);
    return tf.tensor2d(data, [n, m]);
  };
  const cosRows = basis(S, S, Math.cos); // [h, u]
  const sinRows = basis(S, S, Math.sin);
  const cosCols = basis(F, S, Math.cos); // [v, w]
  const sinCols = basis(F, S, Math.sin);
  const scaleData = new Float32Array(S * F);
  for (let u = 0; u < S; u++) {
    for (let v = 0; v < F; v++) {
      const fu = Math.min(u, S - u) / S;
      const fv = v / S;
      scaleData[u * F + v] = 1 / Math.max(Math.hypot(fu, fv), 1 / S) / S;
    }
  }
  const scale = tf.tensor2d(scaleData, [S, F]);
  const color = tf.tensor2d(COLOR_SVD_SQRT.map((row) => row.map((v) => v / MAX_COLUMN_NORM)));
  const init = tf.randomNormal([2, batch * 3, S, F], 0, std, 'float32', seed);
  const variable = tf.variable(init, true, name);
  init.dispose();
  // Σ_u Σ_v a·cos(θ) + b·sin(θ), θ = 2π(uh + vw)/S, with cos(α+β) and sin(α+β) expanded.
  const planes = (coef: tf.Tensor3D, rows: tf.Tensor2D, cols: tf.Tensor2D): tf.Tensor3D => {
    const n = coef.shape[0];
    const byU = tf.reshape(tf.transpose(coef, [1, 0, 2]), [S, n * F]);
    const left = tf.reshape(tf.transpose(tf.reshape(tf.matMul(rows, byU), [S, n, F]), [1, 0, 2]), [n * S, F]);
    return tf.reshape(tf.matMul(left, cols), [n, S, S]) as tf.Tensor3D;
  };
  return {
    variable,
    toImage(v) {
      return tf.tidy(() => {
        const scaled = tf.mul(v, scale);
        const a = tf.squeeze(tf.slice(scaled, [0, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D;
        const b = tf.squeeze(tf.slice(scaled, [1, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D;
        const spatial = tf.add(tf.sub(planes(a, cosRows, cosCols), planes(a, sinRows, sinCols)), tf.add(planes(b, sinRows, cosCols), planes(b, cosRows, sinCols)));
        const nhwc = tf.transpose(tf.reshape(spatial, [batch, 3, S, S]), [0, 2, 3, 1]);
        const mixed = tf.reshape(tf.matMul(tf.reshape(nhwc, [-1, 3]), color, false, true), [batch, S, S, 3]);
        return tf.sigmoid(mixed) as tf.Tensor4D;
      });
    },
    dispose() {
      tf.dispose([variable, cosRows, sinRows, cosCols, sinCols, scale, color]);
    },
  };
}
