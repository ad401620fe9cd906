/*
 * The training case of `pnpm bench`: ms per optimizer step of the train plugin (GPT-2 4 × 256,
 * full GPT-2 vocabulary, 16 × 128 tokens per step, AdamW, clipping) against PyTorch-CPU
 * training the same model in the same run. Writes its table between the TRAIN markers.
 */
const fs = require('node:fs');
const path = require('node:path');
const { runKernelPaths, torchBaseline } = require('./kernel-paths');

const fmt = (v, digits = 1) => (v === undefined || v === null ? '–' : v.toFixed(digits));

function runTrainingBench({ torch, machine, backend, quick, runCase, baseline: inferenceBaseline }) {
  const c = { label: 'GPT-2 4 × 256, vocab 50257, 16 × 128 tokens/step', layers: 4, width: 256, heads: 4, sequences: 16, tokens: 128, steps: quick ? 3 : 6, backend, target: 1.5 };
  const paths = runKernelPaths(runCase, [path.join(__dirname, 'train-case.js'), JSON.stringify(c)], backend);
  const js = paths.single ?? paths.native;
  const pt = torch ? runCase(torch.py, [path.join(__dirname, 'torch_train_case.py'), JSON.stringify({ ...c, threads: 2 })]) : undefined;
  const ratioOf = (r) => (r && r.msPerStep && pt && pt.msPerStep ? r.msPerStep / pt.msPerStep : undefined);
  const ratio = ratioOf(js);
  const rssRatio = js.peakRssMB && pt && pt.peakRssMB ? js.peakRssMB / pt.peakRssMB : undefined;
  // Judged on what this PyTorch process loaded (`--only training` runs no inference rows).
  const baseline = pt && !pt.error ? torchBaseline([pt]) : inferenceBaseline;
  const fair = baseline ? baseline.fair : false;
  if (baseline) console.log(baseline.shown);
  const judged = (v, t) => (v === undefined ? '' : !fair ? 'not judged' : v <= t ? '✓' : '✗');
  const cell = (r) => (!r ? '–' : r.error ? (/REPSCOPE_NATIVE_GEMM=1/.test(r.error) ? 'not run' : 'error') : fmt(r.msPerStep));
  const x = (v) => (v === undefined ? '–' : `${fmt(v, 2)}×`);
  console.log(`training: ${c.label}  ${paths.xnnpack ? `xnnpack ${cell(paths.xnnpack)} ms  native ${cell(paths.native)} ms` : `tfjs ${cell(js)} ms`} ${js.error ? 'ERROR ' + js.error : ''}${pt ? `  torch ${fmt(pt.msPerStep)} ms ${pt.error ?? ''} ratio ${fmt(ratio, 2)}` : ''}  rss ${fmt(js.peakRssMB, 0)} MB`);
  const table = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}. Median ms per optimizer step after the first (forward, cross-entropy over the full vocabulary, backward, clipping, AdamW); peak RSS in MB.${baseline ? ` ${baseline.line}.` : ''}`,
    '',
    '| case | XNNPACK ms | native ms | PyTorch ms | XNNPACK ratio | native ratio | target | RSS XNNPACK | RSS native | RSS PyTorch | RSS ratio ≤ 1.5× |',
    '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|',
    `| ${c.label} | ${cell(paths.xnnpack ?? paths.single)} | ${cell(paths.native)} | ${fmt(pt?.msPerStep)} | ${x(ratioOf(paths.xnnpack ?? paths.single))} | ${x(paths.native && !paths.native.error ? ratio : undefined)} | ≤ ${c.target}× ${judged(ratio, c.target)} | ${fmt((paths.xnnpack ?? paths.single)?.peakRssMB, 0)} | ${fmt(paths.native?.peakRssMB, 0)} | ${fmt(pt?.peakRssMB, 0)} | ${x(rssRatio)} ${judged(rssRatio, 1.5)} |`,
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
  return Boolean(paths.single?.error || paths.xnnpack?.error || (paths.native?.error && !/REPSCOPE_NATIVE_GEMM=1/.test(paths.native.error)));
}

module.exports = { runTrainingBench };
