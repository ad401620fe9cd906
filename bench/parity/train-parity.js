/*
 * Training parity with PyTorch: runs the train plugin for a few steps on a small GPT-2, then
 * asks `torch_train_parity.py` to train the same initial weights on the same batches with
 * torch.optim.AdamW, clipping and the same learning rates, and compares the final weights.
 *   node bench/parity/train-parity.js [python]      (exit 1 when they differ)
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { tf, encodeSafetensors } = require('@repscope/core');
const { selectBackend, runPluginConfig, gpt2Tokenizer } = require('@repscope/core/testing');
const { buildGpt2 } = require('@repscope/models');
const train = require('@repscope/plugin-train').default;
const { writeCheckpoint } = require('@repscope/plugin-train/train/checkpoint-folder');
const { buildDataset, trainBatches } = require('@repscope/plugin-train/data/dataset');
const { modelLoss } = require('@repscope/plugin-train/train/model-loss');

async function main() {
  const python = process.argv[2] || '/usr/bin/python3';
  await selectBackend('wasm');
  // Every option spelled out, so both sides see the same values without reading defaults.
  const options = {
    model: { kind: 'gpt2', config: { nLayer: 2, nEmbd: 32, nHead: 2, nPositions: 16 } },
    data: { synthetic: { sentences: 300 }, heldOut: 0.05 },
    steps: 4,
    batch: { sequences: 2, tokens: 8, accumulate: 2 },
    optimizer: { kind: 'adamw', lr: 0.01, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1, weightDecayOn: ['linear'], schedule: { kind: 'warmup-cosine', warmup: 2, finalFraction: 0.1 } },
    clipGradNorm: 0.5,
    eval: { every: 4, batches: 1, prompt: 'The', continuation: 1 },
    checkpoints: { every: 100 },
    logEvery: 1,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-parity-'));
  // The initial weights: the same seeded HF initialisation the run starts from.
  const init = await buildGpt2({ kind: 'gpt2', config: options.model.config, head: true, positionIds: 'sequential' }, 0, () => {});
  await writeCheckpoint(path.join(dir, 'init'), init.hfConfig(), init.namedParameters(), {}, {});
  init.dispose();
  const run = await runPluginConfig(train, options);
  const data = buildDataset(options, 0, gpt2Tokenizer);
  const batches = [];
  for (let s = 0; s < options.steps; s++) batches.push(trainBatches(data, options, 0, s).map((b) => ({ inputs: b.inputs, targets: Array.from(b.targets) })));
  const lrs = run.metrics.filter((m) => typeof m.lr === 'number').map((m) => m.lr);
  // Gradients of the first step at the initial weights, through the plugin's own loss and model.
  const model = await buildGpt2({ kind: 'gpt2', weights: path.join(dir, 'init'), head: true, positionIds: 'sequential' }, 0, () => {}, { trainable: true });
  const params = model.namedParameters();
  const names = new Map([...params].map(([hf, v]) => [v.name, hf]));
  const sums = {};
  for (const b of batches[0]) {
    const targets = tf.tensor1d(b.targets, 'int32');
    const { value, grads } = tf.variableGrads(() => modelLoss(model, b.inputs, targets), [...params.values()]);
    for (const [v, g] of Object.entries(grads)) {
      const data = await g.data();
      const hf = names.get(v);
      sums[hf] ??= { shape: g.shape, data: new Float32Array(data.length) };
      for (let i = 0; i < data.length; i++) sums[hf].data[i] += data[i] / batches[0].length;
    }
    tf.dispose([value, targets, ...Object.values(grads)]);
  }
  model.dispose();
  fs.writeFileSync(path.join(dir, 'grads.safetensors'), encodeSafetensors(sums));
  const o = options.optimizer;
  const spec = { grads: path.join(dir, 'grads.safetensors'), init: path.join(dir, 'init'), final: path.join(run.dir, 'final'), batches, lrs, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay, clip: options.clipGradNorm };
  fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  const r = spawnSync(python, [path.join(__dirname, 'torch_train_parity.py'), path.join(dir, 'spec.json')], { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.status ?? 1;
}

main().catch((err) => {
  process.stderr.write(String(err.stack || err) + '\n');
  process.exit(1);
});
