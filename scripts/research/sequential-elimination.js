/*
 * Would elimination replace ranking in sequential inversion on a model trained here? For each
 * position of a sentence this verifies every token once (the exact error e_v of each), then
 * simulates: verify tokens in nearest-to-proposal order, skipping any token within
 * (e_v − ε)/L of a verified v, L = κ · the steepest secant |e_v − e_w| / ‖w_v − w_w‖ among
 * verified pairs, κ × 4 when nothing is left. Prints verifications per position per κ, and the
 * slope that would have kept the true token (max e_v / ‖w_v − w_true‖). Results and why the
 * idea was not shipped: packages/plugin-inversion/README.md ("Tried and not shipped").
 *
 *   node scripts/research/sequential-elimination.js runs/train-tiny/final [depth] [head]
 */
const path = require('node:path');
const { tf, definePlugin } = require('@repscope/core');
const { runPluginConfig, gpt2Tokenizer } = require('@repscope/core/testing');

const [weightsArg, depthArg = '1', headArg] = process.argv.slice(2);
if (!weightsArg) {
  console.error('usage: node scripts/research/sequential-elimination.js <checkpoint folder> [depth] [head]');
  process.exit(2);
}
const EPSILON = 1e-3;
const KAPPAS = [1.5, 2, 3];
const ids = gpt2Tokenizer.encode('The cat saw a dog.');

/** The exact relative error of every token at position t, and the nearest-to-proposal order. */
function positionErrors(model, wte, full, positions, t) {
  return tf.tidy(() => {
    const want = tf.reshape(tf.slice(full, [0, t, 0], [1, 1, -1]), [1, -1]);
    const wantNorm = tf.norm(want).dataSync()[0];
    const next = model.nextPositionStates(t > 0 ? model.embed([ids.slice(0, t)]) : undefined);
    const posT = tf.slice(positions, [t, 0], [1, -1]);
    // The proposal run-sequential.ts starts from: 20 steps from the mean row.
    let x = tf.reshape(tf.add(tf.mean(wte, 0, true), posT), [1, 1, -1]);
    const squaredError = (input) => tf.sum(tf.squaredDifference(next.states(input), want));
    for (let k = 0; k < 20; k++) x = tf.sub(x, tf.mul(tf.grad(squaredError)(x), 0.05 / wantNorm));
    const order = tf.sum(tf.squaredDifference(wte, tf.sub(tf.reshape(x, [1, -1]), posT)), 1).dataSync();
    const V = wte.shape[0];
    const errors = new Float32Array(V);
    for (let i = 0; i < V; i += 2048) {
      const part = tf.range(i, Math.min(V, i + 2048), 1, 'int32');
      const inputs = tf.reshape(tf.add(tf.gather(wte, part), posT), [part.shape[0], 1, -1]);
      errors.set(tf.div(tf.norm(tf.sub(next.states(inputs), want), 'euclidean', 1), wantNorm).dataSync(), i);
    }
    next.dispose();
    return { errors, order: Array.from(order.keys()).sort((a, b) => order[a] - order[b]) };
  });
}

function simulate(W, d, errors, order, kappa) {
  const V = errors.length;
  const distances = new Map();
  const row = (c) => {
    const r = new Float32Array(V);
    for (let u = 0; u < V; u++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (W[u * d + k] - W[c * d + k]) ** 2;
      r[u] = Math.sqrt(s);
    }
    return r;
  };
  let slope = 0;
  let k = kappa;
  for (let fallbacks = 0; fallbacks < 6; fallbacks++, k *= 4) {
    for (const c of order) {
      if (distances.has(c)) continue;
      const L = slope * k;
      let ruledOut = false;
      if (L > 0) for (const [v, r] of distances) if (r[c] < (errors[v] - EPSILON) / L) { ruledOut = true; break; }
      if (ruledOut) continue;
      for (const [v, r] of distances) if (r[c] > 0) slope = Math.max(slope, Math.abs(errors[v] - errors[c]) / r[c]);
      distances.set(c, row(c));
      if (errors[c] <= EPSILON) return { verifications: distances.size, accepted: c };
      if (distances.size >= 2000) return { verifications: '>2000', accepted: -1 };
    }
  }
  return { verifications: distances.size, accepted: -1 };
}

const probe = definePlugin({
  name: 'elimination-probe',
  version: '0.0.0',
  description: 'measurement script',
  apiVersion: 1,
  optionsSchema: { type: 'object', properties: {}, additionalProperties: true },
  model: { required: true },
  async run(ctx) {
    const model = await ctx.models.create(undefined, { sequenceLength: ids.length });
    const wte = model.tokenEmbeddingMatrix();
    const W = wte.dataSync();
    const d = model.dModel;
    const positions = model.positionEmbeddings(ids.length);
    const full = model.forward(model.embed([ids]));
    for (let t = 0; t < ids.length; t++) {
      const { errors, order } = positionErrors(model, wte, full, positions, t);
      const truth = ids[t];
      let keepSlope = 0;
      for (let c = 0; c < errors.length; c++) {
        if (c === truth) continue;
        let s = 0;
        for (let k = 0; k < d; k++) s += (W[c * d + k] - W[truth * d + k]) ** 2;
        keepSlope = Math.max(keepSlope, errors[c] / Math.sqrt(s));
      }
      const runs = KAPPAS.map((kappa) => `κ ${kappa}: ${simulate(W, d, errors, order, kappa).verifications}`);
      console.log(`position ${t}: nearest rank ${order.indexOf(truth) + 1}, slope keeping the truth ${keepSlope.toFixed(2)}, verifications ${runs.join(', ')}`);
    }
    return {};
  },
});

runPluginConfig(probe, { model: { kind: 'gpt2', weights: path.resolve(weightsArg), depth: Number(depthArg), head: headArg === 'head' } }).catch((e) => {
  console.error(e.message);
  process.exit(1);
});
