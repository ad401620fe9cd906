import { type Plugin } from '@repscope/core';
import { releaseWebGpu, runPluginConfig, summaryMismatches, webgpuForTests } from '@repscope/core/testing';
import train from '../index';

const plugin = train as unknown as Plugin<Record<string, unknown>>;
const gpu = webgpuForTests();
if (!gpu.available) console.log(`train webgpu parity skipped: ${gpu.reason}`);
const describeGpu = gpu.available ? describe : describe.skip;
/** A software adapter (lavapipe in CI) compiles every shader on the CPU the first time. */
const GPU_TEST_MS = 300_000;

describeGpu(`train on webgpu (${gpu.available ? gpu.adapter : ''}) equals the cpu backend's`, () => {
  afterAll(releaseWebGpu);

  test('three steps with gradient clipping, an evaluation, a checkpoint and a sample', async () => {
    const config = {
      model: { kind: 'gpt2', config: { nLayer: 1, nEmbd: 32, nHead: 2, nPositions: 16 } },
      data: { synthetic: { sentences: 200 } },
      steps: 3,
      batch: { sequences: 2, tokens: 16 },
      optimizer: { lr: 0.01 },
      eval: { every: 3, batches: 1, continuation: 4 },
      checkpoints: { every: 3 },
      logEvery: 1,
    };
    const webgpu = await runPluginConfig(plugin, config, { backend: 'webgpu' });
    const cpu = await runPluginConfig(plugin, config, { backend: 'cpu' });
    expect(webgpu.summary['backend']).toBe('webgpu');
    // gradNorm is an AddN over every parameter's gradient: more inputs than a WebGPU shader binds by default.
    expect(cpu.metrics.every((m) => typeof m['gradNorm'] === 'number' && (m['gradNorm'] as number) > 0)).toBe(true);
    expect(summaryMismatches(webgpu.summary, cpu.summary, { skip: ['tokensPerSecond'] })).toEqual([]);
    expect(summaryMismatches(webgpu.metrics, cpu.metrics, { skip: ['tokensPerSecond'] })).toEqual([]);
  }, GPU_TEST_MS);
});
