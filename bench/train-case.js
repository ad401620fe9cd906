/* TF.js side of the training bench: the train plugin itself (4 × 256 GPT-2, 16 × 128 tokens per step), in a fresh process. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runPluginConfig, selectBackend } = require('@repscope/core/testing');
const train = require('@repscope/plugin-train').default;

async function main() {
  const c = JSON.parse(process.argv[2]);
  const backend = await selectBackend(c.backend || 'auto');
  const run = await runPluginConfig(
    train,
    {
      model: { kind: 'gpt2', config: { nLayer: c.layers, nEmbd: c.width, nHead: c.heads, nPositions: c.tokens } },
      data: { synthetic: { sentences: 20000 } },
      steps: c.steps,
      batch: { sequences: c.sequences, tokens: c.tokens },
      optimizer: { lr: 0.003, schedule: { kind: 'warmup-cosine', warmup: 1 } },
      eval: { every: c.steps, batches: 1, continuation: 1 },
      checkpoints: { every: c.steps },
      logEvery: 1,
    },
    { backend: c.backend },
  );
  // The first step pays one-off kernel compilation and allocation: report the median of the rest.
  const times = run.metrics.filter((m) => typeof m.msPerStep === 'number' && m.step > 1).map((m) => m.msPerStep).sort((a, b) => a - b);
  fs.rmSync(path.dirname(run.dir), { recursive: true, force: true });
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  const rssMB = m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
  const kernel = backend.name !== 'wasm' ? null : backend.nativeMatMul && 'library' in backend.nativeMatMul ? backend.nativeMatMul : 'XNNPACK';
  process.stdout.write(JSON.stringify({ msPerStep: times[times.length >> 1], steps: times.length, peakRssMB: rssMB, backend: backend.name, kernel, loss: run.summary.trainLoss, cpus: os.cpus().length }) + '\n');
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
