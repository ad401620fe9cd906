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
  const batch = next.shape[0];
  let x: tf.Tensor = next;
  blocks.forEach((b, i) => {
    const [q, k, v] = tf.split(b.qkv.apply(b.ln1.apply(x)), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const keys = tf.concat([tf.tile(past.keys[i]!, [batch, 1, 1, 1]), splitHeads(k, heads)], 2) as tf.Tensor4D;
    const values = tf.concat([tf.tile(past.values[i]!, [batch, 1, 1, 1]), splitHeads(v, heads)], 2) as tf.Tensor4D;
    // The last position attends to every earlier one, so no mask is needed.
    x = tf.add(x, b.attnOut.apply(attention(splitHeads(q, heads), keys, values, undefined).z));
    x = tf.add(x, b.mlpOut.apply(activation(b.fc.apply(b.ln2.apply(x)))));
  });
  return x as tf.Tensor3D;
}

export function disposePast(past: PastKeyValues): void {
  tf.dispose([...past.keys, ...past.values]);
}

