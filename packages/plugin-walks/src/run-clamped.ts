import { descentStepAsync, tf, type RunContext, type TokenModel } from '@repscope/core';
import type { WalksOptions } from './options';
import { clampedHeadline } from './headline';
import { distances, endWalk, ratio, snapshot, Snapshot, startWalk, walkSummary, writeWalkReport } from './walk-common';

/** 0/1 masks over the embedding dimension for a cut: which side gets noise, which descends. */
export function clampMasks(dim: number, cut: number, side: 'text' | 'code'): { noise: number[]; descend: number[] } {
  const below = Array.from({ length: dim }, (_, i) => (i < cut ? 1 : 0));
  const above = below.map((b) => 1 - b);
  return side === 'text' ? { noise: below, descend: above } : { noise: above, descend: below };
}

/**
 * The seed's clamped walk: each outer step picks a random cut on the embedding dimension,
 * adds noise of size η to one side (for every token), then takes `innerSteps` gradient steps
 * of size ε on the other side to restore the original output (unscaled ‖O(e) − O(e₀)‖₁).
 */
export async function runClampedWalk(ctx: RunContext<WalksOptions>, model: TokenModel): Promise<Record<string, unknown>> {
  const o = ctx.options;
  const c = o.clamped;
  const start = await startWalk(ctx, model);
  const dim = start.origin.shape[2];
  const e = tf.variable(start.origin, true, `clamped-walk-${ctx.seed}`);
  const optimizer = ctx.optimizers.create({ kind: 'sgd', lr: c.epsilon }, o.steps * Math.max(1, c.innerSteps));
  const cuts = ctx.rng.fork('cuts');
  const noiseRng = ctx.rng.fork('noise');
  const at = new Set([0, ...o.decode.at, o.steps]);
  const snapshots: Snapshot[] = [await snapshot(start, e, 0, o.decode.topK, { inputDistance: 0, outputDistance: 0 })];
  const series: { step: number; inputDistance: number; outputDistance: number; ratio: number }[] = [];
  const objective = (x: tf.Tensor): tf.Tensor1D => tf.tidy(() => tf.reshape(tf.sum(tf.abs(tf.sub(model.forward(x), start.target))), [1]) as tf.Tensor1D);
  let seconds = 0;
  try {
    ctx.progress.start(o.steps, 'clamped walk');
    ctx.metrics.describe({
      roles: { cut: 'bookkeeping' }, // the random clamp index: logged, not plotted
      summaryRoles: { msPerStep: 'bookkeeping', innerSteps: 'bookkeeping', eta: 'bookkeeping', epsilon: 'bookkeeping' },
    });
    for (let step = 1; step <= o.steps; step++) {
      await ctx.checkInterrupted();
      const t0 = performance.now();
      const cut = cuts.int(dim);
      const masks = clampMasks(dim, cut, c.side);
      const descendMask = tf.tensor3d(masks.descend, [1, 1, dim]);
      tf.tidy(() => {
        const seed = noiseRng.tensorSeed();
        const raw = c.noise === 'normal' ? tf.randomNormal(e.shape, 0, 1, 'float32', seed) : tf.randomUniform(e.shape, 0, 1, 'float32', seed);
        e.assign(tf.add(e, tf.mul(tf.mul(raw, c.eta), tf.tensor3d(masks.noise, [1, 1, dim]))));
      });
      try {
        for (let k = 0; k < c.innerSteps; k++) await descentStepAsync(e, objective, optimizer, descendMask);
      } finally {
        descendMask.dispose();
      }
      seconds += (performance.now() - t0) / 1000;
      const d = await distances(start, e);
      const r = ratio(d);
      series.push({ step, ...d, ratio: r });
      if (step % o.logEvery === 0 || step === o.steps) ctx.metrics.log(step, { cut, ...d, ratio: r });
      if (at.has(step)) snapshots.push(await snapshot(start, e, step, o.decode.topK, d));
    }
    writeWalkReport(ctx, start, snapshots, series);
    const summary = {
      walk: 'clamped',
      model: model.description,
      steps: o.steps,
      innerSteps: c.innerSteps,
      side: c.side,
      eta: c.eta,
      epsilon: c.epsilon,
      ...walkSummary(series, snapshots, seconds, o.steps),
    };
    ctx.report.setHeadline(clampedHeadline(summary, start.tokenizer));
    return summary;
  } finally {
    e.dispose();
    endWalk(start);
  }
}
