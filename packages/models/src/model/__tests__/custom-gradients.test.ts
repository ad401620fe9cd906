import * as tf from '@tensorflow/tfjs';
import { TEST_BACKENDS, useBackend } from '@repscope/test-support';
import { geluErf } from '../layers';
import { tidyGrad } from '../tidy-grad';

describe.each(TEST_BACKENDS)('hand-written gradients on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('exact GELU: value and gradient equal autodiff of 0.5·x·(1 + erf(x/√2))', async () => {
    const x = tf.tensor1d(Array.from({ length: 401 }, (_, i) => -8 + i * 0.04));
    const plain = (t: tf.Tensor) => tf.mul(tf.mul(t, 0.5), tf.add(tf.erf(tf.mul(t, Math.SQRT1_2)), 1));
    const up = tf.randomNormal([401], 0, 1, 'float32', 3);
    const [ours, reference] = [geluErf, plain].map((f) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), up)))(x));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours!, reference!))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(geluErf(x), plain(x)))).dataSync()[0]!)).toBe(0);
    tf.dispose([x, up, ours!, reference!]);
  });

  test('tidyGrad frees a custom gradient\'s intermediates before the earlier ops\' gradients run', () => {
    // B's gradient makes 20 intermediates; A's gradient runs after it and counts the live tensors.
    const counts: number[] = [];
    const opA = tf.customGrad(((x: tf.Tensor) => ({
      value: tf.mul(x, 2),
      gradFunc: (dy: tf.Tensor) => {
        counts.push(tf.memory().numTensors);
        return tf.mul(dy, 2);
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    const gradB = (dy: tf.Tensor) => {
      let g = dy;
      for (let i = 0; i < 20; i++) g = tf.add(g, 0);
      return g;
    };
    const opB = (tidied: boolean) =>
      tf.customGrad(((x: tf.Tensor) => ({ value: tf.square(x), gradFunc: tidied ? tidyGrad(gradB) : gradB })) as unknown as Parameters<typeof tf.customGrad>[0]);
    const x = tf.ones([4]);
    for (const tidied of [false, true]) {
      const b = opB(tidied);
      const g = tf.grad((t: tf.Tensor) => tf.sum(b(opA(t) as tf.Tensor) as tf.Tensor))(x);
      g.dispose();
    }
    expect(counts[0]! - counts[1]!).toBeGreaterThanOrEqual(19);
    x.dispose();
  });
});
