import * as tf from '@tensorflow/tfjs';
import { nativeMatMulActive } from '../backend/native-matmul';
import { tidyGrad } from './tidy-grad';

/**
 * Below this many tokens the batched 4-D products stay: at 5 tokens × 16 restarts the
 * per-head loop would issue thousands of tiny products per step, each with its own call cost.
 */
export const PER_HEAD_MIN_TOKENS = 32;

/**
 * On where XNNPACK runs the products (not on the system BLAS, below) unless
 * `REPSCOPE_PER_HEAD_ATTENTION=0`. Once its head blocks were gathers (tfjs-wasm's
 * Slice copies its whole input per call), it won on the idle 2-core machine, same minutes,
 * 2 threads: hybrid 224² step 310 → 217 ms (1 block) and 1332 → 990 ms (4 blocks); training
 * GPT-2 4 × 256 at 16 × 128 tokens 6923 → 6504 ms per step (bench/README.md).
 */
export function perHeadAttentionEnabled(): boolean {
  // Its reason is XNNPACK's scalar loop for batched products; the system BLAS runs those per batch
  // at full rate, and there the per-head gathers cost more than they save (ViT-B/16 12 blocks,
  // one profiled step: 1955 → 1100 ms with the batched products; GatherV2 was 44 % of it).
  // REPSCOPE_PER_HEAD_ATTENTION=1 asks for it anyway, =0 never.
  const setting = process.env['REPSCOPE_PER_HEAD_ATTENTION'];
  return setting === '1' || (setting !== '0' && !nativeMatMulActive());
}

type Saver = (tensors: tf.Tensor[]) => void;

/**
 * Scaled dot-product attention from the fused q|k|v projection [b, n, 3d] to the merged head
 * outputs z [b, n, d], as 2-D products per (item, head) with a hand-written gradient.
 *
 * Why: tfjs-wasm runs batched (4-D) matMul and any product with a transposed operand in a
 * scalar loop, while a plain 2-D product goes to XNNPACK (measured 19.8 vs 10.7 ms forward for
 * 12 heads × 197 tokens, and tfjs's own gradient adds transposed products). Every product here,
 * forward and backward, is 2-D with no transposed operand; the transposes it needs are explicit
 * copies of [dh, n] or [n, n] blocks.
 *
 * Same function as `attention()` in layers.ts; the pattern is not an output, so a forward pass
 * that wants `attn.hook_pattern` (or a hook on it) takes the plain path instead. The gradient is
 * with respect to q|k|v only — attention has no parameters, so it is exact for trainable
 * projections too.
 */
export function perHeadAttention(qkv: tf.Tensor3D, heads: number, causalMask: tf.Tensor2D | undefined): tf.Tensor3D {
  const [b, n, d3] = qkv.shape;
  const d = d3 / 3;
  const dh = d / heads;
  const scale = 1 / Math.sqrt(dh);
  const op = tf.customGrad(((input: tf.Tensor3D, save: Saver) => {
    // [b, n, 3h, dh] → [b, 3h, n, dh]: every head's q, k and v as a contiguous [n, dh] block.
    const blocks = headBlocks(input, heads, scale);
    const kT = tf.transpose(headRange(blocks, heads, heads), [0, 1, 3, 2]);
    const patterns: tf.Tensor2D[] = [];
    const rows: tf.Tensor2D[] = [];
    for (let i = 0; i < b; i++) {
      const zHeads: tf.Tensor2D[] = [];
      for (let h = 0; h < heads; h++) {
        let scores = tf.matMul(block(blocks, i, h, n, dh), block(kT, i, h, dh, n));
        if (causalMask) scores = tf.add(scores, causalMask);
        const p = tf.softmax(scores) as tf.Tensor2D;
        patterns.push(p);
        zHeads.push(tf.matMul(p, block(blocks, i, 2 * heads + h, n, dh)));
      }
      rows.push(tf.concat(zHeads, 1));
    }
    save([blocks, ...patterns]);
    return {
      value: tf.reshape(tf.concat(rows, 0), [b, n, d]),
      // In a tidy: tfjs runs a custom gradient outside one, so every per-head intermediate
      // below would otherwise live until the whole backward pass ends (tidy-grad.ts).
      gradFunc: tidyGrad((dz: tf.Tensor, saved: tf.Tensor[]) => {
        const [kept, ...ps] = saved as [tf.Tensor4D, ...tf.Tensor2D[]];
        const dzHeads = tf.transpose(tf.reshape(dz, [b, n, heads, dh]), [0, 2, 1, 3]);
        // vᵀ per head, [b, h, dh, n], for dP = dZ·Vᵀ without a transposed operand.
        const vT = tf.transpose(headRange(kept, 2 * heads, heads), [0, 1, 3, 2]);
        const out: tf.Tensor2D[] = [];
        for (let i = 0; i < b; i++) {
          const dq: tf.Tensor2D[] = [];
          const dk: tf.Tensor2D[] = [];
          const dv: tf.Tensor2D[] = [];
          for (let h = 0; h < heads; h++) {
            const p = ps[i * heads + h]!;
            const dzHead = block(dzHeads, i, h, n, dh);
            const dp = tf.matMul(dzHead, block(vT, i, h, dh, n));
            // Softmax backward: dS = P ⊙ (dP − Σ_j dP⊙P); masked entries have P = 0.
            const ds = tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), 1, true)));
            dq.push(tf.mul(tf.matMul(ds, block(kept, i, heads + h, n, dh)), scale));
            dk.push(tf.matMul(tf.transpose(ds), block(kept, i, h, n, dh)));
            dv.push(tf.matMul(tf.transpose(p), dzHead));
          }
          out.push(tf.concat([...dq, ...dk, ...dv], 1));
        }
        return tf.reshape(tf.concat(out, 0), [b, n, d3]);
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor3D) => tf.Tensor3D;
  return op(qkv);
}

/** [b, n, 3d] → [b, 3h, n, dh] with q already multiplied by `scale` (so q·kᵀ needs no rescaling). */
function headBlocks(qkv: tf.Tensor3D, heads: number, scale: number): tf.Tensor4D {
  const [b, n, d3] = qkv.shape;
  const dh = d3 / 3 / heads;
  const all = tf.transpose(tf.reshape(qkv, [b, n, 3 * heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
  // One product by [scale × h, 1 × 2h] instead of slicing q out and concatenating (see block()).
  const factors = tf.tensor4d(Array.from({ length: 3 * heads }, (_, i) => (i < heads ? scale : 1)), [1, 3 * heads, 1, 1]);
  return tf.mul(all, factors);
}

/** Blocks first…first+count−1 of a [b, blocks, rows, cols] tensor (a gather: no whole-tensor copy). */
function headRange(t: tf.Tensor4D, first: number, count: number): tf.Tensor4D {
  return tf.gather(t, Array.from({ length: count }, (_, i) => first + i), 1);
}

/**
 * One contiguous [rows, cols] block of a [b, blocks, rows, cols] tensor, as a gather of one row
 * of its [b·blocks, rows·cols] view: tfjs-wasm's Slice copies its whole input to JavaScript
 * first (readSync), so a slice per block costs the size of the tensor, not of the block.
 */
function block(t: tf.Tensor, item: number, index: number, rows: number, cols: number): tf.Tensor2D {
  const [b, blocks] = t.shape as [number, number];
  return tf.reshape(tf.gather(tf.reshape(t, [b * blocks, rows * cols]), [item * blocks + index]), [rows, cols]);
}
