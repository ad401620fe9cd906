import * as tf from '@tensorflow/tfjs';
import { buildGpt2 } from '../gpt2/kind';
import { compare, GPT2_TINY, readExpected, TEST_BACKENDS, useBackend } from '@repscope/test-support';

const expected = readExpected(GPT2_TINY);
const tokens = expected.meta['token_ids'] as number[];
const hooks = [...expected.tensors.keys()];

describe.each(TEST_BACKENDS)('GPT-2 parity with the PyTorch reference on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test('every reference activation matches to 1e-4', async () => {
    const model = await buildGpt2({ kind: 'gpt2', weights: GPT2_TINY, head: true, positionIds: 'sequential' }, 0, () => {});
    try {
      const embeddings = model.embed([tokens]);
      const { output, cache } = model.runWithCache(embeddings, hooks);
      for (const name of hooks) {
        const want = expected.tensors.get(name)!;
        expect([name, cache[name]!.shape]).toEqual([name, want.shape]);
        const { maxAbsDiff, tolerance } = compare(await cache[name]!.data(), want.data);
        expect({ name, ok: maxAbsDiff <= tolerance, maxAbsDiff }).toEqual({ name, ok: true, maxAbsDiff });
      }
      tf.dispose([embeddings, output, ...Object.values(cache)]);
    } finally {
      model.dispose();
    }
  });

  test('truncation: depth 1 without head returns block 0\'s resid_post', async () => {
    const model = await buildGpt2({ kind: 'gpt2', weights: GPT2_TINY, depth: 1, head: false, positionIds: 'sequential' }, 0, () => {});
    const e = model.embed([tokens]);
    const out = model.forward(e);
    expect(model.outputHook).toBe('blocks.0.hook_resid_post');
    const { maxAbsDiff, tolerance } = compare(await out.data(), expected.tensors.get('blocks.0.hook_resid_post')!.data);
    expect(maxAbsDiff).toBeLessThanOrEqual(tolerance);
    tf.dispose([e, out]);
    model.dispose();
  });
});
