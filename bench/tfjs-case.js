/* TF.js side of `pnpm bench`: one case in a fresh process, so peak RSS is that case's own. */
const { tf, descentStep, descentStepAsync } = require('@repscope/core');
const { selectBackend, createBuiltinRegistries } = require('@repscope/core/testing');
const { caseModel } = require('./case-model');

/** Peak resident memory of this process (VmHWM); getrusage's maxRSS can carry a forking parent's peak across exec. */
function peakRssMB() {
  const m = /VmHWM:\s+(\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** Which kernels ran the matrix products: the system BLAS on the wasm heap, or XNNPACK (null off wasm). */
function kernelPath(backend) {
  if (backend.name !== 'wasm') return null;
  return backend.nativeMatMul && 'library' in backend.nativeMatMul ? backend.nativeMatMul : 'XNNPACK';
}

async function main() {
  const c = JSON.parse(process.argv[2]);
  const backend = await selectBackend(c.backend || 'auto');
  let built;
  try {
    built = await caseModel(c);
  } catch (err) {
    // A model the backend's memory cannot hold is refused before it is built: that is the row.
    if (err && err.code === 'E_MODEL_TOO_LARGE') {
      process.stdout.write(JSON.stringify({ refused: err.message, peakRssMB: peakRssMB(), backend: backend.name, threads: backend.threads ?? null, kernel: kernelPath(backend) }) + '\n');
      process.exit(0);
    }
    throw err;
  }
  const { model, shape } = built;
  const registries = createBuiltinRegistries();
  const tokens = shape.length === 3;
  const start = tokens ? tf.randomNormal(shape, 0, 1, 'float32', 1) : tf.randomUniform(shape, 0, 1, 'float32', 1);
  const x = tf.variable(start);
  const target = tf.tidy(() => model.forward(tokens ? tf.randomNormal(shape, 0, 1, 'float32', 2) : tf.randomUniform(shape, 0, 1, 'float32', 2)));
  const l1 = registries.metrics.get('l1');
  const optimizer = registries.optimizers.get('sgd').create({ kind: 'sgd', lr: 0.01 }, 1000, () => 0.01);
  const objective = (inp) => l1.perItem(model.forward(inp), target);
  // WebGPU in Node has no synchronous read; the async step is what a GPU run uses.
  const step = backend.name === 'webgpu' ? () => descentStepAsync(x, objective, optimizer) : async () => descentStep(x, objective, optimizer);
  for (let i = 0; i < c.warmup; i++) await step();
  const times = [];
  const deadline = performance.now() + (c.minSeconds ?? 2) * 1000;
  while (times.length < c.steps || (performance.now() < deadline && times.length < 200)) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const tensors = tf.memory().numTensors;
  process.stdout.write(
    JSON.stringify({ msPerStep: times[Math.floor(times.length / 2)], steps: times.length, peakRssMB: peakRssMB(), backend: backend.name, threads: backend.threads ?? null, adapter: backend.adapter ?? null, kernel: kernelPath(backend), tensors }) + '\n',
  );
  // Dawn keeps the process alive while a device exists.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
