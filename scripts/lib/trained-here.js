/*
 * The models trained here by plugin-train that reproduction tables give their own column: the
 * seed's trained-model claims re-run on them ("trained here", next to the untrained column).
 * A claim opts in with `"trainedHere": true` in repro.json; its config then runs once per
 * checkpoint below that exists, with the model block pointed at the checkpoint (size/config
 * dropped, depth capped at the checkpoint's blocks, a judge model swapped for the same
 * checkpoint with its head). Train them first:
 *   pnpm repscope run configs/train/gpt2-4x256-brown.yaml --out runs/train-brown-4x256
 * One model: the Brown proxy (real English, reduced vocabulary). The two synthetic-grammar
 * models that had columns before it (2 × 64 and 4 × 256, configs/train/*-synthetic.yaml) were
 * retired: their prompt words lay outside a 462-word grammar and ~49,700 tokens they never saw
 * formed one cluster that decided several results (their tables are in the git history).
 */
const fs = require('node:fs');
const path = require('node:path');

const TRAINED_HERE = [
  { slug: 'brown', weights: 'runs/train-brown-4x256/final', trainedWith: 'configs/train/gpt2-4x256-brown.yaml' },
];

/**
 * The checkpoint a model's column uses: the run's `final/`, else (a run still training) its
 * latest `checkpoints/step-*`, which the column title then says.
 */
function checkpointOf(root, m) {
  const run = path.join(root, path.dirname(m.weights));
  const final = path.join(root, m.weights);
  if (fs.existsSync(path.join(final, 'model.safetensors'))) return final;
  const dir = path.join(run, 'checkpoints');
  const steps = fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => /^step-\d+$/.test(d)).sort() : [];
  return steps.length ? path.join(dir, steps.at(-1)) : undefined;
}

/** `{ blocks, width, step, evalLoss }` of a checkpoint folder, or undefined when there is none yet. */
function architectureOf(dir) {
  if (!dir) return undefined;
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file) || !fs.existsSync(path.join(dir, 'model.safetensors'))) return undefined;
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  const stateFile = path.join(dir, 'train-state.json');
  const state = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : {};
  return { blocks: c.n_layer, width: c.n_embd, step: state.step, evalLoss: state.evalLoss };
}

/**
 * Overrides that run an entry's config on a checkpoint, from the config as resolved
 * (`repscope validate --print`, job 0 for a sweep) and the file's own `sweep.grid`: the model
 * replaced whole, a judge replaced, a swept depth axis capped at the checkpoint's blocks.
 */
function trainedHereOverrides(resolved, sweepGrid, weights, arch) {
  const model = resolved.model.kind === 'hybrid' ? hybridOn(resolved.model, weights, arch) : { ...resolved.model, weights };
  if (resolved.model.kind !== 'hybrid') {
    delete model.size;
    delete model.config;
  }
  if (typeof model.depth === 'number' && model.depth > arch.blocks) model.depth = arch.blocks;
  const args = [`model=${JSON.stringify(model)}`];
  if (resolved.nextToken && resolved.nextToken.judge) args.push(`nextToken.judge=${JSON.stringify({ kind: 'gpt2', weights, head: true })}`);
  const depthAxis = sweepGrid && sweepGrid['model.depth'];
  if (Array.isArray(depthAxis)) args.push(`model.depth=${[...new Set(depthAxis.map((d) => Math.min(d, arch.blocks)))].join(',')}`);
  return args;
}

/**
 * A hybrid's GPT-2 stack replaced by the checkpoint. Nothing was trained for the image side, so
 * the ViT stem (patch projection and CLS, no ViT blocks) stays untrained, at the checkpoint's
 * width: the column then measures what training the transformer stack alone changes.
 */
function hybridOn(model, weights, arch) {
  // The stem's own weights (if any) are dropped: they are of another width.
  const vit = { ...(model.vit ?? {}) };
  delete vit.weights;
  const config = { ...(vit.config ?? {}), hiddenSize: arch.width, heads: Math.max(1, Math.round(arch.width / 64)), intermediateSize: 4 * arch.width, layers: 0 };
  return { ...model, vit: { ...vit, config }, gpt2: { weights } };
}

module.exports = { TRAINED_HERE, checkpointOf, architectureOf, trainedHereOverrides };
