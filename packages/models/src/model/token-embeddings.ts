import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../util/errors';
import { gatherSplitRows, HeldMatrix, SplitMatrix } from './split-matrix';
import { isTrainable, trainableGather } from './trainable';

export type PositionIds = 'sequential' | 'zeros';

/**
 * Rows of a token-embedding table for a batch of id sequences, [batch, n, d], after checking
 * every id and the length (a bad id in tf.gather reads garbage silently). Trainable tables take
 * the gather whose gradient runs on wasm; a table in row blocks (webgpu) gathers block by block.
 */
export function gatherTokenRows(wte: HeldMatrix, tokenIds: number[][], maxPositions: number): tf.Tensor3D {
  const [vocabSize] = wte.shape;
  const n = tokenIds[0]?.length ?? 0;
  for (const row of tokenIds) {
    if (row.length !== n) throw new InvalidInputError('all token sequences in a batch must have the same length', 'E_INPUT');
    for (const id of row) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new InvalidInputError(`token id ${id} is outside the vocabulary (0…${vocabSize - 1})`, 'E_INPUT');
    }
  }
  if (n > maxPositions) throw new InvalidInputError(`input has ${n} tokens but the model has ${maxPositions} positions`, 'E_INPUT');
  if (wte instanceof SplitMatrix) return tf.tidy(() => tf.reshape(gatherSplitRows(wte, tokenIds.flat()), [tokenIds.length, n, wte.shape[1]]) as tf.Tensor3D);
  return tf.tidy(() => {
    const ids = tf.tensor2d(tokenIds, [tokenIds.length, n], 'int32');
    return isTrainable(wte) ? trainableGather(wte, ids) : (tf.gather(wte, ids) as unknown as tf.Tensor3D);
  });
}

/**
 * GPT-2's token and position embeddings: the input space (`embeddings` = wte[t] + wpe[pos])
 * shared by GPT-2 and the seed's MLPs, so every decoder works the same way on all of them.
 */
export class TokenEmbeddings {
  constructor(
    /** In row blocks on webgpu when over the device's binding limit (split-matrix.ts). */
    readonly wte: HeldMatrix,
    readonly wpe: tf.Tensor2D,
    /** `zeros` reproduces the seed code's quirk of adding wpe[0] at every position. */
    readonly positionIds: PositionIds,
  ) {}

  get vocabSize(): number {
    return this.wte.shape[0];
  }

  get maxPositions(): number {
    return this.wpe.shape[0];
  }

  get dModel(): number {
    return this.wte.shape[1];
  }

  checkLength(n: number): void {
    if (n > this.maxPositions) throw new InvalidInputError(`input has ${n} tokens but the model has ${this.maxPositions} positions`, 'E_INPUT');
  }

  positions(n: number): tf.Tensor2D {
    this.checkLength(n);
    return tf.tidy(() => (this.positionIds === 'zeros' ? tf.tile(tf.slice(this.wpe, [0, 0], [1, -1]), [n, 1]) : tf.slice(this.wpe, [0, 0], [n, -1])));
  }

  embed(tokenIds: number[][]): tf.Tensor3D {
    return tf.tidy(() => tf.add(gatherTokenRows(this.wte, tokenIds, this.maxPositions), this.positions(tokenIds[0]?.length ?? 0)) as tf.Tensor3D);
  }

  parameterCount(): number {
    return this.wte.size + this.wpe.size;
  }

  dispose(): void {
    this.wte.dispose();
    this.wpe.dispose();
  }
}
