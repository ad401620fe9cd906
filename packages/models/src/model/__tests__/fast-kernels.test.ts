import * as tf from '@tensorflow/tfjs';
import { attention, CausalMasks, geluTanh, layerNorm, splitHeads } from '../layers';
import { frozenLayerNorm } from '../frozen-layer-norm';
import { perHeadAttention } from '../per-head-attention';
import { TEST_BACKENDS, useBackend } from '@repscope/test-support';
import { builtinModelKind } from '../builtin-kinds';
import { Rng } from '../../util/rng';
import type { HookFn, TokenModel } from '../types';
import { PER_HEAD_MIN_TOKENS } from '../per-head-attention';
import { buildGpt2 } from '../gpt2/kind';

/** The plain attention of layers.ts from a fused q|k|v, the reference for the per-head kernel. */
function plainAttention(qkv: tf.Tensor3D, heads: number, masks: CausalMasks | undefined): tf.Tensor {
  const [q, k, v] = tf.split(qkv, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  return attention(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads), masks).z;
}

function maxRelative(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]!));
}

/** Value and input gradient of Σ f(x)·w, for a fixed random weighting w. */
function valueAndGrad(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, w: tf.Tensor): { value: tf.Tensor; grad: tf.Tensor } {
  return { value: f(x), grad: tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(f(inp), w)))(x) };
}

describe.each(TEST_BACKENDS)('frozen-path kernels on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  test.each([
    ['causal', true],
    ['bidirectional', false],
  ])('per-head attention (%s) equals the batched attention, value and gradient', (_name, causal) => {
    const masks = causal ? new CausalMasks() : undefined;
    tf.tidy(() => {
      const [b, n, heads, dh] = [2, 7, 3, 4];
      const qkv = tf.randomNormal([b, n, 3 * heads * dh], 0, 1, 'float32', 3) as tf.Tensor3D;
      const w = tf.randomNormal([b, n, heads * dh], 0, 1, 'float32', 4);
      const fast = valueAndGrad((x) => perHeadAttention(x as tf.Tensor3D, heads, masks?.get(n)), qkv, w);
      const plain = valueAndGrad((x) => plainAttention(x as tf.Tensor3D, heads, masks), qkv, w);
      expect(fast.value.shape).toEqual([b, n, heads * dh]);
      expect(maxRelative(fast.value, plain.value)).toBeLessThan(1e-5);
      expect(fast.grad.shape).toEqual(qkv.shape);
      expect(maxRelative(fast.grad, plain.grad)).toBeLessThan(1e-4);
    });
    masks?.dispose();
  });

  test('GELU (tanh form) with its written-out derivative equals autodiff of the formula', () => {
    tf.tidy(() => {
      const x = tf.mul(tf.randomNormal([3, 7, 11], 0, 1, 'float32', 13), 3);
      const w = tf.randomNormal([3, 7, 11], 0, 1, 'float32', 14);
      const formula = (t: tf.Tensor) => tf.mul(tf.mul(t, 0.5), tf.add(tf.tanh(tf.mul(tf.add(t, tf.mul(tf.pow(t, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
      const fast = valueAndGrad(geluTanh, x, w);
      const plain = valueAndGrad(formula, x, w);
      expect(maxRelative(fast.value, plain.value)).toBeLessThan(1e-5);
      expect(maxRelative(fast.grad, plain.grad)).toBeLessThan(1e-4);
    });
  });

  test('frozen layer norm equals the textbook formula, value and gradient', () => {
    tf.tidy(() => {
      const x = tf.add(tf.mul(tf.randomNormal([2, 5, 16], 0, 1, 'float32', 5), 3), 1);
      const gamma = tf.randomNormal([16], 1, 0.5, 'float32', 6) as tf.Tensor1D;
      const beta = tf.randomNormal([16], 0, 1, 'float32', 7) as tf.Tensor1D;
      const w = tf.randomNormal([2, 5, 16], 0, 1, 'float32', 8);
      const textbook = (t: tf.Tensor) => {
        const { mean, variance } = tf.moments(t, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
      };
      const fast = valueAndGrad((t) => frozenLayerNorm(t, gamma, beta, 1e-5), x, w);
      const plain = valueAndGrad(textbook, x, w);
      const differentiable = valueAndGrad((t) => layerNorm(t, gamma, beta, 1e-5), x, w);
      expect(maxRelative(fast.value, plain.value)).toBeLessThan(1e-5);
      expect(maxRelative(fast.grad, plain.grad)).toBeLessThan(1e-4);
      expect(maxRelative(differentiable.value, plain.value)).toBeLessThan(1e-5);
      expect(maxRelative(differentiable.grad, plain.grad)).toBeLessThan(1e-4);
    });
  });
});

describe.each(TEST_BACKENDS)('a model at %s takes the per-head path (when switched on) only when the pattern is not observed', (backend) => {
  beforeAll(() => useBackend(backend));

  beforeAll(() => {
    process.env['REPSCOPE_PER_HEAD_ATTENTION'] = '1';
  });
  afterAll(() => {
    delete process.env['REPSCOPE_PER_HEAD_ATTENTION'];
  });

  test('GPT-2 forward and input gradient equal the plain path\'s (pattern hooked)', async () => {
    
    const config = { vocabSize: 300, nPositions: PER_HEAD_MIN_TOKENS + 8, nEmbd: 32, nLayer: 2, nHead: 4 };
    const model = (await builtinModelKind('gpt2')!.create({ kind: 'gpt2', config, head: false, positionIds: 'sequential' }, { seed: 0, rng: new Rng(0), log: () => {} })) as TokenModel;
    const identity: HookFn = (v) => v;
    const plainHooks = { 'blocks.0.attn.hook_pattern': identity, 'blocks.1.attn.hook_pattern': identity };
    tf.tidy(() => {
      const x = tf.randomNormal([2, PER_HEAD_MIN_TOKENS + 3, 32], 0, 1, 'float32', 11);
      const w = tf.randomNormal([2, PER_HEAD_MIN_TOKENS + 3, 32], 0, 1, 'float32', 12);
      const fast = valueAndGrad((t) => model.forward(t), x, w);
      const plain = valueAndGrad((t) => model.forward(t, { hooks: plainHooks }), x, w);
      expect(maxRelative(fast.value, plain.value)).toBeLessThan(1e-5);
      expect(maxRelative(fast.grad, plain.grad)).toBeLessThan(1e-4);
    });
    model.dispose();
  });
});

describe('a trainable model on wasm with the per-head path switched on', () => {
  beforeAll(() => useBackend('wasm'));
  beforeAll(() => {
    process.env['REPSCOPE_PER_HEAD_ATTENTION'] = '1';
  });
  afterAll(() => {
    delete process.env['REPSCOPE_PER_HEAD_ATTENTION'];
  });

  test('takes it, with the batched path\'s parameter gradients', async () => {
    const n = PER_HEAD_MIN_TOKENS + 8;
    const config = { vocabSize: 300, nPositions: n, nEmbd: 32, nLayer: 2, nHead: 4 };
    const model = await buildGpt2({ kind: 'gpt2', config, head: false, positionIds: 'sequential' }, 0, () => {}, { trainable: true });
    const identity: HookFn = (v) => v;
    const plainHooks = { 'blocks.0.attn.hook_pattern': identity, 'blocks.1.attn.hook_pattern': identity };
    const vars = [...model.namedParameters().values()] as tf.Variable[];
    const ids = [Array.from({ length: n }, (_, i) => (i * 37) % 300), Array.from({ length: n }, (_, i) => (i * 11 + 5) % 300)];
    const w = tf.randomNormal([2, n, 32], 0, 1, 'float32', 13);
    const gradsOf = (hooks?: Record<string, HookFn>) => tf.variableGrads(() => tf.sum(tf.mul(model.forward(model.embed(ids), hooks ? { hooks } : {}), w)) as tf.Scalar, vars).grads;
    // The per-head kernel issues one 2-D product per (sequence, head); the plain path 4-D ones.
    const kernels = async (hooks?: Record<string, HookFn>) => (await tf.profile(() => tf.dispose(Object.values(gradsOf(hooks))))).kernels.filter((k) => k.name === 'BatchMatMul' && k.inputShapes[0]!.length === 4).length;
    expect(await kernels()).toBe(0);
    expect(await kernels(plainHooks)).toBeGreaterThan(0);
    const fast = gradsOf();
    const plain = gradsOf(plainHooks);
    // Without the head, ln_f is unused: every other parameter has a gradient on both paths.
    const used = vars.filter((v) => plain[v.name]);
    expect(used.length).toBe(vars.length - 2);
    for (const v of used) expect(maxRelative(fast[v.name]!, plain[v.name]!)).toBeLessThan(1e-4);
    tf.dispose([w, ...Object.values(fast), ...Object.values(plain)]);
    model.dispose();
  });
});

describe('per-head attention gradient against finite differences', () => {
  beforeAll(() => useBackend('cpu'));

  test('central differences agree at sampled q, k and v entries', () => {
    const masks = new CausalMasks();
    const [n, heads, dh] = [5, 2, 3];
    const qkv = tf.randomNormal([1, n, 3 * heads * dh], 0, 1, 'float32', 9) as tf.Tensor3D;
    const w = tf.randomNormal([1, n, heads * dh], 0, 1, 'float32', 10);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(perHeadAttention(x as tf.Tensor3D, heads, masks.get(n)), w));
    const analytic = tf.tidy(() => tf.grad(f)(qkv).dataSync());
    const xs = qkv.dataSync();
    const h = 1e-2;
    // one entry each in the q, k and v thirds of a row, and in later rows
    for (const i of [1, 7, 14, 3 * 18 + 2, 4 * 18 + 9, 4 * 18 + 17]) {
      const plus = Float32Array.from(xs);
      const minus = Float32Array.from(xs);
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = tf.tidy(() => (f(tf.tensor(plus, qkv.shape)).dataSync()[0]! - f(tf.tensor(minus, qkv.shape)).dataSync()[0]!) / (2 * h));
      expect(Math.abs(numeric - analytic[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    }
    tf.dispose([qkv, w]);
    masks.dispose();
  });
});
