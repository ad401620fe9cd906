import { type Plugin } from '@repscope/core';
import { releaseWebGpu, runPluginConfig, summaryMismatches, webgpuForTests } from '@repscope/core/testing';
import walks from '../index';

const plugin = walks as unknown as Plugin<Record<string, unknown>>;
const gpu = webgpuForTests();
if (!gpu.available) console.log(`walks webgpu parity skipped: ${gpu.reason}`);
const describeGpu = gpu.available ? describe : describe.skip;
/** A software adapter (lavapipe in CI) compiles every shader on the CPU the first time. */
const GPU_TEST_MS = 300_000;
const MODEL = { kind: 'gpt2', config: { vocabSize: 300, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 4 }, depth: 1 };

/** The same short run on cpu and on webgpu: every summary number within 1e-4 relative. */
async function parity(config: Record<string, unknown>, skip: string[] = []): Promise<Record<string, unknown>> {
  // webgpu first, so what a run caches per process (e.g. the decoder's (WᵀW)⁺) is computed on the GPU.
  const webgpu = await runPluginConfig(plugin, config, { backend: 'webgpu' });
  const cpu = await runPluginConfig(plugin, config, { backend: 'cpu' });
  expect(webgpu.summary['backend']).toBe('webgpu');
  expect(summaryMismatches(webgpu.summary, cpu.summary, { skip })).toEqual([]);
  expect(summaryMismatches(webgpu.metrics, cpu.metrics, { skip })).toEqual([]);
  return webgpu.summary;
}

describeGpu(`walks on webgpu (${gpu.available ? gpu.adapter : ''}) equal the cpu backend's`, () => {
  afterAll(releaseWebGpu);

  test('tangent walk', async () => {
    // The residual ‖G·v‖ is float32 rounding (~1e-7 relative) on either backend: bounded, not compared.
    const residualKeys = ['orthogonalityResidual', 'relativeResidual'];
    const s = await parity({ model: MODEL, walk: 'tangent', input: { tokens: [5, 6, 7, 8] }, steps: 3, tangent: { stepSize: 0.05 }, decode: { at: [2], topK: 3 } }, residualKeys);
    expect((s['orthogonalityResidual'] as { relativeMax: number }).relativeMax).toBeLessThan(1e-5);
  }, GPU_TEST_MS);

  test('clamped walk', async () => {
    await parity({ model: MODEL, walk: 'clamped', input: { tokens: [9, 10, 11] }, steps: 2, clamped: { eta: 0.05, innerSteps: 3, epsilon: 0.002 }, decode: { at: [1], topK: 3 } });
  }, GPU_TEST_MS);
});
