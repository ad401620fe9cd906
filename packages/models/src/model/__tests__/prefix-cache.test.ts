import * as tf from '@tensorflow/tfjs';
import { builtinModelKind } from '../builtin-kinds';
import { Rng } from '../../util/rng';
import type { ModelSpec, TokenModel } from '../types';
import * as path from 'node:path';
import { FIXTURES, GPT2_TINY, useBackend } from '@repscope/test-support';

const family = (name: string) => path.join(FIXTURES, 'families', name);


const build = async (spec: ModelSpec) => (await builtinModelKind(spec.kind)!.create(spec, { seed: 0, rng: new Rng(0), log: () => {} })) as TokenModel;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('next-position states with a cached prefix', () => {
  beforeAll(() => useBackend('cpu'));

  test.each([
    ['trained fixture, blocks only', { kind: 'gpt2', weights: GPT2_TINY, head: false }],
    ['trained fixture, ln_f + head', { kind: 'gpt2', weights: GPT2_TINY, head: true }],
    ["trained fixture, the seed's head without ln_f", { kind: 'gpt2', weights: GPT2_TINY, head: true, finalNorm: false }],
    ['per-token mlp', { kind: 'mlp', embeddings: { weights: GPT2_TINY }, hiddenMultiplier: 4, head: false, positionIds: 'sequential' }],
    ['llama (rotary, llama3 scaling, grouped-query), final norm + head', { kind: 'llama', weights: family('llama'), head: true }],
    ['qwen2 (q/k/v biases), blocks only', { kind: 'qwen2', weights: family('qwen2'), head: false }],
    ['qwen3 (q/k norms), head without the final norm', { kind: 'qwen3', weights: family('qwen3'), head: true, finalNorm: false }],
    // Six prefix positions against a window of four: the sliding layers must drop the oldest keys.
    ['gemma3_text (sliding and global layers), final norm + head', { kind: 'gemma3_text', weights: family('gemma3_text'), head: true }],
    ['gemma3_text truncated to its first (sliding) block', { kind: 'gemma3_text', weights: family('gemma3_text'), head: false, depth: 1 }],
  ])('%s: equal the full forward at the last position, for a batch of candidates', async (_name, spec) => {
    const model = await build(spec as ModelSpec);
    const prefixIds = [134, 413, 282, 199, 20, 77];
    const candidates = [103, 111, 245, 7];
    const incremental = model.nextPositionStates!(model.embed([prefixIds]));
    const t = prefixIds.length;
    const next = tf.tidy(() => tf.slice(model.embed(candidates.map((c) => [...prefixIds, c])), [0, t, 0], [-1, 1, -1]) as tf.Tensor3D);
    const fast = incremental.states(next);
    const full = tf.tidy(() => tf.reshape(tf.slice(model.forward(model.embed(candidates.map((c) => [...prefixIds, c]))), [0, t, 0], [-1, 1, -1]), [candidates.length, -1]));
    expect(fast.shape).toEqual(full.shape);
    expect(maxAbsDiff(fast, full)).toBeLessThan(1e-4);
    tf.dispose([next, fast, full]);
    incremental.dispose();
    model.dispose();
  });

  test("finalNorm false is the seed's head: logits = block output · W_Eᵀ, with no ln_final hook", async () => {
    const seed = await build({ kind: 'gpt2', weights: GPT2_TINY, head: true, finalNorm: false });
    expect(seed.hookPoints()).not.toContain('ln_final.hook_normalized');
    const x = seed.embed([[1, 2, 3]]);
    const last = seed.hookPoints().filter((h) => h.endsWith('hook_resid_post')).pop()!;
    const manual = tf.tidy(() => tf.matMul(tf.reshape(seed.forward(x, { output: last }), [3, -1]), seed.tokenEmbeddingMatrix(), false, true));
    const logits = tf.tidy(() => tf.reshape(seed.forward(x), [3, -1]));
    expect(maxAbsDiff(logits, manual)).toBeLessThan(1e-4);
    const hf = await build({ kind: 'gpt2', weights: GPT2_TINY, head: true });
    expect(maxAbsDiff(tf.tidy(() => tf.reshape(hf.forward(x), [3, -1])), logits)).toBeGreaterThan(1e-2);
    tf.dispose([x, manual, logits]);
  });
});
