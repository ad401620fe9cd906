import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FIXTURES, useBackend } from '@repscope/test-support';
import { builtinModelKind } from '../builtin-kinds';
import { normalArray } from '../init';
import { Rng } from '../../util/rng';
import type { ModelSpec, TokenModel } from '../types';

// nextPositionStates caches the prefix's rotated keys and values and rotates each candidate at
// position n: it must give the full forward's output at that position, for every head setting
// and both residual layouts.
const DIR = path.join(FIXTURES, 'families', 'gpt_neox');
const TINY = { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 3, num_attention_heads: 2, vocab_size: 40, max_position_embeddings: 8, rotary_pct: 0.5, initializer_range: 0.2 };
const build = async (spec: Omit<ModelSpec, 'kind'>) => (await builtinModelKind('gpt_neox')!.create({ kind: 'gpt_neox', ...spec }, { seed: 0, rng: new Rng(0), log: () => {} })) as TokenModel;
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** The candidates' embeddings at position n [B, 1, d] and the full forward's output there [B, width]. */
function reference(model: TokenModel, prefixIds: number[], candidates: number[]): { next: tf.Tensor3D; full: tf.Tensor2D } {
  return tf.tidy(() => {
    const sequences = model.embed(candidates.map((c) => [...prefixIds, c]));
    const n = prefixIds.length;
    const next = tf.slice(sequences, [0, n, 0], [-1, 1, -1]) as tf.Tensor3D;
    const full = tf.reshape(tf.slice(model.forward(sequences), [0, n, 0], [-1, 1, -1]), [candidates.length, -1]) as tf.Tensor2D;
    return { next, full };
  });
}

describe('gpt_neox next-position states with a cached prefix', () => {
  beforeAll(() => useBackend('cpu'));

  test.each([
    ['fixture, blocks only', { weights: DIR, head: false }],
    ['fixture, final norm + embed_out', { weights: DIR, head: true }],
    ['fixture, embed_out without the final norm', { weights: DIR, head: true, finalNorm: false }],
    ['fixture, depth 1', { weights: DIR, depth: 1, head: false }],
    ['fixture, depth 0 with the head', { weights: DIR, depth: 0, head: true }],
    ['untrained parallel residual', { config: TINY, head: true }],
    ['untrained sequential residual', { config: { ...TINY, use_parallel_residual: false }, head: true }],
    ['untrained sequential, blocks only, depth 2', { config: { ...TINY, use_parallel_residual: false }, depth: 2, head: false }],
    ['untrained, rotary over whole heads', { config: { ...TINY, rotary_pct: 1 }, head: false }],
    ['untrained, no rotary dimensions', { config: { ...TINY, rotary_pct: 0 }, head: false }],
    ['untrained, tied head, no attention biases, gelu_new', { config: { ...TINY, tie_word_embeddings: true, attention_bias: false, hidden_act: 'gelu_new' }, head: true }],
  ])('%s: equal the full forward at position n, for a batch of candidates', async (_name, spec) => {
    const model = await build(spec);
    const vocab = model.vocabSize;
    const prefixIds = [5, 11, 2, 30, 17].map((id) => id % vocab);
    const candidates = [0, 3, 29, vocab - 1];
    const prefix = model.embed([prefixIds]);
    const incremental = model.nextPositionStates!(prefix);
    const { next, full } = reference(model, prefixIds, candidates);
    const fast = incremental.states(next);
    try {
      expect(fast.shape).toEqual(full.shape);
      expect(maxAbsDiff(fast, full)).toBeLessThan(1e-5);
    } finally {
      tf.dispose([prefix, next, fast, full]);
      incremental.dispose();
      model.dispose();
    }
  });

  test('the gradient with respect to the candidates equals the full forward’s at position n', async () => {
    const model = await build({ config: { ...TINY, use_parallel_residual: false }, head: true });
    const prefixIds = [4, 9, 1];
    const candidates = [7, 22];
    const probe = tf.tensor2d(normalArray(2 * 40, 1, 'probe'), [2, 40]);
    const prefix = model.embed([prefixIds]);
    const incremental = model.nextPositionStates!(prefix);
    const { next } = reference(model, prefixIds, candidates);
    try {
      const fast = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(incremental.states(x as tf.Tensor3D), probe)))(next);
      const prefixRows = tf.tile(prefix, [2, 1, 1]);
      const full = tf.grad((x: tf.Tensor) => {
        const out = model.forward(tf.concat([prefixRows, x], 1));
        return tf.sum(tf.mul(tf.reshape(tf.slice(out, [0, 3, 0], [-1, 1, -1]), [2, -1]), probe));
      })(next);
      expect(maxAbsDiff(fast, full)).toBeLessThan(1e-5 * Math.max(1, tf.tidy(() => tf.max(tf.abs(full)).dataSync()[0]!)));
      expect(tf.tidy(() => tf.max(tf.abs(full)).dataSync()[0]!)).toBeGreaterThan(1e-2);
      tf.dispose([fast, full, prefixRows]);
    } finally {
      tf.dispose([probe, prefix, next]);
      incremental.dispose();
      model.dispose();
    }
  });

  test('without a prefix the states are the forward at position 0; a prefix filling every position is refused', async () => {
    const model = await build({ config: TINY, head: false });
    try {
      const next = model.embed([[3], [8]]);
      const states = model.nextPositionStates!(undefined);
      const fast = states.states(next);
      const full = tf.tidy(() => tf.reshape(model.forward(next), [2, -1]));
      expect(maxAbsDiff(fast, full)).toBe(0);
      states.dispose();
      const full8 = model.embed([[1, 2, 3, 4, 5, 6, 7, 8]]);
      expect(() => model.nextPositionStates!(full8)).toThrow(/9 tokens is more than the model's 8 positions/);
      tf.dispose([next, fast, full, full8]);
    } finally {
      model.dispose();
    }
  });

  test('the cache holds no tensors beyond its keys and values', async () => {
    const model = await build({ config: TINY, head: true });
    const prefix = model.embed([[1, 2, 3]]);
    const before = tf.memory().numTensors;
    const incremental = model.nextPositionStates!(prefix);
    const next = model.embed([[4]]);
    tf.dispose(incremental.states(next));
    next.dispose();
    incremental.dispose();
    // The model keeps the rope tables and causal mask of the prefix length it has seen.
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(3);
    prefix.dispose();
    model.dispose();
  });
});
