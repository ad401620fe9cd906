import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodePng, Rng, tf, type Plugin, type TokenModel } from '@repscope/core';
import { assertPluginConformance, createBuiltinRegistries, readHeadline, runPluginConfig } from '@repscope/core/testing';
import inversion from '../index';

const plugin = inversion as unknown as Plugin<Record<string, unknown>>;
const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'models', 'test-data', 'gpt2-tiny');
const VIT_FIXTURE = path.resolve(__dirname, '..', '..', '..', 'models', 'test-data', 'vit-tiny');
const FIXTURE_TOKENS = [134, 413, 282, 199, 103, 111, 245];
const TINY = { kind: 'gpt2', config: { vocabSize: 300, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 4 } };

describe('inversion plugin', () => {
  test('passes the conformance kit', async () => {
    await assertPluginConformance(plugin);
  });

  test('checked before the run: input space, length and vocabulary against the model and the judge', async () => {
    const attempt = (config: Record<string, unknown>) => runPluginConfig(plugin, { steps: 1, ...config }).then(
      () => 'ran',
      (e: Error) => e.message,
    );
    expect(await attempt({ model: TINY, input: { image: path.join(VIT_FIXTURE, 'nope.png') } })).toMatch(/input\.image: needs a model taking an image, but model kind "gpt2" takes tokens/);
    expect(await attempt({ model: { kind: 'vit', weights: VIT_FIXTURE }, input: { text: 'hi' } })).toMatch(/input\.text: needs a model taking tokens \(text or token ids\), but model kind "vit" takes an image/);
    // The tokenizer is the model's: a custom 300-token vocabulary has none, so text is refused before the run.
    expect(await attempt({ model: TINY, input: { text: 'one two three' } })).toMatch(/input\.text: the model's vocabulary has no known tokenizer; give input\.tokens instead/);
    expect(await attempt({ model: TINY, input: { tokens: Array.from({ length: 17 }, (_, i) => i + 1) } })).toMatch(/input\.tokens: the input is 17 tokens long, but the model takes at most 16/);
    expect(await attempt({ model: TINY, input: { tokens: [1, 300] } })).toMatch(/input\.tokens: token id 300 \(position 1\) is outside the model's vocabulary of 300/);
    expect(await attempt({ model: { kind: 'gpt2', weights: FIXTURE }, input: { tokens: [1, 400] }, nextToken: { judge: TINY } })).toMatch(/input\.tokens: token id 400 \(position 1\) is outside the model's vocabulary of 300/);
  });

  test('gradient inversion of an invertible FCNet recovers the prompt, with the snapshot trajectory and the answer first', async () => {
    const run = await runPluginConfig(plugin, {
      model: { kind: 'fcnet', embeddings: { config: TINY.config }, invertible: true, hiddenMultiplier: 4 },
      input: { tokens: [5, 17, 42, 7] },
      steps: 60,
      decode: { at: [0, 10, 30], topK: 3 },
    });
    const s = run.summary;
    expect(s['exactMatch']).toBe(true);
    expect(s['tokenAccuracy']).toBe(1);
    const snaps = s['snapshots'] as { step: number; tokens: number[]; topK: unknown[][] }[];
    expect(snaps.map((x) => x.step)).toEqual([0, 10, 30, 60]);
    expect(snaps[0]!.tokens).not.toEqual([5, 17, 42, 7]);
    expect(snaps[3]!.topK.every((c) => c.length === 3)).toBe(true);
    expect(JSON.parse(run.read('snapshots.json'))).toHaveLength(4);
    expect(run.read('report.html')).toContain('Trajectory');
    // The report opens with the answer: target over decoded, each token marked, the eq. 4 verdict and the first step below m.
    const head = readHeadline(run.read('report.html'))!;
    expect(s['beatsBaseline']).toBe(true);
    expect(head).toMatchObject({ beforeSummary: true, verdict: 'good', answer: `Recovered the prompt exactly (4 of 4 tokens); the output ends below the eq. 4 baseline m (first below it at step ${s['firstStepBeatingBaseline']}).` });
    // A custom vocabulary has no tokenizer: tokens show as #id, with the id on hover.
    expect(head.tokens['target']).toEqual([5, 17, 42, 7].map((id) => ({ text: `#${id}`, title: `id ${id}` })));
    expect(head.tokens['decoded']!.map((t) => `${t.text} ${t.mark}`)).toEqual(['#5 right', '#17 right', '#42 right', '#7 right']);
    expect(head.facts).toMatchObject({ 'tokens recovered': '4 / 4', 'first step below m': String(s['firstStepBeatingBaseline']) });
    expect(head.caption).toContain('Green: recovered, red: wrong.');
    // Bookkeeping, for sweeps: recorded with the summary.
    expect(s['summaryRoles']).toMatchObject({ targetNextToken: 'bookkeeping', baselineStdScaled: 'bookkeeping', msPerStep: 'bookkeeping' });
  });

  test('eq. 4: m and the scaled m equal ‖O(e + N(0, σ)) − O(e)‖₁ computed directly, and the bookkeeping agrees with the logged distances', async () => {
    const ids = [1, 2, 3, 4, 5];
    const run = await runPluginConfig(plugin, { model: { ...TINY, depth: 1 }, input: { tokens: ids }, steps: 40, baseline: { std: 0.01, relativeStd: 0.5 } });
    const s = run.summary;
    const model = (await createBuiltinRegistries().models.get('gpt2').create({ ...TINY, depth: 1, head: false, positionIds: 'sequential' }, { seed: 0, rng: new Rng(0), log: () => {} })) as TokenModel;
    const e = model.embed([ids]);
    const direct = (sigma: number, label: string) =>
      tf.tidy(() => tf.sum(tf.abs(tf.sub(model.forward(tf.add(e, tf.randomNormal(e.shape, 0, sigma, 'float32', new Rng(0).fork(label).tensorSeed()))), model.forward(e)))).dataSync()[0]!);
    const embeddingStd = tf.tidy(() => Math.sqrt(tf.moments(e).variance.dataSync()[0]!));
    expect(s['baselineDistance'] as number).toBeCloseTo(direct(0.01, 'baseline'), 3);
    expect(s['baselineStdScaled'] as number).toBeCloseTo(0.5 * embeddingStd, 6);
    expect(s['baselineDistanceScaled'] as number).toBeCloseTo(direct(0.5 * embeddingStd, 'baseline-scaled'), 3);
    for (const [beats, first, m] of [
      ['beatsBaseline', 'firstStepBeatingBaseline', s['baselineDistance']],
      ['beatsBaselineScaled', 'firstStepBeatingScaledBaseline', s['baselineDistanceScaled']],
    ] as const) {
      expect(s[beats]).toBe((s['outputDistance'] as number) < (m as number));
      const firstLogged = run.metrics.find((r) => (r['outputDistance'] as number) < (m as number));
      expect(s[first]).toBe(firstLogged ? firstLogged['step'] : s[beats] ? 40 : null);
    }
    e.dispose();
    model.dispose();
  });

  test('loss, decoder and optimizer choices all run and reduce the loss', async () => {
    for (const variant of [
      { loss: { metric: 'l2', scale: 1 }, optimizer: { kind: 'adam', lr: 0.05 }, decode: { decoder: 'nearest-l2' } },
      { loss: { metric: 'cosine', scale: 10 }, optimizer: { kind: 'momentum', lr: 0.5, schedule: { kind: 'cosine' } }, decode: { decoder: 'nearest-cosine' } },
      { loss: { metric: 'l1', scale: 0.1 }, optimizer: { kind: 'sgd', lr: 1, schedule: { kind: 'linear-decay', finalFraction: 0.1 } } },
    ]) {
      const run = await runPluginConfig(plugin, { model: { ...TINY, depth: 1 }, input: { tokens: [9, 8, 7] }, steps: 30, init: { std: 0.1 }, ...variant });
      const losses = run.metrics.map((r) => r['loss'] as number);
      expect({ variant: JSON.stringify(variant), decreased: losses[losses.length - 1]! < losses[0]! }).toEqual({ variant: JSON.stringify(variant), decreased: true });
    }
    const lrs = (await runPluginConfig(plugin, { model: { ...TINY, depth: 1 }, input: { tokens: [9, 8] }, steps: 11, optimizer: { lr: 2 } })).metrics.map((r) => r['lr'] as number);
    expect(lrs[0]).toBeCloseTo(2);
    expect(lrs[10]).toBeCloseTo(0.2);
  });

  test('restarts run as one batch and report the best and the spread', async () => {
    const run = await runPluginConfig(plugin, { model: { ...TINY, depth: 1 }, input: { tokens: [4, 5, 6] }, steps: 20, restarts: 4, init: { std: 0.5 } });
    const spread = run.summary['restartSpread'] as { outputDistance: { min: number; median: number; max: number }; bestRestart: number };
    expect(spread.outputDistance.min).toBeCloseTo(run.summary['outputDistance'] as number, 4);
    expect(spread.outputDistance.max).toBeGreaterThan(spread.outputDistance.min);
    expect(spread.outputDistance.median).toBeGreaterThanOrEqual(spread.outputDistance.min);
    expect(spread.outputDistance.median).toBeLessThanOrEqual(spread.outputDistance.max);
    expect(Number.isInteger(spread.bestRestart)).toBe(true);
    expect(spread.bestRestart).toBeLessThan(4);
  });

  test("mixed init starts at the true input's output and noise does not; next-token agreement with the model's own head", async () => {
    const common = { model: { ...TINY, depth: 2, head: true }, input: { tokens: [10, 11, 12, 13] }, steps: 5, optimizer: { lr: 0.001 }, decode: { at: [0] } };
    const mixed = await runPluginConfig(plugin, { ...common, init: { kind: 'mix', s: 0.001, t: 0.999 } });
    const noise = await runPluginConfig(plugin, { ...common, init: { kind: 'normal', mean: 0.5, std: 0.05 } });
    expect((mixed.summary['snapshots'] as { tokens: number[] }[])[0]!.tokens).toEqual([10, 11, 12, 13]);
    expect(mixed.summary['exactMatch']).toBe(true);
    // s = 0.001 of unit noise moves the output an order of magnitude less than a noise start (38× here).
    expect(mixed.metrics[0]!['outputDistance'] as number).toBeLessThan((noise.metrics[0]!['outputDistance'] as number) / 10);
    expect(noise.summary['exactMatch']).toBe(false);
    // Its headline marks each decoded token against the target and names the right one on hover.
    const decoded = noise.summary['tokens'] as number[];
    const noiseHead = readHeadline(noise.read('report.html'))!;
    const shown = noiseHead.tokens['decoded']!;
    expect(shown.map((t) => t.mark)).toEqual(decoded.map((id, i) => (id === 10 + i ? 'right' : 'wrong')));
    shown.forEach((t, i) => {
      if (t.mark === 'wrong') expect(t.title).toBe(`id ${decoded[i]} · expected #${10 + i} (id ${10 + i})`);
    });
    expect(noiseHead.answer).toMatch(new RegExp(`^${shown.filter((t) => t.mark === 'right').length} of 4 tokens recovered; the output `));
    expect(mixed.summary['nextTokenAgreement']).toBe(true);
    expect(mixed.summary['nextTokenAgreementContinuous']).toBe(true);
  });

  test("a judge model answers next-token agreement for a headless model, as the judge's own argmax says", async () => {
    const run = await runPluginConfig(plugin, { model: { kind: 'gpt2', weights: FIXTURE, depth: 1 }, input: { tokens: FIXTURE_TOKENS }, steps: 3, nextToken: { judge: { kind: 'gpt2', weights: FIXTURE, head: true } } });
    const judge = (await createBuiltinRegistries().models.get('gpt2').create({ kind: 'gpt2', weights: FIXTURE, head: true, positionIds: 'sequential' }, { seed: 0, rng: new Rng(0), log: () => {} })) as TokenModel;
    const argmaxLast = (ids: number[]) =>
      tf.tidy(() => {
        const logits = judge.forward(judge.embed([ids]));
        return tf.argMax(tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1])).dataSync()[0]!;
      });
    expect(run.summary['targetNextToken']).toBe(argmaxLast(FIXTURE_TOKENS));
    expect(run.summary['nextTokenAgreement']).toBe(argmaxLast(run.summary['tokens'] as number[]) === argmaxLast(FIXTURE_TOKENS));
    expect(run.summary['nextTokenAgreementContinuous']).toBeNull();
    judge.dispose();
  });

  test('sequential inversion recovers the fixture sentence exactly at every depth, with and without the head', async () => {
    for (const model of [
      { kind: 'gpt2', weights: FIXTURE, depth: 1 },
      { kind: 'gpt2', weights: FIXTURE, depth: 2 },
      { kind: 'gpt2', weights: FIXTURE, depth: 2, head: true },
    ]) {
      const run = await runPluginConfig(plugin, { model, method: 'sequential', input: { tokens: FIXTURE_TOKENS } });
      expect({ model, exact: run.summary['exactMatch'], tokens: run.summary['tokens'] }).toEqual({ model, exact: true, tokens: FIXTURE_TOKENS });
      const tried = run.summary['candidatesTried'] as number[];
      expect(tried).toHaveLength(FIXTURE_TOKENS.length);
      expect(tried.every((c) => c >= 1 && c <= 512)).toBe(true);
    }
  });

  test('image inversion on the tiny ViT writes reconstructions per depth and scores them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'img-'));
    const img = path.join(dir, 'target.png');
    const data = new Float32Array(32 * 32 * 3).map((_, i) => ((i % 96) / 96 + Math.floor(i / 96) / 32) / 2);
    fs.writeFileSync(img, encodePng({ width: 32, height: 32, channels: 3, data }));
    const run = await runPluginConfig(plugin, {
      model: { kind: 'vit', weights: VIT_FIXTURE, depth: 2 },
      input: { image: img },
      image: { depths: [1, 2] },
      steps: 40,
      loss: { metric: 'l1', scale: 1 },
      optimizer: { kind: 'adam', lr: 0.02, schedule: { kind: 'constant' } },
    });
    const per = run.summary['perDepth'] as { depth: number; psnr: number; ssim: number; outputDistance: number }[];
    expect(per.map((p) => p.depth)).toEqual([1, 2]);
    for (const p of per) {
      expect(Number.isFinite(p.psnr)).toBe(true);
      expect(p.ssim).toBeLessThanOrEqual(1);
    }
    const first = run.metrics.find((r) => r['depth'] === 1)!;
    const last = [...run.metrics].reverse().find((r) => r['depth'] === 1)!;
    expect(last['outputDistance'] as number).toBeLessThan(first['outputDistance'] as number);
    for (const f of ['grid.png', 'target.png', 'reconstruction-depth1.png', 'reconstruction-depth2.png']) expect(fs.existsSync(path.join(run.dir, f))).toBe(true);
    expect(run.summary['psnr']).toBe(per[1]!.psnr);
    // The headline: the target beside each depth's reconstruction, and the deepest one's numbers.
    const head = readHeadline(run.read('report.html'))!;
    expect(head.answer).toBe(`From block 2's output: PSNR ${per[1]!.psnr.toFixed(1)} dB, SSIM ${per[1]!.ssim.toFixed(3)}; the output ends ${run.summary['beatsBaseline'] ? 'below' : 'above'} the eq. 4 baseline m.`);
    expect(head.images.map((i) => i.src)).toEqual(['target.png', 'reconstruction-depth1.png', 'reconstruction-depth2.png']);
  });
});
