import { tf, type TokenModel } from '@repscope/core';

/**
 * How candidate tokens for one position are ordered before verification.
 * - `nearest`: rows of W_E nearest (L2) to the continuous proposal e − p_t. Exact on untrained
 *   GPT-2, whose embedding rows all have about the same norm.
 * - `normalized`: nearest after the first layer norm's standardisation (mean 0, unit variance
 *   over the width, no affine) of w_v + p_t against the proposal: the block sees only the
 *   direction of its input, so a trained model's wide spread of row norms stops mattering.
 * - `gradient`: HotFlip/GCG's first-order estimate err(w_v + p_t) ≈ err(x) + ∇err(x)·(w_v + p_t − x)
 *   at the best token verified so far (the continuous proposal in the first round), so each
 *   round re-linearises where the search has got to.
 * - `prior`: most likely first under a language model (`sequential.prior`) reading the
 *   recovered prefix — what a trained model expects next, not where the proposal lands; on the
 *   models trained here every ranking above puts the true token ~50,000th (README).
 */
export type RankingKind = 'nearest' | 'normalized' | 'gradient' | 'prior';

/**
 * The configured order: a ranking, or
 * - `exhaustive`: every token verified at each position, in large chunks (accepted rank 1 by
 *   construction; |V| candidates per position).
 * - `auto`: with a prior (`sequential.prior`, else the model's own checkpoint with every block
 *   and its LM head; see RankingPrior.forAuto), `prior` for the first `sequential.priorShortlist`
 *   candidates and then every remaining token in one bulk round. Without one, `exhaustive` when
 *   verifying the whole vocabulary costs at most `sequential.exhaustiveBudget` multiply-adds per
 *   position; otherwise `nearest` for the first round (which is accepted at once on untrained
 *   models) and, if it fails, every remaining token in one bulk round.
 */
export type RankingChoice = RankingKind | 'exhaustive' | 'auto';

/**
 * Multiply-adds to verify one candidate (one position through the kept blocks, and the head):
 * the model's parameters less its embedding tables, plus |V|·d for tied logits. An estimate for
 * choosing between ranked and exhaustive verification, not a benchmark.
 */
export function verificationMacs(model: TokenModel, head: boolean): number {
  const embeddings = (model.vocabSize + model.maxPositions) * model.dModel;
  return Math.max(model.dModel, model.parameterCount() - embeddings) + (head ? model.vocabSize * model.dModel : 0);
}

/** Up to `count` token ids in [0, vocab) not yet verified, in id order. */
export function unvisited(vocab: number, verified: Map<number, number>, count: number): number[] {
  const out: number[] = [];
  for (let id = 0; id < vocab && out.length < count; id++) if (!verified.has(id)) out.push(id);
  return out;
}

/** Scores over the vocabulary [V] (lower = tried first). `point` is the input x [1, 1, d]; `gradient` ∇err at x. */
export function candidateScores(kind: Exclude<RankingKind, 'prior'>, wte: tf.Tensor2D, position: tf.Tensor2D, point: tf.Tensor, gradient: tf.Tensor | undefined): tf.Tensor1D {
  return tf.tidy(() => {
    const d = wte.shape[1];
    const x = tf.reshape(point, [1, d]);
    if (kind === 'gradient') {
      if (!gradient) throw new Error('gradient ranking needs the gradient at the point');
      // g·(w_v + p − x) = g·w_v + const: only g·w_v orders the candidates.
      return tf.reshape(tf.matMul(wte, tf.reshape(gradient, [d, 1])), [-1]) as tf.Tensor1D;
    }
    if (kind === 'nearest') return tf.sum(tf.squaredDifference(wte, tf.sub(x, position)), 1) as tf.Tensor1D;
    return tf.sum(tf.squaredDifference(standardize(tf.add(wte, position) as tf.Tensor2D), standardize(x as tf.Tensor2D)), 1) as tf.Tensor1D;
  });
}

function standardize(x: tf.Tensor2D): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))) as tf.Tensor2D;
}

/**
 * Token ids by ascending score, read from the device once. A position's rounds walk it past the
 * ids already verified, so a fixed ranking is scored and sorted once per position, not per round.
 */
export class CandidateOrder {
  private cursor = 0;

  private constructor(private readonly ids: Int32Array) {}

  /** The order of `scores`, read asynchronously (the webgpu backend has no synchronous read); disposes them. */
  static async read(scores: tf.Tensor1D): Promise<CandidateOrder> {
    let values;
    try {
      values = await scores.data();
    } finally {
      scores.dispose();
    }
    return new CandidateOrder(Int32Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!));
  }

  /** The next `count` ids not in `visited`. */
  take(visited: Map<number, number>, count: number): number[] {
    const out: number[] = [];
    while (out.length < count && this.cursor < this.ids.length) {
      const id = this.ids[this.cursor++]!;
      if (!visited.has(id)) out.push(id);
    }
    return out;
  }
}

/** Second-best ÷ best verified error: how clearly the accepted token stands apart (∞ with one candidate). */
export function acceptanceMargin(errors: number[]): number {
  let best = Infinity;
  let second = Infinity;
  for (const e of errors) {
    if (e < best) {
      second = best;
      best = e;
    } else if (e < second) second = e;
  }
  return best > 0 ? second / best : second > 0 ? Infinity : 1;
}
