import * as tf from '@tensorflow/tfjs';
import { BINDING_LIMIT_ENV, storageBindingLimit } from '../backend/binding-limit';
import { InvalidInputError, UserFacingError } from '../util/errors';
import { formatBinaryBytes } from '../util/format-bytes';
import type { HostTensor } from './param-source';

/**
 * A matrix [rows, cols] held as consecutive blocks of whole rows, each small enough for one
 * WebGPU storage binding. A kernel cannot bind a larger buffer at all (Dawn reports it and the
 * computation goes on with zeros), and GPT-2's W_E is 147 MiB against WebGPU's default 128 MiB,
 * Llama 3.2's 1 GiB. Built only on webgpu, only for a weight over the device's limit: on every
 * other backend, and for every weight that fits, the model holds one tensor as before.
 */
export class SplitMatrix {
  readonly shape: [number, number];
  /** First row of each block, then the row count: block i holds rows starts[i]…starts[i+1]−1. */
  readonly starts: number[];

  constructor(readonly blocks: tf.Tensor2D[]) {
    if (blocks.length === 0) throw new Error('a split matrix needs at least one block');
    const cols = blocks[0]!.shape[1];
    this.starts = [0];
    for (const b of blocks) {
      if (b.shape[1] !== cols) throw new Error(`row blocks of one matrix must have the same width (${cols}, got ${b.shape[1]})`);
      this.starts.push(this.starts.at(-1)! + b.shape[0]);
    }
    this.shape = [this.starts.at(-1)!, cols];
  }

  get size(): number {
    return this.shape[0] * this.shape[1];
  }

  /** The block holding `row`. */
  blockOf(row: number): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Rows [start, start + count) as one new tensor (the caller disposes it): a slice of one block, or slices of neighbours joined. */
  rows(start: number, count: number): tf.Tensor2D {
    const cols = this.shape[1];
    return tf.tidy(() => {
      const pieces: tf.Tensor2D[] = [];
      for (let b = this.blockOf(start); b < this.blocks.length && this.starts[b]! < start + count; b++) {
        const from = Math.max(start, this.starts[b]!);
        const to = Math.min(start + count, this.starts[b + 1]!);
        pieces.push(tf.slice(this.blocks[b]!, [from - this.starts[b]!, 0], [to - from, cols]));
      }
      return pieces.length === 1 ? pieces[0]! : (tf.concat(pieces, 0) as tf.Tensor2D);
    });
  }

  /** The same split of f(block) for each block (Gemma's embeddings × √hidden). */
  map(f: (block: tf.Tensor2D) => tf.Tensor2D): SplitMatrix {
    return new SplitMatrix(this.blocks.map((b) => tf.tidy(() => f(b))));
  }

  dispose(): void {
    tf.dispose(this.blocks);
  }
}

/** A weight as the model holds it: one tensor, or row blocks (webgpu, over the binding limit). */
export type HeldMatrix = tf.Tensor2D | SplitMatrix;

/**
 * Row counts of the fewest blocks of a float32 [rows, cols] matrix that each fit in
 * `limitBytes`, as even as possible (so no block is a sliver). Also how many rows of an
 * activation [rows, cols] go in one piece.
 */
export function blockRowCounts(rows: number, cols: number, limitBytes: number): number[] {
  const maxRows = Math.floor(limitBytes / (cols * 4));
  if (maxRows < 1) throw new InvalidInputError(`one row of ${cols} floats (${formatBinaryBytes(cols * 4)}) is larger than the WebGPU storage-binding limit (${formatBinaryBytes(limitBytes)}${process.env[BINDING_LIMIT_ENV] ? `, from ${BINDING_LIMIT_ENV}` : ''}): it cannot be split by rows`, 'E_WEBGPU_LIMIT');
  const count = Math.ceil(rows / maxRows);
  const base = Math.floor(rows / count);
  return Array.from({ length: count }, (_, i) => base + (i < rows % count ? 1 : 0));
}

/** Row counts of the pieces an activation [rows, cols] is computed in: one piece unless it is over the binding limit. */
export function rowPieces(rows: number, cols: number): number[] {
  const limit = storageBindingLimit();
  return limit === undefined || rows * cols * 4 <= limit ? [rows] : blockRowCounts(rows, cols, limit);
}

/** A frozen 2-D weight from host floats: one tensor, or (webgpu, over the binding limit) row blocks — never one buffer that no kernel could bind. */
export function frozenMatrix(host: HostTensor): HeldMatrix {
  const [rows, cols] = host.shape as [number, number];
  const counts = rowPieces(rows, cols);
  if (counts.length === 1) return tf.tensor2d(host.data, [rows, cols]);
  let start = 0;
  return new SplitMatrix(
    counts.map((count) => {
      const block = tf.tensor2d(host.data.subarray(start * cols, (start + count) * cols), [count, cols]);
      start += count;
      return block;
    }),
  );
}

/**
 * A model built for training holds each parameter as one variable (the optimizer updates it in
 * one kernel, the train plugin's loss reads the head whole): on webgpu, one over the binding
 * limit would fail at the first step with the device's error. Say so before anything runs.
 */
export function checkTrainableFits(name: string, shape: number[]): void {
  const limit = storageBindingLimit();
  const bytes = shape.reduce((a, d) => a * d, 4);
  if (limit !== undefined && bytes > limit) {
    throw new InvalidInputError(`training on webgpu: ${name} [${shape.join(', ')}] is ${formatBinaryBytes(bytes)}, more than this device binds in one buffer (${formatBinaryBytes(limit)}), and training updates each parameter whole — use backend wasm, or a smaller vocabulary or width`, 'E_WEBGPU_LIMIT');
  }
}

/**
 * The matrix as one tensor, for code that needs it whole. A split one cannot be made whole on
 * this device (no kernel could write or read it), so that code cannot run here: say so plainly.
 */
export function wholeMatrix(m: HeldMatrix, name: string): tf.Tensor2D {
  if (!(m instanceof SplitMatrix)) return m;
  const bytes = m.size * 4;
  throw new UserFacingError(
    `${name} [${m.shape.join(', ')}] is ${formatBinaryBytes(bytes)}, more than this WebGPU device binds in one buffer, so it is held in ${m.blocks.length} row blocks; this code path needs it as one tensor — use backend wasm for it`,
    'E_WEBGPU_SPLIT',
    2,
  );
}

/**
 * Rows `ids` of a split matrix, [ids.length, cols], exactly as tf.gather over the whole would
 * give them: each block gathers its own ids, then one gather puts the rows back in order.
 */
export function gatherSplitRows(m: SplitMatrix, ids: number[]): tf.Tensor2D {
  if (ids.length === 0) return tf.zeros([0, m.shape[1]]);
  return tf.tidy(() => {
    const local = m.blocks.map(() => [] as number[]);
    const positions = m.blocks.map(() => [] as number[]);
    ids.forEach((id, position) => {
      const b = m.blockOf(id);
      local[b]!.push(id - m.starts[b]!);
      positions[b]!.push(position);
    });
    const used = m.blocks.map((_, b) => b).filter((b) => local[b]!.length > 0);
    const pieces = used.map((b) => tf.gather(m.blocks[b]!, tf.tensor1d(local[b]!, 'int32')) as tf.Tensor2D);
    if (pieces.length === 1) return pieces[0]!;
    const order = new Int32Array(ids.length);
    let row = 0;
    for (const b of used) for (const p of positions[b]!) order[p] = row++;
    return tf.gather(tf.concat(pieces, 0), tf.tensor1d(order, 'int32')) as tf.Tensor2D;
  });
}
