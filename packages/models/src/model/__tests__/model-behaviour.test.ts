import * as tf from '@tensorflow/tfjs';
import { builtinModelKind } from '../builtin-kinds';
import { Rng } from '../../util/rng';
import { initGpt2Params } from '../gpt2/params';
import { GPT2_SIZES } from '../gpt2/config';
import type { ImageModel, Model, ModelSpec, TokenModel } from '../types';
import { GPT2_TINY, useBackend, VIT_TINY } from '@repscope/test-support';


const build = (spec: ModelSpec) => builtinModelKind(spec.kind)!.create(spec, { seed: 0, rng: new Rng(0), log: () => {} });
const TINY = { vocabSize: 300, nPositions: 32, nEmbd: 32, nLayer: 3, nHead: 4 };

/** ∂/∂input of ‖O(x) − target‖₁ (the seed's inner loop) as a flat array. */
function l1InputGradient(model: Model, x: tf.Tensor, target: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.grad((inp: tf.Tensor) => tf.sum(tf.abs(tf.sub(model.forward(inp), target))))(x).dataSync() as Float32Array);
}

describe('models as functions of their input', () => {
  beforeAll(() => useBackend('cpu'));

  test('untrained GPT-2 follows HF init: std 0.02, residual projections 0.02/√(2L), unit norms, zero biases', () => {
    // Small enough for jest (whose vm context makes Math.log/cos ~5× slower), large enough for statistics.
    const params = initGpt2Params({ ...GPT2_SIZES.small, vocabSize: 2000, nEmbd: 256, nHead: 4 }, 1, 7);
    const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(std(params.get('wte.weight')!.data)).toBeCloseTo(0.02, 3);
    expect(std(params.get('h.0.attn.c_attn.weight')!.data)).toBeCloseTo(0.02, 3);
    expect(std(params.get('h.0.mlp.c_proj.weight')!.data)).toBeCloseTo(0.02 / Math.sqrt(24), 4);
    expect(std(params.get('h.0.attn.c_proj.weight')!.data)).toBeCloseTo(0.02 / Math.sqrt(24), 4);
    expect(params.get('h.0.ln_1.weight')!.data.every((v) => v === 1)).toBe(true);
    expect(params.get('h.0.mlp.c_fc.bias')!.data.every((v) => v === 0)).toBe(true);
  });

  test('same seed → the same weights; truncation keeps the shared blocks; another seed differs', () => {
    const a = initGpt2Params({ ...TINY, layerNormEpsilon: 1e-5 }, 3, 1);
    const b = initGpt2Params({ ...TINY, layerNormEpsilon: 1e-5 }, 1, 1);
    const c = initGpt2Params({ ...TINY, layerNormEpsilon: 1e-5 }, 1, 2);
    expect(b.get('h.0.attn.c_attn.weight')!.data).toEqual(a.get('h.0.attn.c_attn.weight')!.data);
    expect(c.get('h.0.attn.c_attn.weight')!.data).not.toEqual(a.get('h.0.attn.c_attn.weight')!.data);
  });

  test('input gradients agree between cpu and wasm', async () => {
    const results: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      for (const head of [false, true]) {
        const model = (await build({ kind: 'gpt2', weights: GPT2_TINY, depth: 1, head, positionIds: 'sequential' })) as TokenModel;
        const x = model.embed([[1, 2, 3, 4, 5]]);
        const target = tf.tidy(() => model.forward(model.embed([[9, 8, 7, 6, 5]])));
        (results[`head=${head}`] ??= []).push(l1InputGradient(model, x, target));
        tf.dispose([x, target]);
        model.dispose();
      }
    }
    await useBackend('cpu');
    for (const [name, [cpu, wasm]] of Object.entries(results)) {
      const scale = Math.max(...Array.from(cpu!, Math.abs));
      const diff = Math.max(...Array.from(cpu!, (v, i) => Math.abs(v - wasm![i]!)));
      expect({ name, relative: diff / scale < 1e-4 }).toEqual({ name, relative: true });
      expect(scale).toBeGreaterThan(0);
    }
  });

  test('custom input gradients equal finite differences (GPT-2 with head, FCNet)', async () => {
    for (const spec of [
      { kind: 'gpt2', config: TINY, head: true, positionIds: 'sequential' },
      { kind: 'fcnet', embeddings: { config: TINY }, sequenceLength: 3, hiddenMultiplier: 2, head: false, positionIds: 'sequential' },
    ] as ModelSpec[]) {
      const model = (await build(spec)) as TokenModel;
      const x = model.embed([[3, 1, 4]]);
      const f = (inp: tf.Tensor) => tf.sum(tf.mul(model.forward(inp), tf.sin(tf.range(0, model.forward(inp).size).reshape(model.forward(inp).shape))));
      const analytic = tf.tidy(() => tf.grad(f)(x).dataSync());
      const xs = x.dataSync();
      const h = 1e-2;
      for (const i of [0, 17, 40, 95]) {
        const plus = Float32Array.from(xs);
        const minus = Float32Array.from(xs);
        plus[i]! += h;
        minus[i]! -= h;
        const numeric = tf.tidy(() => (f(tf.tensor(plus, x.shape)).dataSync()[0]! - f(tf.tensor(minus, x.shape)).dataSync()[0]!) / (2 * h));
        expect(Math.abs(numeric - analytic[i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
      }
      x.dispose();
      model.dispose();
    }
  });

  test('hooks: early stop at any hook, patching changes what follows, unknown names suggest', async () => {
    const model = (await build({ kind: 'gpt2', config: TINY, head: true, positionIds: 'sequential' })) as TokenModel;
    const x = model.embed([[5, 6, 7]]);
    const mid = model.forward(x, { output: 'blocks.1.hook_resid_mid' });
    expect(mid.shape).toEqual([1, 3, 32]);
    const pattern = model.forward(x, { output: 'blocks.0.attn.hook_pattern' });
    const p = pattern.arraySync() as number[][][][];
    expect(p[0]![0]![0]![1]).toBe(0);
    expect(p[0]![0]![2]!.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    const normal = model.forward(x);
    const patched = model.forward(x, { hooks: { 'blocks.2.hook_resid_post': (v) => tf.zerosLike(v) } });
    expect(normal.shape).toEqual([1, 3, 300]);
    expect(tf.max(tf.abs(tf.sub(normal, patched))).dataSync()[0]).toBeGreaterThan(0);
    expect(() => model.forward(x, { output: 'blocks.1.hook_resid_psot' })).toThrow('did you mean "blocks.1.hook_resid_post"');
    const { output, cache } = model.runWithCache(x, ['blocks.0.hook_resid_pre', 'ln_final.hook_normalized']);
    expect(Object.keys(cache)).toEqual(['blocks.0.hook_resid_pre', 'ln_final.hook_normalized']);
    expect(tf.max(tf.abs(tf.sub(cache['blocks.0.hook_resid_pre']!, x))).dataSync()[0]).toBe(0);
    tf.dispose([x, mid, pattern, normal, patched, output, ...Object.values(cache)]);
    model.dispose();
  });

  test('the seed\'s MLPs: FCNet widths (invertible or not), per-token MLP, optional head', async () => {
    const fc = (await build({ kind: 'fcnet', embeddings: { config: TINY }, sequenceLength: 4, hiddenMultiplier: 4, invertible: true, head: false, positionIds: 'sequential' })) as TokenModel;
    const fcNo = (await build({ kind: 'fcnet', embeddings: { config: TINY }, sequenceLength: 4, hiddenMultiplier: 4, invertible: false, head: true, positionIds: 'sequential' })) as TokenModel;
    const mlp = (await build({ kind: 'mlp', embeddings: { config: TINY }, hiddenMultiplier: 4, head: false, positionIds: 'sequential' })) as TokenModel;
    const x = fc.embed([[1, 2, 3, 4]]);
    expect(fc.forward(x).shape).toEqual([1, 4 * 4 * 32]);
    expect(fcNo.forward(x).shape).toEqual([1, 4, 300]);
    expect(fcNo.forward(x, { output: 'hook_output' }).shape).toEqual([1, 4 * 32]);
    expect(mlp.forward(x).shape).toEqual([1, 4, 32]);
    expect(() => fc.forward(fc.embed([[1, 2, 3]]))).toThrow('built for 4 tokens');
    const gpt = (await build({ kind: 'gpt2', config: TINY, depth: 0, head: false, positionIds: 'sequential' })) as TokenModel;
    const same = tf.tidy(() => tf.max(tf.abs(tf.sub(gpt.embed([[1, 2, 3, 4]]), x))).dataSync()[0]);
    expect(same).toBe(0);
    tf.dispose(x);
    for (const m of [fc, fcNo, mlp, gpt]) m.dispose();
  });

  test('hybrid: causal, so a patch\'s output depends only on earlier patches', async () => {
    const model = (await build({
      kind: 'hybrid',
      vit: { config: { imageSize: 32, patchSize: 8, hiddenSize: 32, layers: 0, heads: 4, intermediateSize: 64 } },
      gpt2: { config: { ...TINY, nLayer: 2 } },
      depth: 2,
      head: false,
      positionEmbedding: 'none',
      normalize: 'none',
    })) as ImageModel;
    expect(model.sequenceLength).toBe(17);
    // No LM head: no W_E built, none counted by the pre-run memory check, no logits hook.
    const resolved = builtinModelKind('hybrid')!.resolve!({ kind: 'hybrid', vit: { config: { imageSize: 32, patchSize: 8, hiddenSize: 32, layers: 0, heads: 4, intermediateSize: 64 } }, gpt2: { config: { ...TINY, nLayer: 2 } }, depth: 2, head: false, positionEmbedding: 'none', normalize: 'none' });
    expect(resolved.parameterCount).toBe(model.parameterCount());
    expect(model.hookPoints()).not.toContain('logits');
    const img = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1);
    // Token 6 is patch 5 (CLS is token 0): maximise it and look at which patches get gradient.
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.slice(model.forward(x), [0, 6, 0], [1, 1, -1])))(img));
    const perPatch = tf.tidy(() => tf.sum(tf.abs(tf.reshape(tf.transpose(tf.reshape(g, [1, 4, 8, 4, 8, 3]), [0, 1, 3, 2, 4, 5]), [16, -1])), 1).dataSync());
    expect(Array.from(perPatch.slice(0, 6)).every((v) => v > 0)).toBe(true);
    expect(Array.from(perPatch.slice(6)).every((v) => v === 0)).toBe(true);
    tf.dispose([img, g]);
    model.dispose();
  });

  test('ViT preprocessing resizes and normalises like HF (mean/std 0.5)', async () => {
    const model = (await build({ kind: 'vit', weights: VIT_TINY, head: true })) as ImageModel;
    const grey = tf.fill([1, 64, 64, 3], 0.75) as tf.Tensor4D;
    const px = model.preprocess(grey);
    expect(px.shape).toEqual([1, 32, 32, 3]);
    expect(Array.from(px.dataSync()).every((v) => Math.abs(v - 0.5) < 1e-6)).toBe(true);
    tf.dispose([grey, px]);
    model.dispose();
  });
});

describe('ViT preprocessing from a checkpoint', () => {
  test('image mean/std come from preprocessor_config.json when the checkpoint has one', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { tempDir } = await import('@repscope/test-support');
    const dir = tempDir('vit-pre-');
    for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(VIT_TINY, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify({ image_mean: [0.25, 0.25, 0.25], image_std: [0.5, 0.5, 0.5] }));
    await useBackend('cpu');
    const model = (await build({ kind: 'vit', weights: dir, head: false })) as ImageModel;
    const px = model.preprocess(tf.fill([1, 32, 32, 3], 0.75) as tf.Tensor4D);
    expect(Array.from(px.dataSync()).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    tf.dispose(px);
    model.dispose();
  });
});
