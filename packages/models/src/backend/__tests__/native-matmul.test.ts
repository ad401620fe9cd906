import * as tf from '@tensorflow/tfjs';
import { GPT2_TINY, relativeError } from '@repscope/test-support';
import { loadModel } from '../../load-model';
import { isTokenModel } from '../../model/types';
import { selectBackend } from '../select-backend';
import { uninstallNativeMatMul } from '../native-matmul';
import { bothPaths, describeNative } from './both-paths';

/*
 * The wasm backend's matrix products through the system BLAS, on the wasm heap, against
 * XNNPACK's own kernels: the same numbers within 1e-5 relative, bit-identical run to run, and
 * the layouts it does not take (broadcast batches, fused activations) left to XNNPACK.
 */
function random(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

describeNative('wasm matrix products through the system BLAS', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(() => uninstallNativeMatMul());

  test.each([
    ['plain', [40, 70], [70, 30], false, false],
    ['transposed A', [70, 40], [70, 30], true, false],
    ['transposed B (the LM head as x·Wᵀ)', [40, 70], [30, 70], false, true],
    ['both transposed', [70, 40], [30, 70], true, true],
    ['batched', [2, 4, 20, 17], [2, 4, 17, 30], false, false],
    ['one side unbatched', [3, 20, 70], [70, 60], false, false],
    ['a size-1 batch dim kept ([1, n, k]·[k, m])', [1, 20, 32], [32, 20], false, false],
    ['size-1 dims of both batches kept', [1, 1, 20, 32], [3, 32, 20], false, false],
    ['batch broadcast (left to XNNPACK)', [2, 1, 20, 70], [1, 3, 70, 40], false, false],
    ['a few rows (left to XNNPACK: faster there)', [5, 70], [70, 30], false, false],
  ] as [string, number[], number[], boolean, boolean][])('%s: within 1e-5 of XNNPACK, bit-identical run to run', async (name, sa, sb, ta, tb) => {
    const a = random(sa, 1);
    const b = random(sb, 2);
    const { shapes, xnnpack, native, again, nativeCalls } = bothPaths(() => [tf.matMul(a, b, ta, tb)]);
    expect(nativeCalls).toBe(name.includes('left to XNNPACK') ? 0 : 1);
    expect(shapes.native).toEqual(shapes.xnnpack);
    expect(relativeError(native[0]!, xnnpack[0]!)).toBeLessThan(1e-5);
    expect(again[0]).toEqual(native[0]);
    tf.dispose([a, b]);
  });

  test('fused product + bias (the linear layers) and its gradients; a fused activation is left to XNNPACK', async () => {
    const x = random([24, 32], 3);
    const w = random([32, 20], 4);
    const bias = random([20], 5);
    const { xnnpack, native, nativeCalls } = bothPaths(() => {
      const y = tf.fused.matMul({ a: x, b: w, bias });
      const [dx, dw, db] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c }))))([x, w, bias]);
      const relu = tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' });
      return [y, dx!, dw!, db!, relu];
    });
    for (let i = 0; i < xnnpack.length; i++) expect(relativeError(native[i]!, xnnpack[i]!)).toBeLessThan(1e-5);
    // The fused product, its forward inside grads, and the two gradient products; not the relu one.
    expect(nativeCalls).toBe(4);
    tf.dispose([x, w, bias]);
  });

  test('GPT-2 (tiny checkpoint, 2 blocks + head): logits and the input gradient within 1e-5 on both paths', async () => {
    const model = await loadModel({ kind: 'gpt2', weights: GPT2_TINY, head: true }, { backend: 'wasm' });
    if (!isTokenModel(model)) throw new Error('gpt2 is a token model');
    // 16 restarts of 5 tokens, as an inversion batches them: 80 rows, enough for the native kernel.
    const ids = Array.from({ length: 16 }, (_, r) => [3 + r, 14, 15, 92, 65]);
    const { xnnpack, native, again, nativeCalls } = bothPaths(() => {
      const e = model.embed(ids);
      const logits = model.forward(e);
      const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.square(model.forward(x))))(e);
      e.dispose();
      return [logits, grad];
    });
    model.dispose();
    expect(relativeError(native[0]!, xnnpack[0]!)).toBeLessThan(1e-5);
    expect(relativeError(native[1]!, xnnpack[1]!)).toBeLessThan(1e-5);
    expect(again).toEqual(native);
    expect(nativeCalls).toBeGreaterThan(10);
  });
});
