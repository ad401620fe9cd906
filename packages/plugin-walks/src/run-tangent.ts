import { inputGradient, tf, type RunContext } from '@repscope/core';
import { nullSpaceBasis, orthogonalityTerms, residualFrom } from './null-space';
import type { WalksOptions } from './options';
import { distancesFrom, distanceTerms, endWalk, ratio, snapshot, Snapshot, startWalk, walkSummary, writeWalkReport } from './walk-common';
import type { TokenModel } from '@repscope/core';
import { tangentHeadline } from './headline';

/**
 * The seed's tangent walk: at each step take G = ∇ₑ Σ O(e) as a [tokens × d] matrix, pick a
 * direction v orthogonal to every row (the null space, from the full QR of Gᵀ), and step
 * e ← e + η·v at every token. To first order Σ O does not change; the log says how much O does.
 */
export async function runTangentWalk(ctx: RunContext<WalksOptions>, model: TokenModel): Promise<Record<string, unknown>> {
  const o = ctx.options;
  const start = await startWalk(ctx, model);
  const e = tf.variable(start.origin, false, `tangent-walk-${ctx.seed}`);
  const rng = ctx.rng.fork('direction');
  const at = new Set([0, ...o.decode.at, o.steps]);
  const snapshots: Snapshot[] = [await snapshot(start, e, 0, o.decode.topK, { inputDistance: 0, outputDistance: 0 })];
  const series: { step: number; inputDistance: number; outputDistance: number; ratio: number }[] = [];
  const residuals: number[] = [];
  const relResiduals: number[] = [];
  let seconds = 0;
  try {
    ctx.progress.start(o.steps, 'tangent walk');
    ctx.metrics.describe({ summaryRoles: { msPerStep: 'bookkeeping', stepSize: 'bookkeeping' } });
    for (let step = 1; step <= o.steps; step++) {
      await ctx.checkInterrupted();
      const t0 = performance.now();
      // One readback per step: the residual terms and the two distances in one tensor.
      const terms = tf.tidy(() => {
        const [, n, dim] = e.shape as number[];
        const g = tf.reshape(inputGradient(e, (x) => model.forward(x)), [n!, dim!]) as tf.Tensor2D;
        const basis = nullSpaceBasis(g);
        const k = basis.shape[1];
        let v: tf.Tensor1D;
        if (o.tangent.direction === 'first') v = tf.reshape(tf.slice(basis, [0, 0], [-1, 1]), [-1]);
        else if (o.tangent.direction === 'last') v = tf.reshape(tf.slice(basis, [0, k - 1], [-1, 1]), [-1]);
        else {
          const mix = tf.matMul(basis, tf.randomNormal([k, 1], 0, 1, 'float32', rng.tensorSeed()));
          v = tf.reshape(tf.div(mix, tf.norm(mix)), [-1]);
        }
        const residualTerms = orthogonalityTerms(g, v);
        e.assign(tf.add(e, tf.mul(v, o.tangent.stepSize)));
        return tf.concat([residualTerms, distanceTerms(start, e)]);
      });
      const values = await terms.data();
      terms.dispose();
      const residual = residualFrom(values.subarray(0, 2));
      const d = distancesFrom(values.subarray(2));
      seconds += (performance.now() - t0) / 1000;
      residuals.push(residual.absolute);
      relResiduals.push(residual.relative);
      const r = ratio(d);
      series.push({ step, ...d, ratio: r });
      if (step % o.logEvery === 0 || step === o.steps) ctx.metrics.log(step, { orthogonalityResidual: residual.absolute, relativeResidual: residual.relative, ...d, ratio: r });
      if (at.has(step)) snapshots.push(await snapshot(start, e, step, o.decode.topK, d));
    }
    writeWalkReport(ctx, start, snapshots, series);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const summary = {
      walk: 'tangent',
      model: model.description,
      steps: o.steps,
      stepSize: o.tangent.stepSize,
      direction: o.tangent.direction,
      orthogonalityResidual: { mean: mean(residuals), max: Math.max(...residuals), relativeMean: mean(relResiduals), relativeMax: Math.max(...relResiduals) },
      ...walkSummary(series, snapshots, seconds, o.steps),
    };
    ctx.report.setHeadline(tangentHeadline(summary, start.tokenizer));
    return summary;
  } finally {
    e.dispose();
    endWalk(start);
  }
}
