'use strict';
// Pools the samples of spike/rounds.sh's runs and prints the README's table (markdown).
//   node spike/aggregate.js <outdir>
const fs = require('node:fs');
const path = require('node:path');
const dir = process.argv[2] || '/tmp/native-gemm-spike';
const files = fs.readdirSync(dir);
const node = files.filter((f) => /^node\d+\.json$/.test(f)).sort().map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
const torch = files.filter((f) => /^torch\d+\.json$/.test(f)).sort().map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const PATHS = [
  ['a', '(a) tf.matMul, wasm XNNPACK + dataSync'],
  ['a_tensor', '(a′) same, output tensor only'],
  ['b', '(b) addon on Float32Arrays (pure GEMM)'],
  ['c', '(c) addon with copies + dataSync'],
  ['c_tensor', '(c′) same, output tensor only'],
  ['d', '(d) addon in place on wasm heap + dataSync'],
  ['d_tensor', '(d′) same, output tensor only'],
  ['copy_in', 'copies: dataSync of A and B'],
  ['copy_out', 'copies: tf.tensor(C)'],
];
console.log(`${node.length} JS runs, ${torch.length} PyTorch runs; addon BLAS ${node[0].blas.library}, core ${node[0].blas.corename}, ${node[0].blas.threads} threads; wasm ${node[0].threads} threads; PyTorch OpenBLAS core ${torch[0] && torch[0].core}\n`);
const summary = [];
node[0].results.forEach((shape, si) => {
  const gflop = shape.gflop;
  const pooled = (key) => node.flatMap((n) => n.results[si].times[key].all);
  const torchAll = torch.flatMap((t) => t.results.find((r) => r.M === shape.M && r.N === shape.N).all);
  const tTorch = med(torchAll);
  const tA = med(pooled('a'));
  console.log(`**${shape.name}** (${gflop.toFixed(2)} GFLOP)\n`);
  console.log('| path | ms median | [min – max] | GFLOP/s | speed-up vs XNNPACK: median of same-run ratios (range) | best vs best | × PyTorch (medians) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [key, label] of PATHS) {
    const all = pooled(key);
    const t = med(all);
    const base = key.endsWith('_tensor') ? 'a_tensor' : 'a';
    const perRun = node.map((n) => n.results[si].times[base].median / n.results[si].times[key].median);
    const speed = key.startsWith('copy') || key === 'a' || key === 'a_tensor' ? '' : `${fmt(med(perRun))}× (${fmt(Math.min(...perRun))}–${fmt(Math.max(...perRun))})`;
    const gf = key.startsWith('copy') ? '' : fmt(gflop / (t / 1e3));
    const best = key.startsWith('copy') || key === 'a' || key === 'a_tensor' ? '' : `${fmt(Math.min(...pooled(base)) / Math.min(...all))}×`;
    summary.push({ shape: shape.name, key, t, best: Math.min(...all), speed: med(perRun), bestSpeed: Math.min(...pooled(base)) / Math.min(...all) });
    console.log(`| ${label} | ${fmt(t)} | [${fmt(Math.min(...all))} – ${fmt(Math.max(...all))}] | ${gf} | ${speed} | ${best} | ${key.startsWith('copy') ? '' : fmt(t / tTorch) + '×'} |`);
  }
  console.log(`| PyTorch ${torch[0] ? 'torch.mm (OpenBLAS ' + torch[0].core + ')' : ''} | ${fmt(tTorch)} | [${fmt(Math.min(...torchAll))} – ${fmt(Math.max(...torchAll))}] | ${fmt(gflop / (tTorch / 1e3))} | XNNPACK is ${fmt(tA / tTorch)}× slower | ${fmt(Math.min(...pooled('a')) / Math.min(...torchAll))}× | 1× |\n`);
  const checks = node.map((n) => n.results[si].checks);
  console.log(`parity max|Δ|/max|ref| vs tf.matMul: ${Math.max(...checks.map((c) => c.relErrVsWasm)).toExponential(2)} (in place ${Math.max(...checks.map((c) => c.inPlaceRelErrVsWasm)).toExponential(2)}); bit-identical run to run: ${checks.every((c) => c.bitIdenticalRunToRun && c.inPlaceBitIdenticalRunToRun)}\n`);
});

console.log('**Verdict input: native end-to-end speed-up over XNNPACK (median of same-run ratios / best vs best), rule ≥ 2.5×**\n');
console.log('| shape | (c) copies + read-back | (c′) copies, tensor out | (d) in place + read-back | (d′) in place, tensor out |');
console.log('|---|---:|---:|---:|---:|');
for (const name of [...new Set(summary.map((s) => s.shape))]) {
  const cell = (k) => { const s = summary.find((x) => x.shape === name && x.key === k); return `${fmt(s.speed)}× / ${fmt(s.bestSpeed)}×`; };
  console.log(`| ${name} | ${cell('c')} | ${cell('c_tensor')} | ${cell('d')} | ${cell('d_tensor')} |`);
}
