import * as tf from '@tensorflow/tfjs';
import type { ParamSource } from '../param-source';
import { FrozenLinear } from '../layers';
import type { VitConfig } from './config';

/**
 * The ViT conv stem (16×16 stride-16 conv, i.e. a linear map of each non-overlapping patch)
 * plus the CLS token. Written as reshape + matmul rather than conv2d: the same function, and
 * its input gradient is a plain product and a transpose, fast on every backend.
 */
export class PatchStem {
  private readonly projection: FrozenLinear;
  readonly cls: tf.Tensor3D;
  readonly positions: tf.Tensor3D;

  constructor(params: ParamSource, readonly config: VitConfig) {
    const get = (n: string) => {
      const p = params.get(n);
      if (!p) throw new Error(`ViT parameter ${n} missing`);
      return p;
    };
    const w = get('embeddings.patch_embeddings.projection.weight');
    const p = config.patchSize;
    const weight = tf.tidy(() => {
      // OIHW [d, C, p, p] → rows ordered (kh, kw, c) to match the patch flattening below.
      const oihw = tf.tensor4d(w.data, w.shape as [number, number, number, number]);
      return tf.reshape(tf.transpose(oihw, [2, 3, 1, 0]), [p * p * config.channels, config.hiddenSize]) as tf.Tensor2D;
    });
    const bias = get('embeddings.patch_embeddings.projection.bias');
    this.projection = new FrozenLinear(weight, tf.tensor1d(bias.data));
    const cls = get('embeddings.cls_token');
    this.cls = tf.tensor3d(cls.data, cls.shape as [number, number, number]);
    const pos = get('embeddings.position_embeddings');
    this.positions = tf.tensor3d(pos.data, pos.shape as [number, number, number]);
  }

  /** NHWC pixels → patch embeddings [b, patches, d] (row-major patch order, as PyTorch flattens). */
  patches(pixels: tf.Tensor4D): tf.Tensor3D {
    const [b, h, w, c] = pixels.shape;
    const p = this.config.patchSize;
    const gh = h / p;
    const gw = w / p;
    const grid = tf.transpose(tf.reshape(pixels, [b, gh, p, gw, p * c]), [0, 1, 3, 2, 4]);
    return tf.reshape(this.projection.apply(tf.reshape(grid, [b * gh * gw, p * p * c])), [b, gh * gw, this.config.hiddenSize]) as tf.Tensor3D;
  }

  /** Prepend the CLS token: [b, patches, d] → [b, patches + 1, d]. */
  withCls(patches: tf.Tensor3D): tf.Tensor3D {
    const b = patches.shape[0];
    return tf.concat([tf.tile(this.cls, [b, 1, 1]), patches], 1);
  }

  parameterCount(): number {
    return this.projection.weight.size + (this.projection.bias?.size ?? 0) + this.cls.size + this.positions.size;
  }

  dispose(): void {
    this.projection.dispose();
    this.cls.dispose();
    this.positions.dispose();
  }
}

/** [0,1] RGB NHWC → the model's pixel input: resized to `size`, then (x − mean)/std per channel. */
export function preprocessImage(rgb01: tf.Tensor4D, size: number, mean: number[] | undefined, std: number[] | undefined): tf.Tensor4D {
  return tf.tidy(() => {
    let x: tf.Tensor4D = rgb01;
    if (x.shape[1] !== size || x.shape[2] !== size) x = tf.image.resizeBilinear(x, [size, size], false, true);
    if (mean && std) x = tf.div(tf.sub(x, tf.tensor1d(mean)), tf.tensor1d(std));
    return x === rgb01 ? tf.clone(x) : x;
  });
}
