import * as tf from '@tensorflow/tfjs';
import { useBackend, relativeError } from '@repscope/test-support';
import { BINDING_LIMIT_ENV, storageBindingLimit } from '../../backend/binding-limit';
import { buildGpt2 } from '../gpt2/kind';
import { TransposedFrozenLinear } from '../layers';
import { timesMatrix, timesTransposed } from '../matrix-products';
import { blockRowCounts, frozenMatrix, gatherSplitRows, SplitMatrix, wholeMatrix } from '../split-matrix';
import { tokenEmbeddingRows } from '../token-embedding-rows';
import type { TokenModel } from '../types';

/*
 * The row-block helpers as plain math, on cpu (their webgpu use is in
 * backend/__tests__/webgpu-row-blocks.test.ts), and that wasm and cpu never build blocks.
 */

const values = async (t: tf.Tensor) => Array.from(await t.data());

/** W [10, 3] (row r holds 10r, 10r+1, 10r+2) and the same in blocks of 4, 3 and 3 rows. */
function matrices(): { whole: tf.Tensor2D; split: SplitMatrix } {
  const data = Float32Array.from({ length: 30 }, (_, i) => Math.floor(i / 3) * 10 + (i % 3));
  const whole = tf.tensor2d(data, [10, 3]);
  const split = new SplitMatrix([tf.tensor2d(data.slice(0, 12), [4, 3]), tf.tensor2d(data.slice(12, 21), [3, 3]), tf.tensor2d(data.slice(21), [3, 3])]);
  return { whole, split };
}

describe('row blocks: the helpers', () => {
  beforeAll(() => useBackend('cpu'));

  test('blocks are the fewest that fit the limit, as even as possible; a row over the limit cannot be split', () => {
    expect(blockRowCounts(1000, 32, 48_000)).toEqual([334, 333, 333]);
    // GPT-2 small's W_E under lavapipe's 128 MiB: two blocks of ~74 MiB.
    const gpt2 = blockRowCounts(50257, 768, 134217728);
    expect(gpt2).toEqual([25129, 25128]);
    expect(Math.max(...gpt2) * 768 * 4).toBeLessThanOrEqual(134217728);
    // Llama 3.2 1B's W_E (1 GiB) under the same limit: eight blocks.
    expect(blockRowCounts(128256, 2048, 134217728)).toHaveLength(8);
    expect(blockRowCounts(10, 3, 1000)).toEqual([10]);
    expect(() => blockRowCounts(10, 300, 1000)).toThrow(/one row of 300 floats .* is larger than the WebGPU storage-binding limit/);
  });

  test('a split matrix knows its shape, finds the block of a row and gives any range of rows as the whole would', async () => {
    const { whole, split } = matrices();
    expect(split.shape).toEqual([10, 3]);
    expect(split.starts).toEqual([0, 4, 7, 10]);
    expect(split.size).toBe(30);
    expect([0, 3, 4, 6, 7, 9].map((r) => split.blockOf(r))).toEqual([0, 0, 1, 1, 2, 2]);
    for (const [start, count] of [
      [0, 10],
      [2, 2],
      [3, 5],
      [4, 3],
      [6, 4],
      [9, 1],
    ] as const) {
      const rows = split.rows(start, count);
      expect(await values(rows)).toEqual(await values(tf.slice(whole, [start, 0], [count, 3])));
      rows.dispose();
    }
    split.dispose();
    whole.dispose();
  });

  test('gathering token rows block by block gives tf.gather over the whole, in order, repeats included', async () => {
    const { whole, split } = matrices();
    for (const ids of [[9, 0, 5, 5, 4, 3, 7, 9], [1, 2], [8], []]) {
      const ours = gatherSplitRows(split, ids);
      expect(ours.shape).toEqual([ids.length, 3]);
      expect(await values(ours)).toEqual(await values(tf.gather(whole, tf.tensor1d(ids, 'int32'))));
      ours.dispose();
    }
  });

  test('x·Wᵀ and dy·W over blocks equal the products with the whole W; so does the LM head layer, forward and input gradient', async () => {
    const { whole, split } = matrices();
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
    const dy = tf.randomNormal([5, 10], 0, 1, 'float32', 2) as tf.Tensor2D;
    expect(await values(timesTransposed(x, split))).toEqual(await values(timesTransposed(x, whole)));
    expect(relativeError(await values(timesMatrix(dy, split)), await values(tf.matMul(dy, whole)))).toBeLessThan(1e-6);
    const input = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 3);
    const up = tf.randomNormal([2, 4, 10], 0, 1, 'float32', 4);
    const run = (m: SplitMatrix | tf.Tensor2D) => {
      const head = new TransposedFrozenLinear(m);
      return { y: head.apply(input), dx: tf.grad((t: tf.Tensor) => tf.sum(tf.mul(head.apply(t), up)))(input) };
    };
    const [ours, plain] = [run(split), run(whole)];
    expect(ours.y.shape).toEqual([2, 4, 10]);
    expect(await values(ours.y)).toEqual(await values(plain.y));
    expect(relativeError(await values(ours.dx), await values(plain.dx))).toBeLessThan(1e-6);
  });

  test('code that needs W whole is told it is split (and why); a whole one passes through', () => {
    const { whole, split } = matrices();
    expect(wholeMatrix(whole, 'W_E')).toBe(whole);
    expect(() => wholeMatrix(split, 'W_E (wte.weight)')).toThrow(/W_E \(wte.weight\) \[10, 3\] is 120 bytes, more than this WebGPU device binds in one buffer, so it is held in 3 row blocks; .* use backend wasm/);
  });
});

describe.each(['wasm', 'cpu'] as const)('row blocks are a webgpu matter: on %s nothing is split, whatever the limit says', (backend) => {
  beforeAll(() => useBackend(backend));
  afterEach(() => {
    delete process.env[BINDING_LIMIT_ENV];
  });

  test('no binding limit, a weight is one tensor, and a GPT-2 runs the same kernels to the same bits with the variable set', async () => {
    const spec = { kind: 'gpt2', config: { vocabSize: 1000, nPositions: 32, nEmbd: 32, nLayer: 1, nHead: 4 }, head: true, positionIds: 'sequential' as const };
    const ids = [Array.from({ length: 16 }, (_, i) => (i * 131) % 1000)];
    const run = async () => {
      const model: TokenModel = await buildGpt2(spec, 0, () => {});
      try {
        const x = model.embed(ids);
        let output: tf.Tensor | undefined;
        let gradient: tf.Tensor | undefined;
        const { kernels } = await tf.profile(() => {
          output = model.forward(x);
          gradient = tf.grad((e: tf.Tensor) => tf.sum(tf.square(model.forward(e))))(x);
        });
        const result = { kernels: kernels.map((k) => k.name), output: await values(output!), gradient: await values(gradient!), held: tokenEmbeddingRows(model), whole: model.tokenEmbeddingMatrix() };
        tf.dispose([x, output!, gradient!]);
        return result;
      } finally {
        model.dispose();
      }
    };
    const plain = await run();
    process.env[BINDING_LIMIT_ENV] = '4096';
    expect(storageBindingLimit()).toBeUndefined();
    const host = { shape: [1000, 32], data: new Float32Array(32000) };
    const m = frozenMatrix(host);
    expect(m).toBeInstanceOf(tf.Tensor);
    (m as tf.Tensor).dispose();
    const withVariable = await run();
    expect(withVariable.held).toBeInstanceOf(tf.Tensor);
    expect(withVariable.kernels).toEqual(plain.kernels);
    expect(withVariable.output).toEqual(plain.output);
    expect(withVariable.gradient).toEqual(plain.gradient);
  });
});
