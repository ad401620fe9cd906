import * as tf from '@tensorflow/tfjs';
import { createBuiltinRegistries } from '../../registry/builtins';
import { Rng } from '@repscope/models';
import type { Model, ModelSpec, TokenModel, ImageModel } from '@repscope/models';
import { GPT2_TINY, VIT_TINY, relativeError } from '@repscope/test-support';
import { webgpuAdapterForTests as webgpuForTests } from '@repscope/models';
import { describeBackend, selectBackend } from '@repscope/models';
import { descentStepAsync } from '../descent-step';

// The per-head attention kernel is off by default; exercise it on the GPU too.
process.env['REPSCOPE_PER_HEAD_ATTENTION'] = '1';
const gpu = webgpuForTests();
if (!gpu.available) console.log(`webgpu suites skipped: ${gpu.reason}`);
const describeGpu = gpu.available ? describe : describe.skip;

const registries = createBuiltinRegistries();
/** A software adapter compiles every shader on the CPU: the first use of each kernel is slow. */
const GPU_TEST_MS = 300_000;
const TINY = { vocabSize: 300, nPositions: 48, nEmbd: 32, nLayer: 2, nHead: 4 };
/** 48² pixels in 8² patches: 37 tokens, enough for the per-head attention path. */
const HYBRID_VIT = { imageSize: 48, patchSize: 8, hiddenSize: 32, layers: 0, heads: 4, intermediateSize: 64 };

const MODELS: [string, ModelSpec][] = [
  ['gpt2 (checkpoint, LM head)', { kind: 'gpt2', weights: GPT2_TINY, head: true, positionIds: 'sequential' } as ModelSpec],
  ['gpt2 (40 tokens, per-head attention)', { kind: 'gpt2', config: TINY, head: false, positionIds: 'sequential' } as ModelSpec],
  ['fcnet', { kind: 'fcnet', embeddings: { config: TINY }, sequenceLength: 4, hiddenMultiplier: 2, head: false, positionIds: 'sequential' } as ModelSpec],
  ['mlp (LM head)', { kind: 'mlp', embeddings: { config: TINY }, hiddenMultiplier: 4, head: true, positionIds: 'sequential' } as ModelSpec],
  ['vit (checkpoint, classifier)', { kind: 'vit', weights: VIT_TINY, head: true } as ModelSpec],
  ['hybrid (37 tokens, LM head)', { kind: 'hybrid', vit: { config: HYBRID_VIT }, gpt2: { config: TINY }, depth: 2, head: true, positionEmbedding: 'none', normalize: 'none' } as ModelSpec],
];

/** Output and ∂/∂input of Σ |O(x) − target| for a fixed input, on the active backend. */
async function forwardAndGradient(spec: ModelSpec): Promise<{ output: Float32Array; gradient: Float32Array }> {
  const model = (await registries.models.get(spec.kind).create(spec, { seed: 0, rng: new Rng(0), log: () => {} })) as Model;
  try {
    const input = (model as TokenModel | ImageModel).inputSpace === 'image' ? imageInput(model as ImageModel) : tokenInput(model as TokenModel, spec);
    const target = tf.tidy(() => tf.mul(model.forward(input), 0.5));
    const output = tf.tidy(() => model.forward(input));
    const gradient = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.abs(tf.sub(model.forward(x), target))))(input));
    // WebGPU in Node reads only asynchronously.
    const result = { output: (await output.data()) as Float32Array, gradient: (await gradient.data()) as Float32Array };
    tf.dispose([target, output, gradient]);
    input.dispose();
    return result;
  } finally {
    model.dispose();
  }
}

function imageInput(model: ImageModel): tf.Tensor {
  const n = model.imageSize * model.imageSize * model.channels;
  return tf.tensor4d(Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000), [1, model.imageSize, model.imageSize, model.channels]);
}

function tokenInput(model: TokenModel, spec: ModelSpec): tf.Tensor {
  const count = (spec as { sequenceLength?: number }).sequenceLength ?? (spec.config ? 40 : 6);
  return model.embed([Array.from({ length: count }, (_, i) => (i * 37 + 5) % 300)]);
}

describeGpu('webgpu backend (Dawn)', () => {
  afterAll(async () => {
    // Dawn keeps the process alive while a device exists.
    await selectBackend('webgpu');
    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    await selectBackend('cpu');
  });

  test('starts when asked by name and records its adapter', async () => {
    const info = await selectBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.adapter).toMatchObject({ vendor: expect.any(String), architecture: expect.any(String), driver: expect.any(String) });
    expect(describeBackend(info)).toContain(`on ${info.adapter!.vendor} ${info.adapter!.architecture}`);
  }, GPU_TEST_MS);

  test('a synchronous read says what to do instead of failing inside tfjs', () => {
    // Large enough that tfjs-webgpu does not run it on the CPU.
    const t = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
    expect(() => t.dataSync()).toThrow('cannot read a tensor synchronously in Node');
    t.dispose();
  }, GPU_TEST_MS);

  test('AddN of more tensors than a shader can bind (WebGPU allows 8 storage buffers) sums them all', async () => {
    await selectBackend('webgpu');
    const terms = Array.from({ length: 20 }, (_, i) => tf.fill([3, 5], i + 1));
    const sum = tf.addN(terms);
    expect(Array.from(await sum.data())).toEqual(new Array(15).fill(210));
    tf.dispose([...terms, sum]);
  }, GPU_TEST_MS);

  test('a kernel the device rejects (a tensor over its storage-binding limit) fails the next read in one line, instead of giving zeros', async () => {
    await selectBackend('webgpu');
    const limit = (tf.backend() as unknown as { device: { limits: { maxStorageBufferBindingSize: number } } }).device.limits.maxStorageBufferBindingSize;
    if (limit > 256 * 2 ** 20) {
      console.log(`skipped: this adapter binds ${limit} bytes per buffer; a test tensor over that is too large to allocate here`);
      return;
    }
    const big = tf.ones([Math.ceil(limit / 4 / 1000) + 1, 1000]);
    const sum = tf.tidy(() => tf.sum(tf.mul(big, 2)));
    await expect(sum.data()).rejects.toThrow(/the WebGPU device rejected a kernel, so the results would be wrong: .*maximum storage buffer binding size/);
    tf.dispose([big, sum]);
  }, GPU_TEST_MS);

  test('descentStepAsync: one step on the GPU equals the cpu step', async () => {
    const step = async () => {
      const x = tf.variable(tf.tensor1d([1, -2, 3]));
      const optimizer = { step: (v: tf.Variable, g: tf.Tensor) => tf.tidy(() => v.assign(tf.sub(v, tf.mul(g, 0.1)))) };
      const losses = await descentStepAsync(x, (t) => tf.reshape(tf.sum(tf.square(t)), [1]) as tf.Tensor1D, optimizer as never);
      const after = Array.from(await x.data());
      x.dispose();
      return { losses: Array.from(losses), after };
    };
    const gpuStep = await step();
    await selectBackend('cpu');
    const cpuStep = await step();
    await selectBackend('webgpu');
    expect(gpuStep.losses[0]).toBeCloseTo(14, 4);
    expect(gpuStep.after.map((v) => +v.toFixed(5))).toEqual(cpuStep.after.map((v) => +v.toFixed(5)));
  }, GPU_TEST_MS);

  test.each(MODELS)('%s: forward and input gradient equal the cpu backend\'s to 1e-4 relative', async (_name, spec) => {
    await selectBackend('cpu');
    const cpu = await forwardAndGradient(spec);
    await selectBackend('webgpu');
    const webgpu = await forwardAndGradient(spec);
    expect(webgpu.output.length).toBe(cpu.output.length);
    expect(relativeError(webgpu.output, cpu.output)).toBeLessThan(1e-4);
    expect(relativeError(webgpu.gradient, cpu.gradient)).toBeLessThan(1e-4);
    expect(Math.max(...Array.from(cpu.gradient, Math.abs))).toBeGreaterThan(0);
  }, GPU_TEST_MS);
});
