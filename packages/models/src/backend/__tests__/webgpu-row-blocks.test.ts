import * as tf from '@tensorflow/tfjs';
import { relativeError } from '@repscope/test-support';
import { pinvDecoder } from '../../decode/builtin-decoders';
import { builtinModelKind } from '../../model/builtin-kinds';
import { applyModelOptions } from '../../model/model-options';
import { rowPieces, SplitMatrix } from '../../model/split-matrix';
import { tokenEmbeddingRows } from '../../model/token-embedding-rows';
import type { ModelSpec, TokenModel, TrainableTokenModel } from '../../model/types';
import { Rng } from '../../util/rng';
import { BINDING_LIMIT_ENV, storageBindingLimit } from '../binding-limit';
import { selectBackend } from '../select-backend';
import { webgpuAdapterForTests } from '../webgpu-for-tests';

/*
 * Tensors over the device's storage-binding limit, on lavapipe: weights held in row blocks,
 * logits made in pieces of rows, and everything equal to the unsplit wasm run within 1e-4
 * relative (what every webgpu parity suite holds to). With the limit forced low a tiny model
 * splits as GPT-2 small does; GPT-2 small itself runs once at lavapipe's real 128 MiB.
 */
const gpu = webgpuAdapterForTests();
if (!gpu.available) console.log(`webgpu row-block suite skipped: ${gpu.reason}`);
const describeGpu = gpu.available ? describe : describe.skip;
/** A software adapter compiles every shader on the CPU the first time. */
const GPU_TEST_MS = 300_000;
/** W_E [1000, 32] is 128 000 bytes: three blocks under it; the logits of 32 rows (128 000 bytes) three pieces. */
const FORCED_LIMIT = 48_000;

process.env['REPSCOPE_CACHE_DIR'] = '';

async function build(spec: ModelSpec): Promise<TokenModel> {
  const kind = builtinModelKind(spec.kind)!;
  return (await kind.create(applyModelOptions(kind, spec), { seed: 0, rng: new Rng(0), log: () => {} })) as TokenModel;
}

interface Measured {
  /** The binding limit the run had (undefined off webgpu). */
  limit: number | undefined;
  /** Blocks of W_E and of the head's matrix. */
  blocks: number[];
  logitPieces: number;
  embeddings: Float32Array;
  logits: Float32Array;
  gradient: Float32Array;
  decoded?: { ids: number[][]; scores: number[] };
}

/** Embeddings, logits, ∂/∂input of Σ |logits − target| and (optionally) the pinv decode of slightly moved embeddings, on the active backend. */
async function measure(spec: ModelSpec, ids: number[][], decode: boolean): Promise<Measured> {
  const model = await build(spec);
  try {
    const x = model.embed(ids);
    const logits = tf.tidy(() => model.forward(x));
    // The head layer exists once the forward has used it.
    const head = (model as unknown as { lmHead?: { matrix: unknown } }).lmHead?.matrix;
    const blocks = [tokenEmbeddingRows(model), head].map((m) => (m instanceof SplitMatrix ? m.blocks.length : 1));
    // Where W_E is in blocks, the API that hands it out whole says so instead.
    if (blocks[0]! > 1) {
      expect(() => model.tokenEmbeddingMatrix()).toThrow(new RegExp(`held in ${blocks[0]} row blocks; this code path needs it as one tensor`));
      expect(() => (model as TrainableTokenModel).namedParameters()).toThrow('row blocks');
      expect(() => (model as TrainableTokenModel).headMatrix()).toThrow('row blocks');
    }
    const target = tf.tidy(() => tf.mul(logits, 0.5));
    const gradient = tf.tidy(() => tf.grad((e: tf.Tensor) => tf.sum(tf.abs(tf.sub(model.forward(e), target))))(x));
    const result: Measured = {
      limit: storageBindingLimit(),
      blocks,
      logitPieces: rowPieces(ids.length * ids[0]!.length, model.vocabSize).length,
      embeddings: (await x.data()) as Float32Array,
      logits: (await logits.data()) as Float32Array,
      gradient: (await gradient.data()) as Float32Array,
    };
    if (decode) {
      // Its own embedding identity per backend, so (WᵀW)⁺ is computed here, not taken from the other run's cache.
      const view = Object.create(model, { embeddingId: { value: `${model.embeddingId}@${tf.getBackend()}` } }) as TokenModel;
      const decoder = await pinvDecoder.create(view);
      const moved = tf.tidy(() => tf.add(x, tf.mul(tf.sin(tf.range(0, x.size).reshape(x.shape)), 0.002)) as tf.Tensor3D);
      const out = await decoder.decode(moved, 3);
      result.decoded = { ids: out.ids, scores: out.topK.flat(2).map((c) => c.score) };
      decoder.dispose();
      moved.dispose();
    }
    tf.dispose([x, logits, target, gradient]);
    return result;
  } finally {
    model.dispose();
  }
}

function expectParity(gpuRun: Measured, wasmRun: Measured): void {
  expect(gpuRun.logits.length).toBe(wasmRun.logits.length);
  expect(relativeError(gpuRun.embeddings, wasmRun.embeddings)).toBeLessThan(1e-4);
  expect(relativeError(gpuRun.logits, wasmRun.logits)).toBeLessThan(1e-4);
  expect(relativeError(gpuRun.gradient, wasmRun.gradient)).toBeLessThan(1e-4);
  expect(Math.max(...Array.from(wasmRun.gradient, Math.abs))).toBeGreaterThan(0);
  if (wasmRun.decoded) {
    expect(gpuRun.decoded!.ids).toEqual(wasmRun.decoded.ids);
    expect(relativeError(gpuRun.decoded!.scores, wasmRun.decoded.scores)).toBeLessThan(1e-4);
  }
}

describeGpu(`row blocks on webgpu (${gpu.available ? gpu.adapter : ''}) equal the unsplit wasm run`, () => {
  afterEach(() => {
    delete process.env[BINDING_LIMIT_ENV];
  });
  afterAll(async () => {
    // Dawn keeps the process alive while a device exists.
    await selectBackend('webgpu');
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    await selectBackend('cpu');
  });

  test('the limit is the device\'s, lowered (never raised) by the variable, and a bad value is refused', async () => {
    await selectBackend('webgpu');
    const device = (tf.backend() as unknown as { device: { limits: { maxStorageBufferBindingSize: number } } }).device.limits.maxStorageBufferBindingSize;
    expect(storageBindingLimit()).toBe(device);
    process.env[BINDING_LIMIT_ENV] = '4096';
    expect(storageBindingLimit()).toBe(4096);
    process.env[BINDING_LIMIT_ENV] = String(device * 2);
    expect(storageBindingLimit()).toBe(device);
    process.env[BINDING_LIMIT_ENV] = '128 MiB';
    expect(() => storageBindingLimit()).toThrow(`${BINDING_LIMIT_ENV} must be a whole number of bytes`);
  }, GPU_TEST_MS);

  test('Concat and Slice of whole rows over the device\'s own limit run as buffer copies and give the right values', async () => {
    await selectBackend('webgpu');
    const limit = storageBindingLimit()!;
    if (limit > 256 * 2 ** 20) {
      console.log(`skipped: this adapter binds ${limit} bytes per buffer; a test tensor over that is too large to allocate here`);
      return;
    }
    // Three pieces of ~0.4 × the limit: their concatenation (~1.2 ×) no shader could write.
    const rows = Math.floor((0.4 * limit) / 4 / 1000);
    const pieces = [1, 2, 3].map((v) => tf.fill([rows, 1000], v));
    const joined = tf.concat(pieces, 0);
    expect(joined.shape).toEqual([3 * rows, 1000]);
    const middle = tf.slice(joined, [rows - 1, 0], [2, -1]);
    expect(Array.from(await middle.data()).filter((v, i) => v !== (i < 1000 ? 1 : 2))).toEqual([]);
    const all = await joined.data();
    expect([all[0], all[rows * 1000 - 1], all[rows * 1000], all[2 * rows * 1000], all[all.length - 1]]).toEqual([1, 1, 2, 3, 3]);
    tf.dispose([...pieces, joined, middle]);
  }, GPU_TEST_MS);

  test.each([
    ['gpt2, tied head', { kind: 'gpt2', config: { vocabSize: 1000, nPositions: 32, nEmbd: 32, nLayer: 1, nHead: 4 }, head: true }],
    ['llama, untied head', { kind: 'llama', config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 1000, max_position_embeddings: 32, tie_word_embeddings: false }, head: true }],
  ])('%s with the limit forced to 48 000 bytes: W_E, head and logits in ≥ 3 blocks; embeddings, logits, input gradient and pinv decode', async (_name, spec) => {
    // Every id of each third of the vocabulary, so every block is gathered from and scored.
    const ids = [0, 1].map((b) => Array.from({ length: 16 }, (_, i) => (b * 16 + i) * 31 + 7));
    process.env[BINDING_LIMIT_ENV] = String(FORCED_LIMIT);
    await selectBackend('webgpu');
    // webgpu first: the wasm run must not reuse anything the split run computed.
    const split = await measure(spec as ModelSpec, ids, true);
    await selectBackend('wasm');
    const whole = await measure(spec as ModelSpec, ids, true);
    expect(split.blocks).toEqual([3, 3]);
    expect(split.logitPieces).toBe(3);
    expect(whole.blocks).toEqual([1, 1]);
    expect(whole.logitPieces).toBe(1);
    expectParity(split, whole);
  }, GPU_TEST_MS);

  test('a model built for training holds each parameter whole: one over the limit stops the build, naming it', async () => {
    process.env[BINDING_LIMIT_ENV] = String(FORCED_LIMIT);
    await selectBackend('webgpu');
    const kind = builtinModelKind('gpt2')!;
    const spec = applyModelOptions(kind, { kind: 'gpt2', config: { vocabSize: 1000, nPositions: 32, nEmbd: 32, nLayer: 1, nHead: 4 }, head: true });
    await expect(kind.create(spec, { seed: 0, rng: new Rng(0), log: () => {} }, { trainable: true })).rejects.toThrow(/training on webgpu: wte.weight \[1000, 32\] is 125 KiB, more than this device binds in one buffer \(46.9 KiB\)/);
  }, GPU_TEST_MS);

  test('logits over the device\'s own limit (700 tokens × 50257 = 141 MB): made in pieces of rows joined by copies, read back, and the input gradient for a cotangent that size', async () => {
    const spec = { kind: 'gpt2', config: { vocabSize: 50257, nPositions: 1024, nEmbd: 32, nLayer: 1, nHead: 4 }, head: true } as ModelSpec;
    const ids = [Array.from({ length: 700 }, (_, i) => (i * 7919) % 50257)];
    const run = async () => {
      const model = await build(spec);
      try {
        const x = model.embed(ids);
        const logits = model.forward(x);
        // A cotangent over the limit too, joined from two halves under it (by copies on webgpu).
        const dy = tf.tidy(() => tf.concat([tf.fill([1, 350, 50257], 1), tf.fill([1, 350, 50257], -0.5)], 1));
        const gradient = tf.grad((e: tf.Tensor) => model.forward(e))(x, dy);
        const out = { limit: storageBindingLimit(), pieces: rowPieces(700, 50257).length, logits: await logits.data(), gradient: await gradient.data() };
        tf.dispose([x, logits, dy, gradient]);
        return out;
      } finally {
        model.dispose();
      }
    };
    await selectBackend('webgpu');
    const split = await run();
    await selectBackend('wasm');
    const whole = await run();
    expect(split.pieces).toBe(split.limit! < 700 * 50257 * 4 ? 2 : 1);
    expect(relativeError(split.logits, whole.logits)).toBeLessThan(1e-4);
    expect(relativeError(split.gradient, whole.gradient)).toBeLessThan(1e-4);
  }, GPU_TEST_MS);

  test('GPT-2 small at the device\'s own limit (W_E 147 MiB): forward through 1 block and the head, and its input gradient', async () => {
    const spec = { kind: 'gpt2', size: 'small', depth: 1, head: true, seed: 0 } as ModelSpec;
    // "The sky is blue." and ids on both sides of the block boundary (row 25129 under 128 MiB).
    const ids = [[464, 6766, 318, 4171, 13, 25128, 25129, 50256]];
    await selectBackend('webgpu');
    const started = Date.now();
    const split = await measure(spec, ids, false);
    console.log(`GPT-2 small, 1 block + head, ${ids[0]!.length} tokens on webgpu: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await selectBackend('wasm');
    const whole = await measure(spec, ids, false);
    // 50257 × 768 × 4 bytes: split wherever the device binds less (lavapipe: 2 blocks).
    const weBytes = 50257 * 768 * 4;
    expect(split.blocks).toEqual(split.limit! < weBytes ? [2, 2] : [1, 1]);
    if (split.limit! >= weBytes) console.log(`this adapter binds ${split.limit} bytes: W_E was not split`);
    expect(whole.blocks).toEqual([1, 1]);
    expectParity(split, whole);
  }, GPU_TEST_MS);
});
