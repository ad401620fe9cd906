/*
 * The training case of `pnpm bench`: ms per optimizer step of the train plugin (GPT-2 4 × 256,
 * full GPT-2 vocabulary, 16 × 128 tokens per step, AdamW, clipping) against PyTorch-CPU
 * training the same model in the same run. Writes its table between the TRAIN markers.
 */
const fs = require('node:fs');
const path = require('node:path');

const fmt = (v, digits = 1) => (v === undefined || v === null ? '–' : v.toFixed(digits));

function runTrainingBench({ torch, machine, backend, quick, runCase }) {
  const c = { label: 'GPT-2 4 × 256, vocab 50257, 16 × 128 tokens/step', layers: 4, width: 256, heads: 4, sequences: 16, tokens: 128, steps: quick ? 3 : 6, backend, target: 2.0 };
  const js = runCase(process.execPath, [path.join(__dirname, 'train-case.js'), JSON.stringify(c)]);
  const pt = torch ? runCase(torch.py, [path.join(__dirname, 'torch_train_case.py'), JSON.stringify({ ...c, threads: 2 })]) : undefined;
  const ratio = js.msPerStep && pt && pt.msPerStep ? js.msPerStep / pt.msPerStep : undefined;
  console.log(`training: ${c.label}  tfjs ${fmt(js.msPerStep)} ms ${js.error ? 'ERROR ' + js.error : ''}${pt ? `  torch ${fmt(pt.msPerStep)} ms ${pt.error ?? ''} ratio ${fmt(ratio, 2)}` : ''}  rss ${fmt(js.peakRssMB, 0)} MB`);
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}. Median ms per optimizer step after the first (forward, cross-entropy over the full vocabulary, backward, clipping, AdamW).`,
    '',
    '| case | TF.js ms/step | PyTorch ms/step | ratio | target | TF.js peak RSS | PyTorch peak RSS |',
    '|---|---:|---:|---:|---|---:|---:|',
    `| ${c.label} | ${fmt(js.msPerStep)} | ${fmt(pt?.msPerStep)} | ${ratio ? fmt(ratio, 2) + '×' : '–'} | ≤ ${c.target}× ${ratio ? (ratio <= c.target ? '✓' : '✗') : ''} | ${fmt(js.peakRssMB, 0)} MB | ${fmt(pt?.peakRssMB, 0)} MB |`,
  ].join('\n');
  const readme = path.join(__dirname, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const begin = '<!-- TRAIN:BEGIN -->';
  const end = '<!-- TRAIN:END -->';
  if (!quick && text.includes(begin) && text.includes(end)) {
    fs.writeFileSync(readme, text.slice(0, text.indexOf(begin) + begin.length) + '\n' + table + '\n' + text.slice(text.indexOf(end)));
  } else {
    console.log('\n' + table);
  }
  return Boolean(js.error);
}

module.exports = { runTrainingBench };
