import * as tf from '@tensorflow/tfjs';
import { attention, CausalMasks, splitHeads } from './layers';
import type { TransformerBlock } from './transformer-block';

/** Keys and values of a fixed prefix, per block, [1, heads, prefixLength, headDim]. */
export interface PastKeyValues {
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
}

/**
 * Run a prefix [1, n, d] through causal blocks once, keeping each block's keys and values.
 * Verifying a candidate for the next position then costs one position per block instead of
 * the whole prefix (the KV cache of incremental decoding). The caller owns the result.
 */
export function prefixKeyValues(prefix: tf.Tensor3D, blocks: TransformerBlock[], heads: number, activation: (x: tf.Tensor) => tf.Tensor): PastKeyValues {
  const masks = new CausalMasks();
  try {
    return tf.tidy(() => {
      const keys: tf.Tensor4D[] = [];
      const values: tf.Tensor4D[] = [];
      let x: tf.Tensor = prefix;
      for (const b of blocks) {
        const [q, k, v] = tf.split(b.qkv.apply(b.ln1.apply(x)), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const kh = splitHeads(k, heads);
        const vh = splitHeads(v, heads);
        keys.push(kh);
        values.push(vh);
        x = tf.add(x, b.attnOut.apply(attention(splitHeads(q, heads), kh, vh, masks).z));
        x = tf.add(x, b.mlpOut.apply(activation(b.fc.apply(b.ln2.apply(x)))));
      }
      return { keys, values };
    });
  } finally {
    masks.dispose();
  }
}

/**
 * The residual stream after `blocks` at the position following a cached prefix, for a batch
 * of candidate inputs [B, 1, d] (token + position embedding). Differentiable in `next`; the
 * prefix's keys and values are constants. Returns [B, 1, d].
 */
export function runBlocksAfterPrefix(next: tf.Tensor3D, blocks: TransformerBlock[], past: PastKeyValues, heads: number, activation: (x: tf.Tensor) => tf.Tensor): tf.Tensor3D {
  let x: tf.Tensor = next;
  blocks.forEach((b, i) => {
    const [q, k, v] = tf.split(b.qkv.apply(b.ln1.apply(x)), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    x = tf.add(x, b.attnOut.apply(attendAfterPrefix(q, k, v, past.keys[i]!, past.values[i]!, heads)));
    x = tf.add(x, b.mlpOut.apply(activation(b.fc.apply(b.ln2.apply(x)))));
  });
  return x as tf.Tensor3D;
}

/** One position's attention over the cached prefix and itself, for B candidates at once ([B, 1, d] in and out). */
function attendAfterPrefix(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, pastKeys: tf.Tensor4D, pastValues: tf.Tensor4D, heads: number): tf.Tensor3D {
  const [batch, , d] = q.shape as [number, number, number];
  const dh = d / heads;
  const byHead = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [batch, heads, dh]), [1, 0, 2]) as tf.Tensor3D; // [h, B, dh]
  const mixed = attendOnePosition(byHead(q), byHead(k), byHead(v), tf.squeeze(pastKeys, [0]), tf.squeeze(pastValues, [0]), 1 / Math.sqrt(dh));
  return tf.reshape(tf.transpose(mixed, [1, 0, 2]), [batch, 1, d]) as tf.Tensor3D;
}

/**
 * Attention of one new position per candidate over a cached prefix and itself, by head:
 * queries, keys and values [h, B, dh], the prefix's keys and values [h, n, dh] → [h, B, dh].
 * The prefix is shared by every candidate, so it enters as one operand of a batched matmul (no
 * copy per candidate): verifying the whole vocabulary costs memory in B·h·n scores, not B·n·d
 * keys. No mask: the new position sees every cached one (a sliding window is applied by
 * caching only the window).
 */
export function attendOnePosition(qh: tf.Tensor3D, kh: tf.Tensor3D, vh: tf.Tensor3D, pastKeys: tf.Tensor3D, pastValues: tf.Tensor3D, scale: number): tf.Tensor3D {
  const pastScores = tf.mul(tf.matMul(qh, pastKeys, false, true), scale); // [h, B, n]
  const ownScore = tf.mul(tf.sum(tf.mul(qh, kh), -1, true), scale); // [h, B, 1]
  // The softmax over [past | own] written out, so its two parts need no slicing (tfjs-wasm's
  // Slice copies its whole input): weights e^(s − m) over their sum.
  const top = tf.maximum(tf.max(pastScores, -1, true), ownScore);
  const pastWeights = tf.exp(tf.sub(pastScores, top));
  const ownWeight = tf.exp(tf.sub(ownScore, top));
  const total = tf.add(tf.sum(pastWeights, -1, true), ownWeight);
  const mixed = tf.add(tf.matMul(pastWeights, pastValues), tf.mul(ownWeight, vh)); // [h, B, dh]
  return tf.div(mixed, total) as tf.Tensor3D;
}

export function disposePast(past: PastKeyValues): void {
  tf.dispose([...past.keys, ...past.values]);
}

