import type { Tokenizer } from '../tokenizer/gpt2-tokenizer';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../util/errors';
import { HookPass, hookPassFor } from './hooks';
import { HeldMatrix, wholeMatrix } from './split-matrix';
import type { TokenEmbeddings } from './token-embeddings';
import type { ForwardOptions, InputSpace } from './types';

/**
 * What every built-in model shares: forward to any hook point, with hooks, and a cached run.
 * A subclass gives its hook names and `run`, which emits each hook point through the pass and
 * returns as soon as the pass has what it wants.
 */
export abstract class HookedModel {
  abstract readonly kind: string;
  abstract readonly inputSpace: InputSpace;
  abstract readonly outputHook: string;
  protected abstract readonly hookNames: string[];

  protected abstract run(input: tf.Tensor, pass: HookPass): tf.Tensor;

  hookPoints(): string[] {
    return this.hookNames;
  }

  forward(input: tf.Tensor, options: ForwardOptions = {}): tf.Tensor {
    return this.run(input, hookPassFor(this.kind, this.hookNames, this.outputHook, options));
  }

  runWithCache(input: tf.Tensor, names: string[]): { output: tf.Tensor; cache: Record<string, tf.Tensor> } {
    return tf.tidy(() => {
      const pass = hookPassFor(this.kind, this.hookNames, this.outputHook, {}, names);
      return { output: this.run(input, pass), cache: pass.cache };
    });
  }
}

/** Models over GPT-2 token embeddings: the input space and its helpers come from `embeddings`. */
export abstract class HookedTokenModel extends HookedModel {
  readonly inputSpace = 'embeddings' as const;
  abstract readonly embeddingId: string;
  abstract readonly tokenizer: Tokenizer | undefined;
  protected abstract readonly embeddings: TokenEmbeddings;

  get vocabSize(): number {
    return this.embeddings.vocabSize;
  }

  get dModel(): number {
    return this.embeddings.dModel;
  }

  get maxPositions(): number {
    return this.embeddings.maxPositions;
  }

  tokenEmbeddingMatrix(): tf.Tensor2D {
    return wholeMatrix(this.embeddings.wte, 'W_E (wte.weight)');
  }

  /** W_E as held: in row blocks on webgpu when over the binding limit (see token-embedding-rows.ts). */
  tokenEmbeddingRows(): HeldMatrix {
    return this.embeddings.wte;
  }

  positionEmbeddings(n: number): tf.Tensor2D {
    return this.embeddings.positions(n);
  }

  embed(tokenIds: number[][]): tf.Tensor3D {
    return this.embeddings.embed(tokenIds);
  }
}

/** Models over images cut into square patches (ViT and the hybrid): geometry and the input check. */
export abstract class HookedImageModel extends HookedModel {
  readonly inputSpace = 'image' as const;
  readonly imageSize: number;
  readonly channels: number;
  readonly patchSize: number;
  /** Patches plus the CLS token. */
  readonly sequenceLength: number;

  constructor(geometry: { imageSize: number; channels: number; patchSize: number }) {
    super();
    this.imageSize = geometry.imageSize;
    this.channels = geometry.channels;
    this.patchSize = geometry.patchSize;
    this.sequenceLength = (geometry.imageSize / geometry.patchSize) ** 2 + 1;
  }

  protected checkPixels(input: tf.Tensor): tf.Tensor4D {
    const s = this.imageSize;
    if (input.rank !== 4 || input.shape[1] !== s || input.shape[2] !== s || input.shape[3] !== this.channels) {
      throw new InvalidInputError(`${this.kind} expects pixels [batch, ${s}, ${s}, ${this.channels}] (NHWC), got [${input.shape.join(', ')}]`, 'E_INPUT');
    }
    return input as tf.Tensor4D;
  }
}
