import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FIXTURES, readExpected, tempDir, TEST_BACKENDS, useBackend, relativeError } from '@repscope/test-support';
import { builtinModelKind } from '../builtin-kinds';
import { openCheckpoint } from '../checkpoint/checkpoint';
import { gptNeoxConfigFromHf, gptNeoxParameterShapes } from '../gpt-neox/config';
import { normalArray } from '../init';
import { float32ToBf16Bits } from '../safetensors/dtypes';
import { writeSafetensors } from '../safetensors/write';
import { Rng } from '../../util/rng';
import type { ModelSpec, TokenModel } from '../types';

// A tiny random Pythia-layout checkpoint (real vocabulary, F16, partial rotary 4 of 16 dims,
// parallel residual, untied embed_out, Pythia's extra buffers) with activations from an
// independent float64 PyTorch implementation (../shared/fixtures/families). Parity: max|Δ| /
// max|ref| ≤ 1e-4 per tensor.
const DIR = path.join(FIXTURES, 'families', 'gpt_neox');
const FIXTURE_CONFIG = JSON.parse(fs.readFileSync(path.join(DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
const TINY = { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, vocab_size: 40, max_position_embeddings: 16, rotary_pct: 0.5 };
const deps = { seed: 0, rng: new Rng(0), log: () => {} };
const build = async (spec: Omit<ModelSpec, 'kind'>) => (await builtinModelKind('gpt_neox')!.create({ kind: 'gpt_neox', ...spec }, deps)) as TokenModel;

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('gpt_neox matches the reference implementation', () => {
  beforeAll(() => useBackend('cpu'));

  test.each(TEST_BACKENDS)('every stored hook point within 1e-4 of the reference, relative to its largest value (%s)', async (backend) => {
    await useBackend(backend);
    const { meta, tensors } = readExpected(DIR);
    const model = await build({ weights: DIR, head: true });
    try {
      const names = [...tensors.keys()];
      const { output, cache } = model.runWithCache(model.embed([meta['token_ids'] as number[]]), names);
      const errors: [string, number][] = [];
      for (const name of names) {
        expect({ name, shape: cache[name]!.shape }).toEqual({ name, shape: tensors.get(name)!.shape });
        errors.push([name, relativeError(await cache[name]!.data(), tensors.get(name)!.data)]);
      }
      expect(errors.filter(([, e]) => !(e <= 1e-4))).toEqual([]);
      tf.dispose([output, ...Object.values(cache)]);
    } finally {
      model.dispose();
    }
  });

  test('depth and head mean what they mean for GPT-2; the residual stream starts at the token embedding', async () => {
    await useBackend('cpu');
    const { meta, tensors } = readExpected(DIR);
    const ids = meta['token_ids'] as number[];
    const truncated = await build({ weights: DIR, depth: 1, head: false });
    try {
      expect(truncated.hookPoints()).not.toContain('blocks.1.hook_resid_pre');
      expect(truncated.outputHook).toBe('blocks.0.hook_resid_post');
      const x = truncated.embed([ids]);
      expect(Math.max(...Array.from(await x.data(), (v, i) => Math.abs(v - tensors.get('blocks.0.hook_resid_pre')!.data[i]!)))).toBeLessThanOrEqual(1e-6);
      const out = truncated.forward(x);
      expect(relativeError(await out.data(), tensors.get('blocks.0.hook_resid_post')!.data)).toBeLessThanOrEqual(1e-4);
      tf.dispose([x, out]);
    } finally {
      truncated.dispose();
    }
  });

  test("the head is embed_out, not embed_in; finalNorm false applies it to the last block's output", async () => {
    await useBackend('cpu');
    const { meta, tensors } = readExpected(DIR);
    const ids = meta['token_ids'] as number[];
    const model = await build({ weights: DIR, head: true, finalNorm: false });
    const ckpt = openCheckpoint(DIR);
    const embedOut = tf.tensor2d(ckpt.read('embed_out.weight'), ckpt.shape('embed_out.weight') as [number, number]);
    try {
      expect(model.hookPoints()).not.toContain('ln_final.hook_normalized');
      const x = model.embed([ids]);
      const logits = tf.tidy(() => tf.reshape(model.forward(x), [ids.length, -1]));
      const last = tensors.get('blocks.1.hook_resid_post')!;
      const manual = tf.tidy(() => tf.matMul(tf.tensor2d(last.data, [ids.length, last.shape[2]!]), embedOut, false, true));
      expect(maxAbsDiff(logits, manual)).toBeLessThan(1e-4 * tf.tidy(() => tf.max(tf.abs(manual)).dataSync()[0]!));
      const viaEmbedIn = tf.tidy(() => tf.matMul(tf.tensor2d(last.data, [ids.length, last.shape[2]!]), model.tokenEmbeddingMatrix(), false, true));
      expect(maxAbsDiff(logits, viaEmbedIn)).toBeGreaterThan(1e-1);
      tf.dispose([x, logits, manual, viaEmbedIn]);
    } finally {
      embedOut.dispose();
      model.dispose();
    }
  });

  test('Pythia parallel residual has no hook_resid_mid; ln2 reads the block input', async () => {
    await useBackend('cpu');
    const model = await build({ weights: DIR, head: false });
    try {
      expect(model.hookPoints().filter((h) => h.endsWith('hook_resid_mid'))).toEqual([]);
      expect(model.hookPoints()).toContain('blocks.1.ln2.hook_normalized');
      expect(() => model.forward(tf.zeros([1, 2, 64]), { output: 'blocks.0.hook_resid_mid' })).toThrow(/has no hook point "blocks.0.hook_resid_mid"/);
    } finally {
      model.dispose();
    }
  });
});

describe('gpt_neox config.json keys', () => {
  const refused = (config: Record<string, unknown>) => {
    try {
      builtinModelKind('gpt_neox')!.resolve!({ kind: 'gpt_neox', config, head: false });
      return 'accepted';
    } catch (err) {
      return (err as Error).message;
    }
  };

  test('math this implementation does not carry out is refused, one line naming the key', () => {
    expect(refused(FIXTURE_CONFIG)).toBe('accepted');
    expect(refused({ ...FIXTURE_CONFIG, rope_scaling: { type: 'linear', factor: 2.0 } })).toMatch(/config.json rope_scaling \{"type":"linear","factor":2\} is not supported for gpt_neox/);
    expect(refused({ ...FIXTURE_CONFIG, rope_parameters: { rope_type: 'dynamic', factor: 2 } })).toMatch(/rope_parameters.rope_type "dynamic" is not supported/);
    expect(refused({ ...FIXTURE_CONFIG, hidden_act: 'relu' })).toMatch(/hidden_act "relu" is not supported for gpt_neox \(supported: gelu, gelu_new, gelu_fast, gelu_pytorch_tanh\)/);
    expect(refused({ ...FIXTURE_CONFIG, use_parallel_residual: 'yes' })).toMatch(/use_parallel_residual must be true or false/);
    expect(refused({ ...FIXTURE_CONFIG, attention_bias: 1 })).toMatch(/attention_bias must be true or false/);
    expect(refused({ ...FIXTURE_CONFIG, tie_word_embeddings: 'no' })).toMatch(/tie_word_embeddings must be true or false/);
    expect(refused({ ...FIXTURE_CONFIG, rotary_pct: 0.1875 })).toMatch(/rotary_pct 0.1875 gives 3 rotary dimensions per head; rotate-half RoPE needs an even number/);
    expect(refused({ ...FIXTURE_CONFIG, rotary_pct: 1.5 })).toMatch(/rotary_pct must be within 0…1/);
    expect(refused({ ...FIXTURE_CONFIG, partial_rotary_factor: 0.5 })).toMatch(/rotary_pct = 0.25 and partial_rotary_factor = 0.5 disagree/);
    expect(refused({ ...FIXTURE_CONFIG, rope_theta: 500 })).toMatch(/rotary_emb_base = 10000 and rope_theta = 500 disagree/);
    expect(refused({ ...FIXTURE_CONFIG, num_attention_heads: 5 })).toMatch(/hidden_size \(64\) must be a multiple of num_attention_heads \(5\)/);
    expect(refused({ ...FIXTURE_CONFIG, layer_norm_eps: 0 })).toMatch(/"layer_norm_eps" must be a positive number/);
  });

  test('the spellings of rotary settings across transformers versions are read alike', () => {
    const base = gptNeoxConfigFromHf(FIXTURE_CONFIG, 'fixture');
    expect(base).toMatchObject({ headDim: 16, rotaryDims: 4, rotaryBase: 10000, parallelResidual: true, activation: 'erf', attentionBias: true, tieWordEmbeddings: false });
    const { rotary_pct: _pct, rotary_emb_base: _base, ...bare } = FIXTURE_CONFIG;
    expect(gptNeoxConfigFromHf({ ...bare, partial_rotary_factor: 0.25, rope_theta: 10000 }, 'v4.5x')).toEqual(base);
    expect(gptNeoxConfigFromHf({ ...bare, rope_parameters: { rope_type: 'default', partial_rotary_factor: 0.25, rope_theta: 10000 } }, 'v5')).toEqual(base);
    expect(gptNeoxConfigFromHf({ ...FIXTURE_CONFIG, hidden_act: 'gelu_fast' }, 'fast').activation).toBe('tanh');
  });

  test('a checkpoint of another family is refused by model_type', () => {
    expect(() => builtinModelKind('gpt_neox')!.resolve!({ kind: 'gpt_neox', weights: path.join(FIXTURES, 'families', 'llama'), head: false })).toThrow(/is a "llama" checkpoint, not gpt_neox/);
  });
});

/** A checkpoint folder of `config`'s untrained-shaped tensors (values from `seed`), with optional extra tensors. */
function writeCheckpoint(config: Record<string, unknown>, options: { dtype?: 'F32' | 'BF16'; shards?: number; extra?: Record<string, { shape: number[]; data: Float32Array }>; drop?: string[] } = {}): string {
  const c = gptNeoxConfigFromHf(config, 'test');
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = { ...options.extra };
  for (const { name, shape } of gptNeoxParameterShapes(c, c.layers, true)) {
    if (options.drop?.includes(name)) continue;
    const values = normalArray(shape.reduce((a, d) => a * d, 1), 0.2, name);
    // Rounded to bfloat16 so that F32 and BF16 files hold the same numbers.
    tensors[name] = { shape, data: Float32Array.from(values, (v) => new Float32Array(new Uint32Array([float32ToBf16Bits(v) << 16]).buffer)[0]!) };
  }
  const dir = tempDir('neox-ckpt-');
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt_neox', ...config }));
  const names = Object.keys(tensors);
  const shards = options.shards ?? 1;
  if (shards === 1) writeSafetensors(path.join(dir, 'model.safetensors'), tensors, options.dtype);
  else {
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < shards; s++) {
      const file = `model-0000${s + 1}-of-0000${shards}.safetensors`;
      const part = names.filter((_, i) => i % shards === s);
      writeSafetensors(path.join(dir, file), Object.fromEntries(part.map((n) => [n, tensors[n]!])), options.dtype);
      for (const n of part) weightMap[n] = file;
    }
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  }
  return dir;
}

describe('gpt_neox checkpoints', () => {
  beforeAll(() => useBackend('cpu'));

  const logitsOf = async (weights: string, ids = [1, 7, 3, 9]) => {
    const model = await build({ weights, head: true });
    try {
      return tf.tidy(() => model.forward(model.embed([ids])));
    } finally {
      model.dispose();
    }
  };

  test("Pythia's buffers are ignored; any other unexpected tensor is refused by name", () => {
    const names = openCheckpoint(DIR).names();
    for (const buffer of ['gpt_neox.layers.0.attention.bias', 'gpt_neox.layers.0.attention.masked_bias', 'gpt_neox.layers.1.attention.rotary_emb.inv_freq']) expect(names).toContain(buffer);
    expect(builtinModelKind('gpt_neox')!.resolve!({ kind: 'gpt_neox', weights: DIR, head: true })).toMatchObject({ kind: 'gpt_neox', dModel: 64, layers: 2, vocabSize: 50304, tokenizer: undefined });
    const extra = writeCheckpoint(TINY, { extra: { 'gpt_neox.layers.0.attention.rotary_emb.scale': { shape: [1], data: new Float32Array([2]) } } });
    expect(() => builtinModelKind('gpt_neox')!.resolve!({ kind: 'gpt_neox', weights: extra, head: false })).toThrow(/unexpected tensor "gpt_neox.layers.0.attention.rotary_emb.scale"/);
  });

  test('F32 in one file and BF16 in two shards load the same model', async () => {
    const single = await logitsOf(writeCheckpoint(TINY, { dtype: 'F32' }));
    const sharded = await logitsOf(writeCheckpoint(TINY, { dtype: 'BF16', shards: 2 }));
    expect(maxAbsDiff(single, sharded)).toBe(0);
    tf.dispose([single, sharded]);
  });

  test('an untied checkpoint without embed_out is refused; a tied one reads the head from embed_in', async () => {
    expect(() => builtinModelKind('gpt_neox')!.resolve!({ kind: 'gpt_neox', weights: writeCheckpoint(TINY, { drop: ['embed_out.weight'] }), head: true })).toThrow(/tie_word_embeddings false\), but there is no embed_out.weight/);
    const tiedConfig = { ...TINY, tie_word_embeddings: true };
    const model = await build({ weights: writeCheckpoint(tiedConfig, { drop: ['embed_out.weight'] }), head: true });
    try {
      const x = model.embed([[1, 7, 3]]);
      const { output, cache } = model.runWithCache(x, ['ln_final.hook_normalized']);
      const manual = tf.tidy(() => tf.matMul(tf.reshape(cache['ln_final.hook_normalized']!, [3, 16]), model.tokenEmbeddingMatrix(), false, true));
      expect(maxAbsDiff(tf.reshape(output, [3, -1]), manual)).toBeLessThan(1e-5);
      tf.dispose([x, output, manual, ...Object.values(cache)]);
    } finally {
      model.dispose();
    }
  });

  test("the checkpoint's tokenizer.json comes with the model when there is one", () => {
    const dir = writeCheckpoint(TINY);
    expect(builtinModelKind('gpt_neox')!.resolve!({ kind: 'gpt_neox', weights: dir, head: false }).tokenizer).toBeUndefined();
    fs.copyFileSync(path.join(FIXTURES, 'families', 'llama', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    const tokenizer = builtinModelKind('gpt_neox')!.resolve!({ kind: 'gpt_neox', weights: dir, head: false }).tokenizer;
    expect(tokenizer!.decode(tokenizer!.encode('Hello world'))).toBe('Hello world');
  });
});

describe('gpt_neox untrained builds', () => {
  beforeAll(() => useBackend('cpu'));

  test.each([
    ['parallel', true],
    ['sequential', false],
  ])('%s residual from a config block: the hook points add up as the architecture says', async (_name, parallel) => {
    const model = await build({ config: { ...TINY, use_parallel_residual: parallel }, head: true, seed: 4 });
    try {
      const names = ['blocks.1.hook_resid_pre', 'blocks.1.ln1.hook_normalized', 'blocks.1.ln2.hook_normalized', 'blocks.1.hook_attn_out', 'blocks.1.hook_mlp_out', 'blocks.1.hook_resid_post', ...(parallel ? [] : ['blocks.1.hook_resid_mid'])];
      expect(model.hookPoints().includes('blocks.1.hook_resid_mid')).toBe(!parallel);
      const x = model.embed([[1, 2, 3, 4]]);
      const { output, cache } = model.runWithCache(x, names);
      const [pre, attn, mlp, post] = ['hook_resid_pre', 'hook_attn_out', 'hook_mlp_out', 'hook_resid_post'].map((n) => cache[`blocks.1.${n}`]!);
      expect(maxAbsDiff(post!, tf.add(tf.add(pre!, attn!), mlp!))).toBeLessThan(1e-5);
      // Untrained LayerNorms are all (1, 0): ln2 equals ln1 exactly when both read the block input.
      const lnGap = maxAbsDiff(cache['blocks.1.ln1.hook_normalized']!, cache['blocks.1.ln2.hook_normalized']!);
      if (parallel) expect(lnGap).toBe(0);
      else {
        expect(lnGap).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(cache['blocks.1.hook_resid_mid']!, tf.add(pre!, attn!))).toBeLessThan(1e-6);
      }
      tf.dispose([x, output, ...Object.values(cache)]);
    } finally {
      model.dispose();
    }
  });

  test('the seed decides the weights; attention_bias false drops the attention biases', async () => {
    const a = await build({ config: TINY, head: false, seed: 1 });
    const b = await build({ config: TINY, head: false, seed: 1 });
    const c = await build({ config: TINY, head: false, seed: 2 });
    const noBias = await build({ config: { ...TINY, attention_bias: false }, head: false, seed: 1 });
    try {
      expect(maxAbsDiff(a.tokenEmbeddingMatrix(), b.tokenEmbeddingMatrix())).toBe(0);
      expect(maxAbsDiff(a.tokenEmbeddingMatrix(), c.tokenEmbeddingMatrix())).toBeGreaterThan(1e-3);
      expect(a.parameterCount() - noBias.parameterCount()).toBe(2 * (3 * 16 + 16));
      expect(a.parameterCount()).toBe(builtinModelKind('gpt_neox')!.resolve!({ kind: 'gpt_neox', config: TINY, head: false }).parameterCount);
    } finally {
      [a, b, c, noBias].forEach((m) => m.dispose());
    }
  });

  test('input gradient agrees with central finite differences (float32, relative error ≤ 1e-2)', async () => {
    // σ = 0.2 rather than HF's 0.02: with 0.02 the embeddings are so small that LayerNorm is
    // strongly curved within any step float32 can resolve, and attention is nearly uniform.
    const model = await build({ config: { ...TINY, initializer_range: 0.2 }, head: true, seed: 1 });
    const x = model.embed([[3, 1, 4, 1, 5]]);
    const weights = tf.tensor(normalArray(5 * 40, 1, 'probe'), [1, 5, 40]);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(model.forward(input), weights));
    try {
      const grad = await tf.grad(f)(x).data();
      const base = await x.data();
      // Step 3e-3: truncation error (∝ h²) and float32 rounding of f (∝ 1/h) measured ≤ 6e-4 relative here.
      const h = 3e-3;
      const at = (idx: number, delta: number) => {
        const moved = Float32Array.from(base);
        moved[idx] = moved[idx]! + delta;
        return tf.tidy(() => f(tf.tensor(moved, x.shape)).dataSync()[0]!);
      };
      // One coordinate per position: position 0 reaches later positions only through attention.
      const checks = [0, 21, 38, 50, 79].map((idx) => {
        const numeric = (at(idx, h) - at(idx, -h)) / (2 * h);
        return { idx, analytic: grad[idx]!, numeric, relative: Math.abs(numeric - grad[idx]!) / Math.abs(grad[idx]!) };
      });
      expect(checks.filter((c) => !(c.relative <= 1e-2))).toEqual([]);
      // The probe is not degenerate: every checked derivative is far from zero.
      expect(Math.min(...checks.map((c) => Math.abs(c.analytic)))).toBeGreaterThan(0.05);
    } finally {
      tf.dispose([x, weights]);
      model.dispose();
    }
  });
});
