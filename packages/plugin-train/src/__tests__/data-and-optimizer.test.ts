import { tf } from '@repscope/core';
import { gpt2Tokenizer, selectBackend } from '@repscope/core/testing';
import { buildDataset, trainBatches, unigramEntropy } from '../data/dataset';
import { SyntheticCorpus, syntheticVocabularySize } from '../data/synthetic-corpus';
import type { TrainOptions } from '../options';
import { AdamW, decayGroupOf } from '../train/adamw';
import { headCrossEntropy, headCrossEntropyValue } from '../train/cross-entropy';
import { learningRate } from '../train/schedule';

const options = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  data: { synthetic: { sentences: 400 }, heldOut: 0.1 },
  steps: 10,
  batch: { sequences: 3, tokens: 16, accumulate: 2 },
  optimizer: { kind: 'adamw', lr: 0.01, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1, weightDecayOn: ['linear'], schedule: { kind: 'warmup-cosine', warmup: 2, finalFraction: 0.1 } },
  clipGradNorm: 1,
  eval: { every: 5, batches: 2, prompt: 'The', continuation: 4 },
  checkpoints: { every: 5 },
  logEvery: 1,
  ...over,
});

describe('synthetic corpus', () => {
  test('is seeded, grammatical-looking English over a few hundred words', () => {
    const a = new SyntheticCorpus(0).text(50);
    expect(new SyntheticCorpus(0).text(50)).toBe(a);
    expect(new SyntheticCorpus(1).text(50)).not.toBe(a);
    const sentences = a.split(/(?<=[.!])\s+/).filter(Boolean);
    expect(sentences.length).toBe(50);
    for (const s of sentences) expect(s).toMatch(/^[A-Z][a-z]*( [A-Za-z]+,?)*[.!]$/);
    expect(a).not.toMatch(/\ba [aeiou]/);
    const size = syntheticVocabularySize();
    expect(size).toBeGreaterThan(200);
    expect(size).toBeLessThan(800);
  });
});

describe('dataset', () => {
  test('unigram entropy in nats', () => {
    expect(unigramEntropy([Uint16Array.from([0, 0, 1, 1])])).toBeCloseTo(Math.log(2), 12);
    expect(unigramEntropy([Uint16Array.from([5, 5]), Uint16Array.from([5])])).toBe(0);
  });

  test('the held-out split is seeded, disjoint, and covers every token', () => {
    const d = buildDataset(options(), 0, gpt2Tokenizer);
    const again = buildDataset(options(), 0, gpt2Tokenizer);
    expect(again.heldOut.map((p) => p.byteOffset)).toEqual(d.heldOut.map((p) => p.byteOffset));
    const other = buildDataset({ ...options(), data: { synthetic: { sentences: 400 }, heldOut: 0.1 } }, 7, gpt2Tokenizer);
    expect(other.heldOut.map((p) => p.byteOffset)).not.toEqual(d.heldOut.map((p) => p.byteOffset));
    const spans = [...d.train, ...d.heldOut].map((p) => [p.byteOffset / 2, p.byteOffset / 2 + p.length]).sort((a, b) => a[0]! - b[0]!);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(spans[i - 1]![1]);
    expect(spans[0]![0]).toBe(0);
    expect(d.heldOut.length).toBeGreaterThanOrEqual(1);
    expect(d.unigramEntropy).toBeGreaterThan(3);
  });

  test('a step\'s windows depend only on (seed, step); targets are the inputs shifted by one', () => {
    const d = buildDataset(options(), 0, gpt2Tokenizer);
    const a = trainBatches(d, options(), 0, 3);
    expect(trainBatches(d, options(), 0, 3)).toEqual(a);
    expect(trainBatches(d, options(), 0, 4)).not.toEqual(a);
    expect(a).toHaveLength(2);
    for (const b of a) {
      expect(b.inputs).toHaveLength(3);
      b.inputs.forEach((row, r) => expect(Array.from(b.targets.subarray(r * 16, r * 16 + 15))).toEqual(row.slice(1)));
    }
  });
});

describe('optimizer pieces', () => {
  beforeAll(() => selectBackend('cpu'));

  test('warm-up then cosine', () => {
    const o = options().optimizer;
    expect(learningRate(o, 0, 10)).toBeCloseTo(0.005);
    expect(learningRate(o, 1, 10)).toBeCloseTo(0.01);
    expect(learningRate(o, 2, 10)).toBeCloseTo(0.01);
    expect(learningRate(o, 9, 10)).toBeCloseTo(0.001);
    expect(learningRate({ ...o, schedule: { ...o.schedule, kind: 'constant' } }, 9, 10)).toBe(0.01);
  });

  test('AdamW matches PyTorch\'s update rule (decoupled decay only on linear weights)', () => {
    expect(['h.0.mlp.c_fc.weight', 'h.0.mlp.c_fc.bias', 'h.1.ln_2.weight', 'ln_f.bias', 'wte.weight', 'wpe.weight'].map(decayGroupOf)).toEqual([
      'linear', 'biases', 'layer-norms', 'layer-norms', 'embeddings', 'embeddings',
    ]);
    // The Llama family's names.
    const llama = ['model.embed_tokens.weight', 'model.layers.0.input_layernorm.weight', 'model.layers.0.post_attention_layernorm.weight', 'model.layers.0.self_attn.q_norm.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.q_proj.bias', 'model.layers.1.mlp.down_proj.weight', 'model.norm.weight', 'lm_head.weight'];
    expect(llama.map(decayGroupOf)).toEqual(['embeddings', 'layer-norms', 'layer-norms', 'layer-norms', 'linear', 'biases', 'linear', 'layer-norms', 'embeddings']);
    const w = tf.variable(tf.tensor1d([1, -2]));
    const e = tf.variable(tf.tensor1d([0.5, 0.5]));
    const adam = new AdamW(new Map([['h.0.attn.c_attn.weight', w], ['wte.weight', e]]), { betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.1, decayOn: ['linear'] });
    // Reference: torch.optim.AdamW, written out.
    const ref = (p: number[], grads: number[][], decay: boolean) => {
      let m = p.map(() => 0);
      let v = p.map(() => 0);
      grads.forEach((g, k) => {
        const t = k + 1;
        p = p.map((x) => (decay ? x * (1 - 0.01 * 0.1) : x));
        m = m.map((x, i) => 0.9 * x + 0.1 * g[i]!);
        v = v.map((x, i) => 0.99 * x + 0.01 * g[i]! ** 2);
        p = p.map((x, i) => x - (0.01 / (1 - 0.9 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - 0.99 ** t) + 1e-8)));
      });
      return p;
    };
    const grads = [[0.3, -0.1], [0.2, 0.4]];
    for (const g of grads) adam.apply(new Map([['h.0.attn.c_attn.weight', tf.tensor1d(g)], ['wte.weight', tf.tensor1d(g)]]), 0.01);
    const got = Array.from(w.dataSync());
    ref([1, -2], grads, true).forEach((x, i) => expect(got[i]).toBeCloseTo(x, 6));
    const gotE = Array.from(e.dataSync());
    ref([0.5, 0.5], grads, false).forEach((x, i) => expect(gotE[i]).toBeCloseTo(x, 6));
    adam.dispose();
  });

  // On both backends: tfjs-wasm's float32 OneHot once silently broke a gradient there, and its
  // Softmax is XNNPACK's, not the cpu backend's code.
  const reference = (hidden: tf.Tensor, head: tf.Tensor2D, ids: tf.Tensor1D) =>
    tf.grads((h: tf.Tensor, m: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(ids, head.shape[0]), tf.matMul(tf.reshape(h, [-1, head.shape[1]]), m, false, true)) as tf.Scalar);
  const expectClose = (a: tf.Tensor, b: tf.Tensor, tol: number) => {
    expect(a.shape).toEqual(b.shape);
    const [x, y] = [a.dataSync(), b.dataSync()];
    const scale = Math.max(...Array.from(y, Math.abs));
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThanOrEqual(tol * scale);
  };
  test.each(['cpu', 'wasm'] as const)('the chunked LM-head cross-entropy and its gradients equal tfjs\'s softmax cross-entropy on %s', async (backend) => {
    await selectBackend(backend);
    const hidden = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 3);
    const head = tf.randomNormal([7, 4], 0, 1.5, 'float32', 4) as tf.Tensor2D;
    // Repeated targets (2, 2 and 5, 5) must add their rows into d(head).
    const ids = tf.tensor1d([0, 6, 2, 2, 5, 1, 5, 3, 0, 4], 'int32');
    const value = tf.losses.softmaxCrossEntropy(tf.oneHot(ids, 7), tf.matMul(tf.reshape(hidden, [10, 4]), head, false, true));
    const [refHidden, refHead] = reference(hidden, head, ids)([hidden, head]);
    // Pieces of 4 rows: two whole pieces and a partial one.
    for (const rows of [4, 512]) {
      const ours = tf.valueAndGrads((h: tf.Tensor, m: tf.Tensor) => headCrossEntropy(h, m as tf.Tensor2D, ids, rows))([hidden, head]);
      expect(ours.value.dataSync()[0]).toBeCloseTo(value.dataSync()[0]!, 5);
      expect(headCrossEntropyValue(hidden, head, ids, rows).dataSync()[0]).toBeCloseTo(value.dataSync()[0]!, 5);
      expectClose(ours.grads[0]!, refHidden!, 1e-6);
      expectClose(ours.grads[1]!, refHead!, 1e-6);
    }
    await selectBackend('cpu');
  });

  test.each(['cpu', 'wasm'] as const)('a target whose probability underflows float32 still gets its exact loss on %s', async (backend) => {
    await selectBackend(backend);
    // Logits ~±200: p(target) = e^-400 is 0 in float32, the loss (~400 nats) is not.
    const hidden = tf.tensor2d([[10, 0], [0, 10], [3, 1]]);
    const head = tf.tensor2d([[20, 0], [-20, 0], [0, 20], [0, -20]]) as tf.Tensor2D;
    const ids = tf.tensor1d([1, 3, 0], 'int32');
    const expected = tf.losses.softmaxCrossEntropy(tf.oneHot(ids, 4), tf.matMul(hidden, head, false, true)).dataSync()[0]!;
    expect(expected).toBeGreaterThan(200);
    const ours = headCrossEntropyValue(hidden, head, ids, 2).dataSync()[0]!;
    expect(Number.isFinite(ours)).toBe(true);
    expect(Math.abs(ours - expected)).toBeLessThan(1e-5 * expected);
    await selectBackend('cpu');
  });
});
