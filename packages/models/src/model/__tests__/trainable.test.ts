import * as tf from '@tensorflow/tfjs';
import { buildGpt2 } from '../gpt2/kind';
import { trainableGather, trainableLinear, trainableTransposedLinear } from '../trainable';
import { GPT2_TINY, TEST_BACKENDS, useBackend } from '@repscope/test-support';

const close = async (a: tf.Tensor, b: tf.Tensor, tol = 1e-4) => {
  const [x, y] = [await a.data(), await b.data()];
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < y.length; i++) {
    worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  expect(a.shape).toEqual(b.shape);
  expect(worst).toBeLessThanOrEqual(tol * scale);
};

describe.each(TEST_BACKENDS)('trainable path on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('linear, tied-head and gather gradients equal those of the plain tfjs ops', async () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
    const w = tf.randomNormal([4, 5], 0, 1, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([5], 0, 1, 'float32', 3) as tf.Tensor1D;
    const m = tf.randomNormal([6, 4], 0, 1, 'float32', 4) as tf.Tensor2D;
    const up = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 5);
    const upHead = tf.randomNormal([2, 3, 6], 0, 1, 'float32', 6);
    const ours = tf.grads((xx, ww, bb) => tf.sum(tf.mul(trainableLinear(ww as tf.Tensor2D, bb as tf.Tensor1D)(xx), up)))([x, w, b]);
    const plain = tf.grads((xx, ww, bb) => tf.sum(tf.mul(tf.add(tf.matMul(tf.reshape(xx, [6, 4]), ww as tf.Tensor2D).reshape([2, 3, 5]), bb), up)))([x, w, b]);
    for (let i = 0; i < 3; i++) await close(ours[i]!, plain[i]!);
    const oursHead = tf.grads((xx, mm) => tf.sum(tf.mul(trainableTransposedLinear(mm as tf.Tensor2D)(xx), upHead)))([x, m]);
    const plainHead = tf.grads((xx, mm) => tf.sum(tf.mul(tf.matMul(tf.reshape(xx, [6, 4]), mm as tf.Tensor2D, false, true).reshape([2, 3, 6]), upHead)))([x, m]);
    for (let i = 0; i < 2; i++) await close(oursHead[i]!, plainHead[i]!);
    // Repeated ids must add their gradients; compare against the one-hot product (same math, dense).
    const ids = tf.tensor2d([[1, 1, 5]], [1, 3], 'int32');
    const upRows = tf.randomNormal([1, 3, 4], 0, 1, 'float32', 7);
    const [gGather] = tf.grads((t) => tf.sum(tf.mul(trainableGather(t as tf.Tensor2D, ids), upRows)))([m]);
    const [gDense] = tf.grads((t) => tf.sum(tf.mul(tf.matMul(tf.oneHot(tf.reshape(ids, [3]), 6).toFloat(), t as tf.Tensor2D).reshape([1, 3, 4]), upRows)))([m]);
    await close(gGather!, gDense!);
  });

  test('a trainable GPT-2 computes the frozen forward exactly and a parameter gradient that matches finite differences', async () => {
    const spec = { kind: 'gpt2', weights: GPT2_TINY, head: true, positionIds: 'sequential' as const };
    const frozen = await buildGpt2(spec, 0, () => {});
    const model = await buildGpt2(spec, 0, () => {}, { trainable: true });
    try {
      const tokens = [[3, 14, 15, 92, 65]];
      const a = frozen.forward(frozen.embed(tokens));
      const loss = () => tf.tidy(() => tf.sum(tf.mul(model.forward(model.embed(tokens)), tf.randomNormal([1, 5, model.vocabSize], 0, 1, 'float32', 9))) as tf.Scalar);
      const b = model.forward(model.embed(tokens));
      await close(b, a, 0);
      const vars = [...model.namedParameters().values()] as tf.Variable[];
      expect(vars.length).toBe(frozen.namedParameters().size);
      const { grads } = tf.variableGrads(loss, vars);
      expect(Object.keys(grads).length).toBe(vars.length);
      // Directional derivative along a random direction in every parameter at once.
      const dirs = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i));
      let predicted = 0;
      for (let i = 0; i < vars.length; i++) predicted += (await tf.sum(tf.mul(grads[vars[i]!.name]!, dirs[i]!)).data())[0]!;
      const eps = 1e-3;
      const shift = (s: number) => vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(dirs[i]!, s))));
      shift(eps);
      const up = (await loss().data())[0]!;
      shift(-2 * eps);
      const down = (await loss().data())[0]!;
      shift(eps);
      const measured = (up - down) / (2 * eps);
      expect(Math.abs(measured - predicted)).toBeLessThan(0.02 * Math.abs(predicted) + 1e-2);
    } finally {
      frozen.dispose();
      model.dispose();
    }
  });
});
