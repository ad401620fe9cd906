import * as tf from '@tensorflow/tfjs';
import { frozenLayerNorm } from './frozen-layer-norm';
import { timesMatrix, timesTransposed, timesWeightTransposed } from './matrix-products';
import { HeldMatrix, SplitMatrix } from './split-matrix';
import { tidyGrad } from './tidy-grad';
import { isTrainable, trainableLinear, trainableTransposedLinear } from './trainable';

/**
 * y = x·W + b for a frozen W [in, out]. The gradient with respect to x is dy·Wᵀ; tfjs's
 * matMul gradient computes it with `transposeB`, which the wasm backend runs 7–25× slower
 * than a plain product. We give the gradient ourselves as (W·dyᵀ)ᵀ: no transposed operand
 * and no stored copy of Wᵀ. (A stored Wᵀ measured 3% faster per GPT-2 step but cost 450 MB
 * more; see bench/README.md.) Where the system BLAS runs the product it takes dy·Wᵀ directly
 * (matrix-products.ts). No gradient flows to W or b: parameters stay frozen — unless
 * W is a trainable tf.Variable (a model built for training, see trainable.ts).
 */
export class FrozenLinear {
  private readonly op: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly weight: tf.Tensor2D,
    readonly bias?: tf.Tensor1D,
  ) {
    const [inDim, outDim] = weight.shape;
    if (isTrainable(weight)) {
      this.op = trainableLinear(weight, bias);
      return;
    }
    this.op = tf.customGrad(((x: tf.Tensor) => {
      const lead = x.shape.slice(0, -1);
      const y = tf.fused.matMul({ a: tf.reshape(x, [-1, inDim]) as tf.Tensor2D, b: weight, bias });
      return {
        value: tf.reshape(y, [...lead, outDim]),
        gradFunc: tidyGrad((dy: tf.Tensor) => tf.reshape(timesWeightTransposed(tf.reshape(dy, [-1, outDim]) as tf.Tensor2D, weight), [...lead, inDim])),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  }

  get inDim(): number {
    return this.weight.shape[0];
  }

  get outDim(): number {
    return this.weight.shape[1];
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.op(x);
  }

  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}

/**
 * y = x·Mᵀ for a frozen M [out, in] held as is — the tied LM head, where M is the token
 * embedding W_E [V, d]. Both directions avoid a transposed operand and any copy of M:
 * forward (M·xᵀ)ᵀ, backward dy·M. M may be held in row blocks (webgpu, over the device's
 * binding limit): then each block gives its columns of y, and its share of dy·M.
 */
export class TransposedFrozenLinear {
  private readonly op: (x: tf.Tensor) => tf.Tensor;

  constructor(readonly matrix: HeldMatrix) {
    const [outDim, inDim] = matrix.shape;
    if (!(matrix instanceof SplitMatrix) && isTrainable(matrix)) {
      this.op = trainableTransposedLinear(matrix);
      return;
    }
    this.op = tf.customGrad(((x: tf.Tensor) => {
      const lead = x.shape.slice(0, -1);
      const y = timesTransposed(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, matrix);
      return {
        value: tf.reshape(y, [...lead, outDim]),
        gradFunc: tidyGrad((dy: tf.Tensor) => tf.reshape(timesMatrix(tf.reshape(dy, [-1, outDim]) as tf.Tensor2D, matrix), [...lead, inDim])),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  }

  apply(x: tf.Tensor): tf.Tensor {
    return this.op(x);
  }
}

/** Scores x·Mᵀ [rows, V] for vectors x [rows, d] against rows of M [V, d] (whole or in row blocks), without transposing M. */
export function scoresAgainstRows(x: tf.Tensor2D, matrix: HeldMatrix): tf.Tensor2D {
  return tf.tidy(() => timesTransposed(x, matrix));
}

/**
 * Layer norm as plain differentiable ops: gradients flow to γ and β too. The trainable path
 * uses this; frozen models use `frozenLayerNorm` (same value, cheaper input gradient).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  });
}

export class LayerNorm {
  constructor(
    readonly gamma: tf.Tensor1D,
    readonly beta: tf.Tensor1D,
    readonly epsilon: number,
  ) {}

  apply(x: tf.Tensor): tf.Tensor {
    // The frozen kernel's gradient reaches only x; a trained γ and β need the plain ops.
    return isTrainable(this.gamma) ? layerNorm(x, this.gamma, this.beta, this.epsilon) : frozenLayerNorm(x, this.gamma, this.beta, this.epsilon);
  }

  dispose(): void {
    this.gamma.dispose();
    this.beta.dispose();
  }
}

const GELU_K1 = 2 * Math.sqrt(2 / Math.PI);
const GELU_K3 = GELU_K1 * 0.044715;

/**
 * GPT-2's `gelu_new`, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as the identical
 * x·σ(2√(2/π)·(x + 0.044715·x³)) because tfjs-wasm's sigmoid is 5× faster than its tanh
 * and x·x·x than pow(x, 3).
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return geluTanhOp(x);
}

/**
 * With its derivative written out, σ(u) + x·σ(u)(1 − σ(u))·(K1 + 3·K3·x²) for u = x(K1 + K3x²):
 * five kernels on the [tokens × 4d] activation where autodiff of the chain above takes about
 * twelve. GELU has no parameters, so this is exact on any path.
 */
const geluTanhOp = tf.customGrad(((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
  const x2 = tf.square(x);
  const s = tf.sigmoid(tf.mul(x, tf.add(tf.mul(x2, GELU_K3), GELU_K1)));
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: tidyGrad((dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, sig] = saved as [tf.Tensor, tf.Tensor];
      const slope = tf.add(tf.mul(tf.square(input), 3 * GELU_K3), GELU_K1);
      const dsig = tf.mul(sig, tf.sub(1, sig));
      return tf.mul(dy, tf.add(sig, tf.mul(tf.mul(input, dsig), slope)));
    }),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/** Exact GELU (ViT, PyTorch nn.GELU()): 0.5·x·(1 + erf(x/√2)). */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return geluErfOp(x);
}

/**
 * With its derivative written out, Φ(x) + x·φ(x) = 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π),
 * so only x is kept for the backward pass. Autodiff of the chain above kept its intermediates
 * and made more in the backward pass: a ViT-B/16 step peaked at 1202 MB RSS, now 854 (issue 24).
 */
const geluErfOp = tf.customGrad(((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
  save([x]);
  return {
    value: tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)),
    gradFunc: tidyGrad((dy: tf.Tensor, saved: tf.Tensor[]) => {
      const input = saved[0]!;
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(input, Math.SQRT1_2)), 1), 0.5);
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(input), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return tf.mul(dy, tf.add(cdf, tf.mul(input, pdf)));
    }),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/** Additive causal masks [n, n] (0 on and below the diagonal, −1e9 above), one per length, owned by a model. */
export class CausalMasks {
  private readonly masks = new Map<number, tf.Tensor2D>();

  get(n: number): tf.Tensor2D {
    let mask = this.masks.get(n);
    if (!mask) {
      const values = new Float32Array(n * n);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) values[i * n + j] = -1e9;
      mask = tf.keep(tf.tensor2d(values, [n, n]));
      this.masks.set(n, mask);
    }
    return mask;
  }

  dispose(): void {
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }
}

/** [b, n, h·dh] → [b, h, n, dh] */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [b, n, d] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [b, n, heads, d / heads]), [0, 2, 1, 3]);
}

/** [b, h, n, dh] → [b, n, h·dh] */
export function mergeHeads(x: tf.Tensor): tf.Tensor3D {
  const [b, h, n, dh] = x.shape as [number, number, number, number];
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, n, h * dh]);
}

/**
 * Scaled dot-product attention over heads. Returns the pattern (softmax weights) and the
 * merged head outputs. `kT` is passed pre-transposed ([b, h, dh, n]) so no product needs
 * `transposeB`.
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, causal: CausalMasks | undefined): { pattern: tf.Tensor4D; z: tf.Tensor3D } {
  const dh = q.shape[3];
  const n = q.shape[2];
  const kT = tf.transpose(k, [0, 1, 3, 2]);
  let scores = tf.mul(tf.matMul(q, kT), 1 / Math.sqrt(dh));
  if (causal) scores = tf.add(scores, causal.get(n));
  const pattern = tf.softmax(scores) as tf.Tensor4D;
  return { pattern, z: mergeHeads(tf.matMul(pattern, v)) };
}
