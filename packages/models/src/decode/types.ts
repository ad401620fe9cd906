import type * as tf from '@tensorflow/tfjs';
import type { TokenModel } from '../model/types';

export interface TokenCandidate {
  id: number;
  /** Decoder-specific score, higher is better (logit-like for pinv, −distance for nearest-*). */
  score: number;
}

export interface DecodeResult {
  /** Best token per position, [batch][position]. */
  ids: number[][];
  /** The k best per position, [batch][position][k], when topK > 1. */
  topK: TokenCandidate[][][];
}

/**
 * Maps `embeddings`-space vectors (token + position) back to tokens. Asynchronous because
 * a GPU backend reads tensors back only asynchronously (WebGPU in Node has no blocking read).
 */
export interface Decoder {
  readonly name: string;
  decode(embeddings: tf.Tensor3D, topK?: number): Promise<DecodeResult>;
  dispose(): void;
}

export interface DecoderKind {
  name: string;
  description: string;
  create(model: TokenModel): Promise<Decoder>;
}
