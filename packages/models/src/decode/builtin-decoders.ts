import * as tf from '@tensorflow/tfjs';
import type { TokenModel } from '../model/types';
import type { Decoder, DecodeResult, DecoderKind } from './types';
import { gramPseudoInverse, rowNorms } from './embedding-cache';
import { scoresAgainstRows } from '../model/layers';

/**
 * Shared decoding frame: subtract the position embeddings (the input space is token +
 * position), score every vocabulary row, take argmax and top-k.
 */
abstract class ScoringDecoder implements Decoder {
  constructor(
    readonly name: string,
    protected readonly model: TokenModel,
  ) {}

  /** Scores [rows, V] for token vectors [rows, d] (higher = more likely). */
  protected abstract score(tokens: tf.Tensor2D): tf.Tensor2D;

  async decode(embeddings: tf.Tensor3D, topK = 1): Promise<DecodeResult> {
    const [b, n] = embeddings.shape;
    const k = Math.max(1, Math.min(topK, this.model.vocabSize));
    const { values, indices } = tf.tidy(() => {
      const pos = this.model.positionEmbeddings(n);
      const tokenVectors = tf.reshape(tf.sub(embeddings, pos), [b * n, -1]) as tf.Tensor2D;
      return tf.topk(this.score(tokenVectors), k);
    });
    let v: ArrayLike<number>;
    let ix: ArrayLike<number>;
    try {
      [v, ix] = await Promise.all([values.data(), indices.data()]);
    } finally {
      tf.dispose([values, indices]);
    }
    const ids: number[][] = [];
    const top: DecodeResult['topK'] = [];
    for (let i = 0; i < b; i++) {
      ids.push([]);
      top.push([]);
      for (let t = 0; t < n; t++) {
        const row = (i * n + t) * k;
        ids[i]!.push(ix[row]!);
        top[i]!.push(Array.from({ length: k }, (_, j) => ({ id: ix[row + j]!, score: v[row + j]! })));
      }
    }
    return { ids, topK: top };
  }

  dispose(): void {}
}

/** The seed's decoder: argmax of (e − e_pos)·W⁺, W⁺ = (WᵀW)⁺Wᵀ the Moore–Penrose pseudo-inverse. */
class PinvDecoder extends ScoringDecoder {
  constructor(
    model: TokenModel,
    private readonly gramPinv: tf.Tensor2D,
  ) {
    super('pinv', model);
  }

  protected score(x: tf.Tensor2D): tf.Tensor2D {
    return scoresAgainstRows(tf.matMul(x, this.gramPinv), this.model.tokenEmbeddingMatrix());
  }

  override dispose(): void {
    this.gramPinv.dispose();
  }
}

/** argmin ‖x − W[s]‖₂, scored as −‖x − W[s]‖² = 2x·W[s] − ‖W[s]‖² − ‖x‖². */
class NearestL2Decoder extends ScoringDecoder {
  constructor(
    model: TokenModel,
    private readonly sqNorms: tf.Tensor1D,
  ) {
    super('nearest-l2', model);
  }

  protected score(x: tf.Tensor2D): tf.Tensor2D {
    const xNorm = tf.sum(tf.square(x), 1, true);
    return tf.neg(tf.add(tf.sub(xNorm, tf.mul(scoresAgainstRows(x, this.model.tokenEmbeddingMatrix()), 2)), this.sqNorms)) as tf.Tensor2D;
  }

  override dispose(): void {
    this.sqNorms.dispose();
  }
}

/** argmax cos(x, W[s]). */
class NearestCosineDecoder extends ScoringDecoder {
  constructor(
    model: TokenModel,
    private readonly norms: tf.Tensor1D,
  ) {
    super('nearest-cosine', model);
  }

  protected score(x: tf.Tensor2D): tf.Tensor2D {
    const dots = scoresAgainstRows(x, this.model.tokenEmbeddingMatrix());
    return tf.div(dots, tf.mul(tf.add(tf.norm(x, 'euclidean', 1, true), 1e-12), tf.add(this.norms, 1e-12))) as tf.Tensor2D;
  }

  override dispose(): void {
    this.norms.dispose();
  }
}

export const pinvDecoder: DecoderKind = {
  name: 'pinv',
  description: 'argmax of (e − e_pos)·W⁺ with W⁺ the pseudo-inverse of the token-embedding matrix (the seed\'s method)',
  create: async (model) => new PinvDecoder(model, await gramPseudoInverse(model)),
};

export const nearestL2Decoder: DecoderKind = {
  name: 'nearest-l2',
  description: 'the token whose embedding is nearest in Euclidean distance',
  create: async (model) => {
    const norms = await rowNorms(model);
    const sqNorms = tf.square(norms) as tf.Tensor1D;
    norms.dispose();
    return new NearestL2Decoder(model, sqNorms);
  },
};

export const nearestCosineDecoder: DecoderKind = {
  name: 'nearest-cosine',
  description: 'the token whose embedding has the largest cosine similarity',
  create: async (model) => new NearestCosineDecoder(model, await rowNorms(model)),
};
