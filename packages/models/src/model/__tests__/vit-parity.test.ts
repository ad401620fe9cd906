import * as tf from '@tensorflow/tfjs';
import { buildVit } from '../vit/kind';
import { compare, readExpected, TEST_BACKENDS, useBackend, VIT_TINY } from '@repscope/test-support';

const expected = readExpected(VIT_TINY);
const hooks = [...expected.tensors.keys()].filter((k) => k !== 'pixel_values');

describe.each(TEST_BACKENDS)('ViT parity with the PyTorch reference on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('every reference activation matches to 1e-4', async () => {
    const model = await buildVit({ kind: 'vit', weights: VIT_TINY, head: true }, 0, () => {});
    try {
      const px = expected.tensors.get('pixel_values')!;
      const nhwc = tf.tidy(() => tf.transpose(tf.tensor4d(px.data, px.shape as [number, number, number, number]), [0, 2, 3, 1]));
      const { output, cache } = model.runWithCache(nhwc, hooks);
      for (const name of hooks) {
        const want = expected.tensors.get(name)!;
        expect([name, cache[name]!.shape]).toEqual([name, want.shape]);
        const { maxAbsDiff, tolerance } = compare(await cache[name]!.data(), want.data);
        expect({ name, ok: maxAbsDiff <= tolerance, maxAbsDiff }).toEqual({ name, ok: true, maxAbsDiff });
      }
      tf.dispose([nhwc, output, ...Object.values(cache)]);
    } finally {
      model.dispose();
    }
  });
});
