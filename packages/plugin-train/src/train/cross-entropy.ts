import { tf } from '@repscope/core';

/**
 * Token rows per piece of the LM head. Peak memory of the loss is about three [rows, V]
 * float32 tensors (logits, softmax, its transpose): 300 MB at 512 rows of GPT-2's vocabulary,
 * instead of several [tokens, V] tensors (411 MB each at 16 × 128 tokens).
 */
export const HEAD_CHUNK_ROWS = 512;

/**
 * Below this, −log p(target) from the softmax could have underflowed (p < 1e-30 means a loss
 * above 69 nats); such a piece takes the exact log-sum-exp instead.
 */
const SMALLEST_TRUSTED_PROBABILITY = 1e-30;

interface HeadPass {
  /** Σ over rows of −log p(target), a scalar. */
  lossSum: tf.Scalar;
  /** d(mean loss)/d(hidden) [rows, d] and d(mean loss)/d(head) [V, d], when asked for. */
  grads?: { hidden: tf.Tensor2D; head: tf.Tensor2D };
}

/**
 * The LM head and the cross-entropy in pieces of `chunkRows` rows. Each piece's softmax is
 * computed once (tfjs-wasm runs Softmax in XNNPACK, several times faster than Exp) and, when
 * `withGrads`, gives the piece's gradients right away: with P the softmax and Y the one-hot
 * targets, d(logits) = (P − Y)/N, so d(hidden) = (P·M − M[t])/N and d(M) = (Pᵀ·H − Σ_rows
 * onehot(t)·H)/N. The −Y terms are a gather and one scatter-add over all rows, never a
 * [rows, V] one-hot. Every product is 2-D with no transposed operand (see layers.ts): Mᵀ is
 * made once per call, Pᵀ once per piece.
 */
function headPass(hidden: tf.Tensor2D, head: tf.Tensor2D, targets: tf.Tensor1D, withGrads: boolean, chunkRows: number): HeadPass {
  const [rows, width] = hidden.shape;
  const vocab = head.shape[0];
  const scale = 1 / rows;
  const headT = tf.transpose(head);
  let lossSum: tf.Scalar = tf.scalar(0);
  let dHeadSum: tf.Tensor2D | undefined;
  const dHidden: tf.Tensor2D[] = [];
  for (let start = 0; start < rows; start += chunkRows) {
    const count = Math.min(chunkRows, rows - start);
    const piece = tf.tidy(() => {
      const h = tf.slice(hidden, [start, 0], [count, width]);
      const t = tf.slice(targets, [start], [count]);
      const logits = tf.matMul(h, headT);
      const p = tf.softmax(logits) as tf.Tensor2D;
      // p[i, t_i] through the flat index i·V + t_i: one gather, no [rows, V] mask.
      const at = tf.add(tf.mul(tf.range(0, count, 1, 'int32'), tf.scalar(vocab, 'int32')), t) as tf.Tensor1D;
      const picked = tf.gather(tf.reshape(p, [-1]), at);
      // A target whose probability underflows float32 takes lse − l_t instead, with
      // lse = l_max − log p_max exactly (p_max ≥ 1/V never underflows): no exp pass, and no
      // read to the host, which the webgpu backend cannot do synchronously.
      const lse = tf.sub(tf.max(logits, 1), tf.log(tf.max(p, 1)));
      const exact = tf.sub(lse, tf.gather(tf.reshape(logits, [-1]), at));
      const pieceLoss = tf.sum(tf.where(tf.greaterEqual(picked, SMALLEST_TRUSTED_PROBABILITY), tf.neg(tf.log(picked)), exact)) as tf.Scalar;
      logits.dispose();
      if (!withGrads) return { loss: pieceLoss };
      const hs = tf.mul(h, scale);
      return {
        loss: pieceLoss,
        dHidden: tf.mul(tf.sub(tf.matMul(p, head), tf.gather(head, t)), scale) as tf.Tensor2D,
        dHead: tf.matMul(tf.transpose(p), hs) as tf.Tensor2D,
      };
    });
    const nextLoss = tf.add(lossSum, piece.loss) as tf.Scalar;
    tf.dispose([lossSum, piece.loss]);
    lossSum = nextLoss;
    if (piece.dHidden && piece.dHead) {
      dHidden.push(piece.dHidden);
      if (dHeadSum) {
        const next = tf.add(dHeadSum, piece.dHead) as tf.Tensor2D;
        tf.dispose([dHeadSum, piece.dHead]);
        dHeadSum = next;
      } else dHeadSum = piece.dHead;
    }
  }
  headT.dispose();
  if (!withGrads) return { lossSum };
  const grads = tf.tidy(() => {
    // The −Y·H term of every row at once: scatterND adds the rows of repeated targets.
    const targetRows = tf.scatterND(tf.reshape(targets, [rows, 1]), tf.mul(hidden, scale), [vocab, width]);
    return { hidden: tf.concat(dHidden, 0) as tf.Tensor2D, head: tf.sub(dHeadSum!, targetRows) as tf.Tensor2D };
  });
  tf.dispose([...dHidden, dHeadSum!]);
  return { lossSum, grads };
}

/** Σ (log Σ_j exp l_j − l_t) over a piece's rows, from the logits: for targets whose softmax underflowed. */
type HeadLossOp = (hidden: tf.Tensor2D, head: tf.Tensor2D) => tf.Scalar;

/**
 * Mean next-token cross-entropy, in nats, of the LM head M [V, d] applied to `hidden`
 * [..., d] (the state the head reads, e.g. after ln_f) against `targets` (one id per row),
 * with gradients to `hidden` and to M. For a tied head M is W_E: tf.variableGrads adds this
 * gradient to the embedding gather's. The gradients are computed in the forward pass, piece by
 * piece, so the [rows, V] logits never exist whole.
 */
export function headCrossEntropy(hidden: tf.Tensor, head: tf.Tensor2D, targets: tf.Tensor1D, chunkRows = HEAD_CHUNK_ROWS): tf.Scalar {
  const op = tf.customGrad(((h: tf.Tensor2D, m: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const { lossSum, grads } = headPass(h, m, targets, true, chunkRows);
    save([grads!.hidden, grads!.head]);
    const value = tf.div(lossSum, h.shape[0]);
    lossSum.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0]!, dy), tf.mul(saved[1]!, dy)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as HeadLossOp;
  // Reshaped outside the op, so tfjs maps d(hidden) back to its shape.
  return op(tf.reshape(hidden, [-1, head.shape[1]]) as tf.Tensor2D, head);
}

/** The same loss without gradients (held-out evaluation): no d(hidden), no d(M). */
export function headCrossEntropyValue(hidden: tf.Tensor, head: tf.Tensor2D, targets: tf.Tensor1D, chunkRows = HEAD_CHUNK_ROWS): tf.Scalar {
  return tf.tidy(() => {
    const { lossSum } = headPass(tf.reshape(hidden, [-1, head.shape[1]]) as tf.Tensor2D, head, targets, false, chunkRows);
    return tf.div(lossSum, targets.shape[0]) as tf.Scalar;
  });
}
