/*
 * Per-kernel time of one training step of the train plugin (forward, full-vocabulary
 * cross-entropy, backward): `node bench/profile/profile-train.js '{"layers":4,"width":256,"sequences":16,"tokens":128}'`.
 * Two warm-up steps, then one step under tf.profile; prints ms per kernel summed over calls,
 * largest first, and with --shapes the most expensive kernel × input-shape pairs.
 */
const { tf } = require('@repscope/core');
const { selectBackend } = require('@repscope/core/testing');
const { buildGpt2 } = require('@repscope/models');
const { modelLoss } = require('@repscope/plugin-train/train/model-loss');

async function main() {
  const c = { backend: 'wasm', layers: 4, width: 256, heads: 4, sequences: 16, tokens: 128, ...JSON.parse(process.argv[2] || '{}') };
  await selectBackend(c.backend);
  const spec = { kind: 'gpt2', config: { nLayer: c.layers, nEmbd: c.width, nHead: c.heads, nPositions: c.tokens }, head: true, positionIds: 'sequential' };
  const model = await buildGpt2(spec, 0, () => undefined, { trainable: true });
  const vars = [...model.namedParameters().values()];
  const ids = Array.from({ length: c.sequences }, (_, s) => Array.from({ length: c.tokens }, (_, t) => (s * 7919 + t * 104729) % 50257));
  const targets = tf.tensor1d(ids.flat().map((v) => (v + 1) % 50257), 'int32');
  const step = () => {
    const { value, grads } = tf.variableGrads(() => modelLoss(model, ids, targets), vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  for (let i = 0; i < 2; i++) step();
  const t0 = performance.now();
  step();
  const stepMs = performance.now() - t0;
  const info = await tf.profile(step);
  const byKernel = new Map();
  const byShape = new Map();
  for (const k of info.kernels) {
    if (!tf.getKernel(k.name, tf.getBackend())) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const shapes = k.inputShapes.map((s) => `[${s}]`).join(' ');
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0, worst: 0, shapes: '' };
    e.ms += ms;
    e.calls += 1;
    if (ms > e.worst) Object.assign(e, { worst: ms, shapes });
    byKernel.set(k.name, e);
    const se = byShape.get(`${k.name} ${shapes}`) ?? { ms: 0, calls: 0 };
    se.ms += ms;
    se.calls += 1;
    byShape.set(`${k.name} ${shapes}`, se);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`train step ${c.layers}×${c.width}, ${c.sequences}×${c.tokens} tokens on ${tf.getBackend()}: ${stepMs.toFixed(0)} ms unprofiled (no optimizer update); kernels sum ${total.toFixed(0)} ms`);
  console.log('| kernel | calls | ms | share | slowest call inputs |\n|---|---:|---:|---:|---|');
  for (const [name, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    if (e.ms >= total * 0.005) console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(1)}% | ${e.shapes} |`);
  }
  if (process.argv.includes('--shapes')) {
    console.log('\n| kernel and input shapes | calls | ms |\n|---|---:|---:|');
    for (const [key, e] of [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`| ${key} | ${e.calls} | ${e.ms.toFixed(1)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
