import * as path from 'node:path';
import { type Plugin } from '@repscope/core';
import { releaseWebGpu, runPluginConfig, summaryMismatches, webgpuForTests } from '@repscope/core/testing';
import featureViz from '../index';

const plugin = featureViz as unknown as Plugin<Record<string, unknown>>;
const VIT_FIXTURE = path.resolve(__dirname, '..', '..', '..', 'models', 'test-data', 'vit-tiny');
const gpu = webgpuForTests();
if (!gpu.available) console.log(`feature-viz webgpu parity skipped: ${gpu.reason}`);
const describeGpu = gpu.available ? describe : describe.skip;
/** A software adapter (lavapipe in CI) compiles every shader on the CPU the first time. */
const GPU_TEST_MS = 300_000;

/** The same short run on cpu and on webgpu: every summary and metrics number within 1e-4 relative. */
async function parity(config: Record<string, unknown>): Promise<void> {
  // webgpu first, so what a run caches per process (e.g. the decoder's (WᵀW)⁺) is computed on the GPU.
  const webgpu = await runPluginConfig(plugin, config, { backend: 'webgpu' });
  const cpu = await runPluginConfig(plugin, config, { backend: 'cpu' });
  expect(webgpu.summary['backend']).toBe('webgpu');
  expect(summaryMismatches(webgpu.summary, cpu.summary)).toEqual([]);
  expect(summaryMismatches(webgpu.metrics, cpu.metrics)).toEqual([]);
}

describeGpu(`feature-viz on webgpu (${gpu.available ? gpu.adapter : ''}) equals the cpu backend's`, () => {
  afterAll(releaseWebGpu);

  test('pixels on the ViT checkpoint, with jitter, scale, rotation, blur and clipping', async () => {
    await parity({
      model: { kind: 'vit', weights: VIT_FIXTURE, depth: 2 },
      panels: { neurons: [0, 1] },
      steps: 3,
      lr: 0.05,
      clip: true,
      transforms: { jitter: { pixels: 2 }, scale: { enabled: true }, rotate: { enabled: true }, blur: { sigma: [1, 0.5] } },
    });
  }, GPU_TEST_MS);

  test('the Fourier parameterisation', async () => {
    await parity({ model: { kind: 'vit', weights: VIT_FIXTURE, depth: 1 }, panels: { neurons: [2] }, parameterization: 'fourier', steps: 3, lr: 0.05, transforms: { jitter: { pixels: 2 } } });
  }, GPU_TEST_MS);
});
