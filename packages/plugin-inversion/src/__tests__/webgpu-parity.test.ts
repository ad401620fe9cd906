import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodePng, type Plugin } from '@repscope/core';
import { releaseWebGpu, runPluginConfig, summaryMismatches, webgpuForTests } from '@repscope/core/testing';
import inversion from '../index';

const plugin = inversion as unknown as Plugin<Record<string, unknown>>;
const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'models', 'test-data', 'gpt2-tiny');
const VIT_FIXTURE = path.resolve(__dirname, '..', '..', '..', 'models', 'test-data', 'vit-tiny');
const gpu = webgpuForTests();
if (!gpu.available) console.log(`inversion webgpu parity skipped: ${gpu.reason}`);
const describeGpu = gpu.available ? describe : describe.skip;
/** A software adapter (lavapipe in CI) compiles every shader on the CPU the first time. */
const GPU_TEST_MS = 300_000;

/** The same short run on cpu and on webgpu: every summary and metrics number within 1e-4 relative (but those in `skip`). */
async function parity(config: Record<string, unknown>, skip: string[] = []): Promise<Record<string, unknown>> {
  // webgpu first, so what a run caches per process (e.g. the decoder's (WᵀW)⁺) is computed on the GPU.
  const webgpu = await runPluginConfig(plugin, config, { backend: 'webgpu' });
  const cpu = await runPluginConfig(plugin, config, { backend: 'cpu' });
  expect(webgpu.summary['backend']).toBe('webgpu');
  expect(summaryMismatches(webgpu.summary, cpu.summary, { skip })).toEqual([]);
  expect(summaryMismatches(webgpu.metrics, cpu.metrics, { skip })).toEqual([]);
  return webgpu.summary;
}

describeGpu(`inversion on webgpu (${gpu.available ? gpu.adapter : ''}) equals the cpu backend's`, () => {
  afterAll(releaseWebGpu);

  test('method gradient on the GPT-2 checkpoint: restarts, pinv decoding, baselines, next-token judge', async () => {
    const s = await parity({
      model: { kind: 'gpt2', weights: FIXTURE, depth: 1, head: true },
      input: { tokens: [134, 413, 282, 199, 103] },
      steps: 4,
      restarts: 2,
      init: { std: 0.5 },
      decode: { at: [2], topK: 3 },
    });
    expect(s['nextTokenAgreement']).not.toBeNull();
  }, GPU_TEST_MS);

  test("method sequential, default ranking (auto): the checkpoint's own prior for a shortlist, then every remaining token", async () => {
    // The fixture's vocabulary has no tokenizer, so the prior reads token 0 first; its prior is
    // untrained, so some positions are found in the shortlist and the others in the bulk round.
    // The true token's error (~1e-7 of ‖h*‖) and the margin over it are float32 rounding, not
    // comparable across backends; tokens, ranks and candidate counts are.
    const s = await parity(
      {
        model: { kind: 'gpt2', weights: FIXTURE, depth: 1 },
        method: 'sequential',
        input: { tokens: [134, 413, 282, 199, 103] },
        sequential: { priorContext: [0], priorShortlist: 160 },
      },
      ['relativeError', 'margin', 'minMargin', 'secondsPerSentence', 'cpuSecondsPerSentence', 'msPerToken'],
    );
    expect(s).toMatchObject({ exactMatch: true, rankingUsed: 'prior', priorSource: 'model' });
    expect(s['exhaustivePositions']).toBeGreaterThan(0);
    expect(s['exhaustivePositions']).toBeLessThan(5);
  }, GPU_TEST_MS);

  test('image inversion on the ViT checkpoint', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'img-'));
    const img = path.join(dir, 'target.png');
    fs.writeFileSync(img, encodePng({ width: 32, height: 32, channels: 3, data: new Float32Array(32 * 32 * 3).map((_, i) => ((i % 96) / 96 + Math.floor(i / 96) / 32) / 2) }));
    await parity({
      model: { kind: 'vit', weights: VIT_FIXTURE, depth: 1 },
      input: { image: img },
      image: { depths: [1] },
      steps: 3,
      loss: { metric: 'l1', scale: 1 },
      optimizer: { kind: 'adam', lr: 0.02, schedule: { kind: 'constant' } },
    });
  }, GPU_TEST_MS);
});
