import * as tf from '@tensorflow/tfjs';
import type { TokenModel } from '../model/types';
import type { Decoder, DecodeResult, DecoderKind } from './types';
import { gramPseudoInverse, rowNorms } from './embedding-cache';
import { scoreTopK } from './host-kernels';
import { scoresAgainstRows } from '../model/layers';
import { tokenEmbeddingRows } from '../model/token-embedding-rows';
import { InvalidInputError } from '../util/errors';

/**
 * Floats in one [rows, V] score tensor of a decode. Rows are scored in chunks of at most this
 * size (64 MB), so a decode's memory does not grow with batch × tokens: 256 restarts × 16
 * positions against Gemma 3's 262144-token vocabulary would be 4.3 GB per score tensor, past
 * the wasm heap's 4 GB. Each chunk streams W once more, a small cost next to its product.
 * (Tests lower it to cross chunk boundaries with a small vocabulary.)
 */
export const scoreBudget = { floats: 1 << 24 };

/**
 * Every decoder here ranks token v for a query row q by (q·W[v])·columnScale[v] + columnBias[v]
 * and reports that score times rowScale plus rowOffset. The row terms are constant along a row
 * (‖x‖² for L2, 1/‖x‖ for cosine), so they are applied to the k kept scores only, not to all V.
 */
type Query = {
  /** [rows, d]. */
  query: tf.Tensor2D;
  /** [rows] each; absent = 1 and 0. rowScale > 0, so it keeps the order. */
  rowScale?: tf.Tensor1D;
  rowOffset?: tf.Tensor1D;
};

/**
 * Shared decoding frame: subtract the position embeddings (the input space is token +
 * position), score every vocabulary row, take argmax and top-k.
 */
abstract class ScoringDecoder implements Decoder {
  private readonly columnScaleTensor: tf.Tensor1D | undefined;
  private readonly columnBiasTensor: tf.Tensor1D | undefined;

  constructor(
    readonly name: string,
    protected readonly model: TokenModel,
    private readonly column: { scale?: Float32Array; bias?: Float32Array } = {},
  ) {
    this.columnScaleTensor = column.scale && tf.tensor1d(column.scale);
    this.columnBiasTensor = column.bias && tf.tensor1d(column.bias);
  }

  /** The query rows for token vectors x [rows, d]. */
  protected abstract query(x: tf.Tensor2D): Query;

  /** How many tokens can be returned (a masked decoder ranks the others at −∞). */
  protected candidates(): number {
    return this.model.vocabSize;
  }

  async decode(embeddings: tf.Tensor3D, topK = 1): Promise<DecodeResult> {
    const [b, n, d] = embeddings.shape;
    const vocab = this.model.vocabSize;
    const k = Math.max(1, Math.min(topK, this.candidates()));
    const total = b * n;
    const chunk = Math.max(1, Math.floor(scoreBudget.floats / vocab));
    const tokenVectors = tf.tidy(() => tf.reshape(tf.sub(embeddings, this.model.positionEmbeddings(n)), [total, d]) as tf.Tensor2D);
    const values = new Float32Array(total * k);
    const indices = new Int32Array(total * k);
    try {
      // A chunk is cut on the host: tfjs-wasm's Slice would copy all of tokenVectors per chunk.
      const host = total > chunk ? ((await tokenVectors.data()) as Float32Array) : undefined;
      for (let start = 0; start < total; start += chunk) {
        const rows = Math.min(chunk, total - start);
        const x = host ? tf.tensor2d(host.subarray(start * d, (start + rows) * d), [rows, d]) : tokenVectors;
        try {
          await this.decodeRows(x, k, values.subarray(start * k, (start + rows) * k), indices.subarray(start * k, (start + rows) * k));
        } finally {
          if (x !== tokenVectors) x.dispose();
        }
      }
    } finally {
      tokenVectors.dispose();
    }
    const ids: number[][] = [];
    const top: DecodeResult['topK'] = [];
    for (let i = 0; i < b; i++) {
      ids.push([]);
      top.push([]);
      for (let t = 0; t < n; t++) {
        const row = (i * n + t) * k;
        ids[i]!.push(indices[row]!);
        top[i]!.push(Array.from({ length: k }, (_, j) => ({ id: indices[row + j]!, score: values[row + j]! })));
      }
    }
    return { ids, topK: top };
  }

  /** Top-k of `x`'s rows into `values` and `indices` ([rows·k] each, best first). */
  private async decodeRows(x: tf.Tensor2D, k: number, values: Float32Array, indices: Int32Array): Promise<void> {
    const { query, rowScale, rowOffset } = tf.tidy(() => this.query(x));
    try {
      const w = tokenEmbeddingRows(this.model);
      if (tf.getBackend() === 'cpu' && w instanceof tf.Tensor && w.dtype === 'float32') {
        // tfjs-cpu's data() hands back W's own storage, so the host loop reads W in place.
        const [vocab, d] = w.shape;
        scoreTopK((await w.data()) as Float32Array, vocab, d, (await query.data()) as Float32Array, query.shape[0], k, this.column.scale, this.column.bias, values, indices);
      } else {
        const top = tf.tidy(() => {
          let ranking = scoresAgainstRows(query, w);
          if (this.columnScaleTensor) ranking = tf.mul(ranking, this.columnScaleTensor);
          if (this.columnBiasTensor) ranking = tf.add(ranking, this.columnBiasTensor);
          return tf.topk(ranking, k);
        });
        try {
          const [v, ix] = await Promise.all([top.values.data(), top.indices.data()]);
          values.set(v as Float32Array);
          indices.set(ix as Int32Array);
        } finally {
          tf.dispose([top.values, top.indices]);
        }
      }
      const [scale, offset] = (await Promise.all([rowScale?.data(), rowOffset?.data()])) as (Float32Array | undefined)[];
      if (scale || offset) {
        for (let j = 0; j < values.length; j++) {
          const r = Math.floor(j / k);
          values[j] = values[j]! * (scale ? scale[r]! : 1) + (offset ? offset[r]! : 0);
        }
      }
    } finally {
      tf.dispose([query, rowScale, rowOffset].filter((t) => t !== undefined));
    }
  }

  dispose(): void {
    tf.dispose([this.columnScaleTensor, this.columnBiasTensor].filter((t) => t !== undefined));
  }
}

/** The seed's decoder: argmax of (e − e_pos)·W⁺, W⁺ = (WᵀW)⁺Wᵀ the Moore–Penrose pseudo-inverse, applied as ((e − e_pos)·(WᵀW)⁺)·Wᵀ. */
class PinvDecoder extends ScoringDecoder {
  private readonly allowed: number | undefined;

  constructor(
    model: TokenModel,
    private readonly gramPinv: tf.Tensor2D,
    mask?: { name: string; bias: Float32Array; candidates: number },
  ) {
    super(mask?.name ?? 'pinv', model, mask ? { bias: mask.bias } : {});
    this.allowed = mask?.candidates;
  }

  protected override candidates(): number {
    return this.allowed ?? super.candidates();
  }

  protected query(x: tf.Tensor2D): Query {
    return { query: tf.matMul(x, this.gramPinv) };
  }

  override dispose(): void {
    super.dispose();
    this.gramPinv.dispose();
  }
}

/** argmin ‖x − W[s]‖₂, scored as −‖x − W[s]‖² = 2x·W[s] − ‖W[s]‖² − ‖x‖². */
class NearestL2Decoder extends ScoringDecoder {
  constructor(model: TokenModel, norms: Float32Array) {
    super('nearest-l2', model, { bias: norms.map((v) => -v * v) });
  }

  protected query(x: tf.Tensor2D): Query {
    return { query: tf.mul(x, 2) as tf.Tensor2D, rowOffset: tf.neg(tf.sum(tf.square(x), 1)) as tf.Tensor1D };
  }
}

/** argmax cos(x, W[s]) = (x·W[s])/(‖W[s]‖‖x‖). */
class NearestCosineDecoder extends ScoringDecoder {
  constructor(model: TokenModel, norms: Float32Array) {
    super('nearest-cosine', model, { scale: norms.map((v) => 1 / (v + 1e-12)) });
  }

  protected query(x: tf.Tensor2D): Query {
    return { query: x.clone(), rowScale: tf.div(1, tf.add(tf.norm(x, 'euclidean', 1), 1e-12)) as tf.Tensor1D };
  }
}

export const pinvDecoder: DecoderKind = {
  name: 'pinv',
  description: 'argmax of (e − e_pos)·W⁺ with W⁺ the pseudo-inverse of the token-embedding matrix (the seed\'s method)',
  create: async (model) => new PinvDecoder(model, await gramPseudoInverse(model)),
};

/**
 * The same scores as `pinv`, with every token the model was not trained on ranked at −∞: the
 * unknown token of a reduced vocabulary, and tokens its training text never held (whose rows
 * are untrained). Where `pinv`'s answer is a trained token, this one's is the same.
 */
export const pinvTrainedDecoder: DecoderKind = {
  name: 'pinv-trained',
  description: "pinv over the tokens the model was trained on only (a checkpoint trained here: vocab-map.json or token-counts.json beside it)",
  create: async (model) => {
    const trained = model.tokenizer?.trained;
    if (!trained) {
      throw new InvalidInputError(
        `decode.decoder: pinv-trained needs to know which tokens the model was trained on, from a vocab-map.json or token-counts.json beside its config.json (plugin-train writes them); ${model.description} has neither — use pinv`,
        'E_CONFIG',
      );
    }
    const bias = new Float32Array(model.vocabSize);
    let candidates = 0;
    for (let id = 0; id < bias.length; id++) {
      const ok = id !== trained.unknown && trained.count(id) > 0;
      if (ok) candidates++;
      else bias[id] = -Infinity;
    }
    if (!candidates) throw new InvalidInputError(`decode.decoder: ${trained.source} lists no token the model was trained on`, 'E_CHECKPOINT');
    return new PinvDecoder(model, await gramPseudoInverse(model), { name: 'pinv-trained', bias, candidates });
  },
};

export const nearestL2Decoder: DecoderKind = {
  name: 'nearest-l2',
  description: 'the token whose embedding is nearest in Euclidean distance',
  create: async (model) => new NearestL2Decoder(model, await rowNorms(model)),
};

export const nearestCosineDecoder: DecoderKind = {
  name: 'nearest-cosine',
  description: 'the token whose embedding has the largest cosine similarity',
  create: async (model) => new NearestCosineDecoder(model, await rowNorms(model)),
};
