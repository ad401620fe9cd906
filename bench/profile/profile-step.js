/*
 * Per-kernel time of one bench step: `node bench/profile/profile-step.js '{"model":"hybrid","depth":4}'`
 * (fields as in bench/run-bench.js's CASES, plus `backend`). Runs two warm-up steps, then profiles
 * one step with tf.profile and prints milliseconds per kernel, summed over calls, largest
 * first, with the input shapes of the most expensive call. The wasm backend's kernels are
 * synchronous, so its per-kernel wall time is the kernel's own time.
 */
const { tf, descentStep } = require('@repscope/core');
const { selectBackend, createBuiltinRegistries } = require('@repscope/core/testing');
const { caseModel } = require('../case-model');

async function main() {
  const c = { backend: 'wasm', batch: 1, tokens: 5, head: false, ...JSON.parse(process.argv[2] || '{"model":"hybrid","depth":4}') };
  await selectBackend(c.backend);
  const { model, shape } = await caseModel(c);
  const registries = createBuiltinRegistries();
  const x = tf.variable(tf.randomUniform(shape, 0, 1, 'float32', 1));
  const target = tf.tidy(() => model.forward(tf.randomUniform(shape, 0, 1, 'float32', 2)));
  const l1 = registries.metrics.get('l1');
  const optimizer = registries.optimizers.get('sgd').create({ kind: 'sgd', lr: 0.01 }, 1000, () => 0.01);
  const objective = (inp) => l1.perItem(model.forward(inp), target);
  for (let i = 0; i < 2; i++) descentStep(x, objective, optimizer);
  const t0 = performance.now();
  descentStep(x, objective, optimizer);
  const stepMs = performance.now() - t0;
  const info = await tf.profile(() => {
    descentStep(x, objective, optimizer);
  });
  const byKernel = new Map();
  const backendName = tf.getBackend();
  const byShape = new Map();
  for (const k of info.kernels) {
    // Op wrappers and customGrad's `forward` appear too, enclosing their kernels; count kernels only.
    if (!tf.getKernel(k.name, backendName)) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0, worst: 0, shapes: '' };
    e.ms += ms;
    e.calls += 1;
    if (ms > e.worst) {
      e.worst = ms;
      e.shapes = k.inputShapes.map((s) => `[${s}]`).join(' ');
    }
    byKernel.set(k.name, e);
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}`;
    const se = byShape.get(key) ?? { ms: 0, calls: 0 };
    se.ms += ms;
    se.calls += 1;
    byShape.set(key, se);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`${c.model} depth ${c.depth} on ${tf.getBackend()}: step ${stepMs.toFixed(1)} ms unprofiled; kernels sum ${total.toFixed(1)} ms`);
  console.log('| kernel | calls | ms | share | slowest call inputs |');
  console.log('|---|---:|---:|---:|---|');
  for (const [name, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    if (e.ms < total * 0.005) continue;
    console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(1)}% | ${e.shapes} |`);
  }
  if (process.argv.includes('--shapes')) {
    console.log('\n| kernel and input shapes | calls | ms |');
    console.log('|---|---:|---:|');
    for (const [key, e] of [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`| ${key} | ${e.calls} | ${e.ms.toFixed(1)} |`);
  }
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
