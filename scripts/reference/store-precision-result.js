/*
 * Stores the JSON of scripts/reference/inversion_precision.py as one row of
 * packages/plugin-inversion/repro-results.json (the rows float64-vs-float32*, which repro.js
 * renders but does not run), in the format repro.js stores its own runs: one run per precision
 * and learning rate, labelled `precision=… lr=…`, with the summary fields the row reads.
 *
 *   node scripts/reference/store-precision-result.js RESULT.json ROW_ID [--kind untrained|trained-here] [--dry-run]
 *   node scripts/repro.js inversion --render
 *
 * `--dry-run` prints the entry instead of storing it.
 *
 * Only ROW_ID's entry is written; the file is re-read just before the write and replaced by
 * rename (as repro.js does), so rows written by a concurrent `pnpm repro` are kept.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const [file, rowId, ...rest] = process.argv.slice(2);
if (!file || !rowId) {
  console.error('usage: node scripts/reference/store-precision-result.js RESULT.json ROW_ID [--kind untrained|trained-here]');
  process.exit(2);
}
const kindArg = rest.includes('--kind') ? rest[rest.indexOf('--kind') + 1] : undefined;
const result = JSON.parse(fs.readFileSync(file, 'utf8'));
const { gpt2Tokenizer } = require(require.resolve('@repscope/models', { paths: [path.join(root, 'packages', 'core')] }));

const trainedHere = kindArg ? kindArg === 'trained-here' : result.step !== undefined && result.step !== null;
const kind = trainedHere ? { network: 'trained here', embeddings: 'trained here' } : { network: 'untrained', embeddings: 'untrained' };
const env = { backend: `PyTorch ${result.torch} (CPU, harness)`, threads: result.threads };

const runs = [];
for (const r of result.results) {
  for (const precision of ['float32', 'float64']) {
    const p = r[precision];
    if (!p) continue;
    const tokens = Array.isArray(p.tokens) ? p.tokens : undefined;
    const summary = {
      status: p.status,
      ...(p.error ? { error: p.error } : {}),
      firstStepBeatingBaseline: p.firstStepBeatingBaseline,
      outputDistance: p.outputDistance,
      baselineDistance: p.baselineDistance,
      beatsBaseline: p.beatsBaseline,
      ...(tokens && tokens.every((t) => Number.isInteger(t)) ? { decoded: gpt2Tokenizer.decode(tokens), tokens } : {}),
      ...(p.tokenAccuracy !== undefined ? { tokenAccuracy: p.tokenAccuracy, exactMatch: p.exactMatch } : {}),
      ...(r.firstGradientRelativeDifference !== undefined ? { firstGradientRelativeDifference: r.firstGradientRelativeDifference } : {}),
      ...(r.finalInputRelativeL1Difference !== undefined ? { finalInputRelativeL1Difference: r.finalInputRelativeL1Difference } : {}),
      steps: result.settings.steps,
    };
    const scale = result.settings.lossScale;
    runs.push({
      label: `precision=${precision} lr=${r.lr}`,
      overrides: { precision, 'optimizer.lr': r.lr },
      summary,
      kind,
      seconds: p.seconds,
      env,
      ...(p.status === 'completed' && typeof p.initialOutputDistance === 'number' ? { lossTrace: { first: p.initialOutputDistance * scale, last: p.outputDistance * scale } } : {}),
    });
  }
}

/** The checkpoint as a path in the repository, or (outside it: the harness's own untrained folder) what it is. */
function where(r) {
  const rel = path.relative(root, r.checkpoint);
  if (!rel.startsWith('..')) return rel;
  return trainedHere ? r.checkpoint : `an untrained ${r.config.n_layer} × ${r.config.n_embd} GPT-2 folder made by --make-untrained (Hugging Face initialisation); start and baseline drawn with torch seed ${r.settings.seed}`;
}

const entry = {
  date: new Date().toISOString().slice(0, 10),
  source: `${result.harness} (PyTorch, run by hand) on ${where(result)}${result.step ? `, step ${result.step}` : ''}`,
  ...(trainedHere ? { checkpoint: path.relative(root, result.checkpoint), arch: { blocks: result.config.n_layer, width: result.config.n_embd, step: result.step, evalLoss: result.evalLoss } } : {}),
  runs,
};

if (rest.includes('--dry-run')) {
  console.log(JSON.stringify({ [rowId]: entry }, null, 1));
  process.exit(0);
}
const storeFile = path.join(root, 'packages', 'plugin-inversion', 'repro-results.json');
const store = { ...JSON.parse(fs.readFileSync(storeFile, 'utf8')), [rowId]: entry };
const tmp = `${storeFile}.${process.pid}.tmp`;
fs.writeFileSync(tmp, JSON.stringify(store, null, 1) + '\n');
fs.renameSync(tmp, storeFile);
console.log(`stored ${runs.length} runs as ${rowId} in ${path.relative(root, storeFile)}`);
