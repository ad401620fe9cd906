import { tf, type Plugin } from '@repscope/core';
import { assertPluginConformance, readHeadline, runPluginConfig, selectBackend } from '@repscope/core/testing';
import walks from '../index';
import { nullSpaceBasis, orthogonalityResidual } from '../null-space';
import { clampMasks } from '../run-clamped';

const plugin = walks as unknown as Plugin<Record<string, unknown>>;
const TINY = { vocabSize: 300, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 4 };

describe('null space of the input gradient', () => {
  beforeAll(() => selectBackend('cpu'));

  test('is orthogonal to every row of a known matrix, to float32 precision, and orthonormal', async () => {
    // Rows of a known rank-3 matrix in R^6: the null space is span(e4, e5, e6) rotated by Q.
    const rows = [
      [1, 2, 0, 0, 0, 3],
      [0, 1, 4, 0, 0, 0],
      [2, 0, 0, 5, 0, 1],
    ];
    const g = tf.tensor2d(rows);
    const basis = nullSpaceBasis(g);
    expect(basis.shape).toEqual([6, 3]);
    const gb = tf.matMul(g, basis).arraySync() as number[][];
    expect(Math.max(...gb.flat().map(Math.abs))).toBeLessThan(1e-5);
    const gram = tf.matMul(basis, basis, true, false).arraySync() as number[][];
    gram.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - (i === j ? 1 : 0))).toBeLessThan(1e-5)));
    const v = tf.reshape(tf.slice(basis, [0, 2], [-1, 1]), [-1]) as tf.Tensor1D;
    const r = await orthogonalityResidual(g, v);
    expect(r.relative).toBeLessThan(1e-6);
    expect((await orthogonalityResidual(g, tf.tensor1d([1, 0, 0, 0, 0, 0]))).relative).toBeGreaterThan(0.1);
    tf.dispose([g, basis, v]);
  });

  test('refuses a matrix with as many rows as columns', () => {
    expect(() => nullSpaceBasis(tf.eye(3) as tf.Tensor2D)).toThrow('fewer rows than columns');
  });
});

describe('walks plugin', () => {
  test('checked before the run: the prompt fits the model\'s positions and vocabulary', async () => {
    const attempt = (input: Record<string, unknown>) => runPluginConfig(plugin, { model: { kind: 'gpt2', config: TINY }, walk: 'tangent', input, steps: 1 }).then(
      () => 'ran',
      (e: Error) => e.message,
    );
    expect(await attempt({ tokens: Array.from({ length: 17 }, (_, i) => i) })).toMatch(/input\.tokens: the input is 17 tokens long, but the model takes at most 16/);
    // The tokenizer is the model's: a custom 300-token vocabulary has none, so text is refused before the run.
    expect(await attempt({ text: 'hello' })).toMatch(/input\.text: the model's vocabulary has no known tokenizer; give input\.tokens instead/);
    expect(await attempt({ tokens: [1, 300] })).toMatch(/input\.tokens: token id 300 \(position 1\) is outside the model's vocabulary of 300/);
  });

  test('passes the conformance kit', async () => {
    await assertPluginConformance(plugin);
  });

  test('tangent walk: residual and distances logged each step, unit steps of size η, summary fields', async () => {
    const base = { walk: 'tangent', input: { tokens: [5, 6, 7, 8] }, steps: 6, tangent: { stepSize: 0.05 }, decode: { at: [3] } };
    const mlp = await runPluginConfig(plugin, { ...base, model: { kind: 'mlp', embeddings: { config: TINY } } }, { backend: 'cpu' });
    const block = await runPluginConfig(plugin, { ...base, model: { kind: 'gpt2', config: TINY, depth: 1 } }, { backend: 'cpu' });
    for (const run of [mlp, block]) {
      const s = run.summary;
      expect(s).toMatchObject({ walk: 'tangent', steps: 6 });
      expect(run.metrics).toHaveLength(6);
      expect((s['ratioByStep'] as number[]).length).toBe(6);
      expect((s['snapshots'] as { step: number }[]).map((x) => x.step)).toEqual([0, 3, 6]);
      // One step moves each of the 4 tokens by η·v with ‖v‖₂ = 1, so 4η ≤ ‖Δe‖₁ ≤ 4η·√d.
      const first = run.metrics[0]!['inputDistance'] as number;
      expect(first).toBeGreaterThanOrEqual(4 * 0.05 * 0.999);
      expect(first).toBeLessThanOrEqual(4 * 0.05 * Math.sqrt(32) * 1.001);
      expect(s['ratio']).toBe((s['inputDistance'] as number) / (s['outputDistance'] as number));
    }
    const res = (run: typeof mlp) => (run.summary['orthogonalityResidual'] as { relativeMean: number; mean: number }).relativeMean;
    expect(res(mlp)).toBeLessThan(1e-5);
    expect(res(block)).toBeLessThan(1e-5);
    expect(mlp.read('report.html')).toContain('Where the walk goes');
    // The headline: the residual, and the decoded tokens at the start and the end, changes marked.
    for (const run of [mlp, block]) {
      const head = readHeadline(run.read('report.html'))!;
      const snaps = run.summary['snapshots'] as { tokens: number[] }[];
      const [start, end] = [snaps[0]!.tokens, snaps[snaps.length - 1]!.tokens];
      const changed = end.filter((t, i) => t !== start[i]).length;
      const r = run.summary['orthogonalityResidual'] as { mean: number; relativeMean: number };
      expect(head.beforeSummary).toBe(true);
      expect(head.answer).toBe(
        `The step stayed orthogonal to the gradient to ‖G·v‖ ${r.mean.toPrecision(2)} on average (relative ${r.relativeMean.toPrecision(2)}); ${changed ? `${changed} of 4 decoded tokens changed` : 'the decoded text did not change'} in 6 steps.`,
      );
      expect(head.tokens['start']!.map((t) => t.text)).toEqual(start.map((id) => `#${id}`));
      expect(head.tokens['step 6']!.map((t) => t.mark ?? 'same')).toEqual(end.map((id, i) => (id === start[i] ? 'same' : 'changed')));
      expect(Object.keys(head.facts)).toEqual(['mean ‖G·v‖', 'max ‖G·v‖', 'mean relative ‖G·v‖', 'r = input / output moved', '‖e − e₀‖₁', '‖O(e) − O(e₀)‖₁', 'step size']);
      expect(run.summary['summaryRoles']).toEqual({ msPerStep: 'bookkeeping', stepSize: 'bookkeeping' });
    }
  });

  test('clamp masks: the text puts noise below the cut and descends above it; the code the reverse', () => {
    expect(clampMasks(5, 2, 'text')).toEqual({ noise: [1, 1, 0, 0, 0], descend: [0, 0, 1, 1, 1] });
    expect(clampMasks(5, 2, 'code')).toEqual({ noise: [0, 0, 1, 1, 1], descend: [1, 1, 0, 0, 0] });
  });

  test('clamped walk on both sides: noise moves the input, inner steps pull the output back', async () => {
    for (const side of ['text', 'code']) {
      const common = { walk: 'clamped', model: { kind: 'gpt2', config: TINY, depth: 1 }, input: { tokens: [9, 10, 11] }, steps: 4 };
      const none = await runPluginConfig(plugin, { ...common, clamped: { side, eta: 0.05, innerSteps: 0 } }, { backend: 'cpu' });
      const restored = await runPluginConfig(plugin, { ...common, clamped: { side, eta: 0.05, innerSteps: 20, epsilon: 0.002 } }, { backend: 'cpu' });
      expect(none.summary['inputDistance'] as number).toBeGreaterThan(0);
      expect(restored.summary['outputDistance'] as number).toBeLessThan(none.summary['outputDistance'] as number);
      expect(restored.summary['ratio'] as number).toBeGreaterThan(none.summary['ratio'] as number);
      expect(restored.metrics.map((m) => typeof m['cut'])).toEqual(['number', 'number', 'number', 'number']);
      const head = readHeadline(restored.read('report.html'))!;
      expect(head.answer).toMatch(new RegExp(`^r = ‖e − e₀‖₁ / ‖O\\(e\\) − O\\(e₀\\)‖₁ = ${(restored.summary['ratio'] as number).toPrecision(3)} after 4 steps; `));
      expect(Object.keys(head.tokens)).toEqual(['start', 'step 4']);
      expect(head.facts['inner steps']).toBe('20');
    }
  });
});
