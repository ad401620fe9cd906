/*
 * `pnpm bench`: ms per input-optimisation step (forward to O_l, L1 distance to a target,
 * gradient with respect to the input, SGD update) for untrained GPT-2 small, the hybrid
 * model, ViT-B/16 and Llama / Qwen3 / Gemma 3 shapes, on TF.js and — when python3 with torch is available — on PyTorch-CPU, side by side
 * in the same run. Each case runs in its own process so peak RSS is per case.
 * Writes the table into bench/README.md between the RESULTS markers.
 *
 *   node bench/run-bench.js [--backend auto|wasm|webgpu|cpu|tensorflow] [--quick] [--no-torch] [--only TEXT]
 *
 * `--only TEXT` runs the cases whose label contains TEXT (e.g. `--only hybrid`; `--only training`,
 * `--only decoders` and `--only partial` run the training case, the decoder rows and the
 * partial-loading rows alone, which any other --only skips) and prints
 * instead of rewriting the table.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FAMILY_SHAPES } = require('./case-model');
const { cpuFacts, describeKernel, runKernelPaths, torchBaseline } = require('./kernel-paths');

/** Peak RSS of the native path within this multiple of PyTorch's (issue 24; wasm memory never shrinks). */
const RSS_TARGET = 1.5;

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const backend = option('--backend', 'auto');
const quick = flag('--quick');
const only = option('--only', undefined);

const CASES = [
  { label: 'GPT-2 small, 1 block, no head, batch 1', model: 'gpt2', depth: 1, head: false, batch: 1, tokens: 5, target: 1.0 },
  { label: 'GPT-2 small, 1 block, LM head, batch 1', model: 'gpt2', depth: 1, head: true, batch: 1, tokens: 5, target: 1.0 },
  { label: 'GPT-2 small, 12 blocks, no head, batch 1', model: 'gpt2', depth: 12, head: false, batch: 1, tokens: 5, target: 1.0 },
  { label: 'GPT-2 small, 12 blocks, LM head, batch 1', model: 'gpt2', depth: 12, head: true, batch: 1, tokens: 5, target: 1.0 },
  { label: 'GPT-2 small, 1 block, no head, 16 restarts', model: 'gpt2', depth: 1, head: false, batch: 16, tokens: 5, target: 1.5 },
  { label: 'GPT-2 small, 1 block, LM head, 16 restarts', model: 'gpt2', depth: 1, head: true, batch: 16, tokens: 5, target: 1.5 },
  { label: 'GPT-2 small, 12 blocks, no head, 16 restarts', model: 'gpt2', depth: 12, head: false, batch: 16, tokens: 5, target: 1.5 },
  { label: 'GPT-2 small, 12 blocks, LM head, 16 restarts', model: 'gpt2', depth: 12, head: true, batch: 16, tokens: 5, target: 1.5 },
  { label: 'hybrid ViT-B/16 stem + GPT-2, 1 block, 224²', model: 'hybrid', depth: 1, batch: 1, target: 1.5 },
  { label: 'hybrid ViT-B/16 stem + GPT-2, 4 blocks, 224²', model: 'hybrid', depth: 4, batch: 1, target: 1.5 },
  { label: 'ViT-B/16, 12 blocks, 224²', model: 'vit', depth: 12, batch: 1, target: 1.5 },
  // Model families at real dimensions, untrained (case-model.js FAMILY_SHAPES); `--only shaped` runs these alone.
  { label: 'SmolLM2-135M-shaped, 1 block, no head, batch 1', model: 'smollm2-135m', depth: 1, head: false, batch: 1, tokens: 5, target: 1.0 },
  { label: 'Qwen3-0.6B-shaped, 1 block, no head, batch 1', model: 'qwen3-0.6b', depth: 1, head: false, batch: 1, tokens: 5, target: 1.0 },
  { label: 'gemma-3-270m-shaped, 1 block, no head, batch 1', model: 'gemma-3-270m', depth: 1, head: false, batch: 1, tokens: 5, target: 1.0 },
  { label: 'SmolLM2-135M-shaped, 30 blocks, final norm + tied head, batch 1', model: 'smollm2-135m', depth: 30, head: true, batch: 1, tokens: 5, target: 1.0 },
  { label: 'Qwen3-0.6B-shaped, 28 blocks, final norm + tied head, batch 1', model: 'qwen3-0.6b', depth: 28, head: true, batch: 1, tokens: 5, target: 1.0 },
  { label: 'gemma-3-270m-shaped, 18 blocks, final norm + tied head, batch 1', model: 'gemma-3-270m', depth: 18, head: true, batch: 1, tokens: 5, target: 1.0 },
]
  .filter((c) => !only || c.label.includes(only))
  .map((c) => {
    const image = c.tokens === undefined;
    return { ...c, ...(FAMILY_SHAPES[c.model] ? { family: FAMILY_SHAPES[c.model] } : {}), warmup: image || c.depth > 1 ? 2 : 3, steps: quick ? 3 : image ? 5 : 10, minSeconds: quick ? 0.5 : 3, backend };
  });

function findTorchPython() {
  if (flag('--no-torch')) return undefined;
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { py, version: r.stdout.trim() };
  }
  return undefined;
}

/**
 * Both sides at their best on this machine, with the same cores: OpenBLAS picks its own kernel
 * core (some machines here set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for older OpenBLAS builds;
 * they slow a current one down — and repscope's native path loads the same OpenBLAS), and
 * repscope gets the 2 threads PyTorch is given.
 */
function benchEnv(extraEnv) {
  const env = { ...process.env, REPSCOPE_WASM_THREADS: '2', ...extraEnv };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  return env;
}

function runCase(cmd, argv, extraEnv = {}) {
  const env = benchEnv(extraEnv);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 20, timeout: 30 * 60 * 1000, env });
  if (r.status !== 0) return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-1)[0] };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const fmt = (v, digits = 1) => (v === undefined || v === null ? '–' : v.toFixed(digits));
/** A case the backend refused before building it (its memory check): the estimate against the limit. */
const refusedCell = (js) => {
  const m = /needs about ([\d.]+ \w+).*limited to ([\d.]+ \w+)/.exec(js.refused);
  return m ? `refused (needs ~${m[1]}, limit ${m[2]})` : 'refused';
};

const ratioOf = (js, pt) => (js && js.msPerStep && pt && pt.msPerStep ? js.msPerStep / pt.msPerStep : undefined);
const judged = (value, target, fair) => (value === undefined || target === undefined ? '' : !fair ? 'not judged' : value <= target ? '✓' : '✗');
const times = (v) => (v === undefined ? '–' : `${fmt(v, 2)}×`);

function main() {
  const torch = findTorchPython();
  const machine = `${cpuFacts()}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`;
  console.log(`machine: ${machine}`);
  console.log(torch ? `PyTorch ${torch.version} via ${torch.py} (2 threads)` : 'PyTorch: not available (install Debian python3-torch to compare)');
  const loadBefore = os.loadavg()[0];
  const rows = [];
  for (const c of CASES) {
    const paths = runKernelPaths(runCase, [path.join(__dirname, 'tfjs-case.js'), JSON.stringify(c)], backend);
    // The path judged against the targets: the system BLAS when both ran (never XNNPACK in its place).
    const js = paths.single ?? paths.native;
    const pt = torch ? runCase(torch.py, [path.join(__dirname, 'torch_case.py'), JSON.stringify({ ...c, threads: 2 })]) : undefined;
    const row = { ...c, paths, js, pt, ratio: ratioOf(js, pt), xnnpackRatio: ratioOf(paths.xnnpack, pt), rssRatio: !js.refused && js.peakRssMB && pt && pt.peakRssMB ? js.peakRssMB / pt.peakRssMB : undefined };
    rows.push(row);
    const part = (label, r) => (r ? `${label} ${r.error ? 'ERROR ' + r.error : r.refused ? 'REFUSED' : fmt(r.msPerStep).padStart(8) + ' ms'}  ` : '');
    console.log(`${c.label.padEnd(48)} ${part('xnnpack', paths.xnnpack)}${part('native', paths.native)}${part('tfjs', paths.single)}${pt ? `torch ${fmt(pt.msPerStep).padStart(8)} ms  ratio ${times(row.ratio)}` : ''}  rss ${fmt(js.peakRssMB, 0)} MB`);
  }
  const baseline = torch ? torchBaseline(rows.map((r) => r.pt)) : { fair: false, line: 'PyTorch not available.', shown: 'PyTorch not available.' };
  console.log(baseline.shown);
  const backendName = rows.find((r) => r.js.backend)?.js.backend ?? backend;
  const threads = rows.find((r) => r.js.threads)?.js.threads;
  const adapter = rows.find((r) => r.js.adapter)?.js.adapter;
  const nativeKernel = rows.map((r) => r.paths.native?.kernel).find((k) => k && typeof k === 'object');
  const nativeProblem = rows.map((r) => r.paths.native?.error).find(Boolean);
  const twoPaths = rows.some((r) => r.paths.xnnpack);
  const cell = (r) => (!r ? '–' : r.error ? (/REPSCOPE_NATIVE_GEMM=1/.test(r.error) ? 'not run' : 'error') : r.refused ? refusedCell(r) : fmt(r.msPerStep));
  const rss = (r) => (r && r.peakRssMB ? `${fmt(r.peakRssMB, 0)}` : '–');
  const table = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end.`,
    `TF.js backend: ${backendName}${threads ? ` (${threads} threads)` : ''}${adapter ? ` on ${adapter.vendor} ${adapter.architecture}, ${adapter.device}, driver ${adapter.driver}` : ''}${twoPaths ? `; matrix products on XNNPACK and on ${nativeKernel ? describeKernel(nativeKernel) : `the system BLAS (not run: ${nativeProblem ?? 'addon not loaded'})`} on the wasm heap, each case once per path` : ''}.`,
    `${torch ? `PyTorch ${torch.version} CPU, 2 threads, parameters frozen. ${baseline.line}.` : 'PyTorch not available.'}`,
    `Median ms per step (forward to O_l, L1 to a target, input gradient, SGD update); 5-token input; peak RSS (MB) of the case's process. Targets judge the ${twoPaths ? 'native' : 'TF.js'} column: time ≤ the target × PyTorch, peak RSS ≤ ${RSS_TARGET}× PyTorch's.`,
    '',
    twoPaths
      ? '| case | XNNPACK ms | native ms | PyTorch ms | XNNPACK ratio | native ratio | target | RSS XNNPACK | RSS native | RSS PyTorch | RSS ratio ≤ 1.5× |'
      : '| case | TF.js ms | PyTorch ms | ratio | target | RSS TF.js | RSS PyTorch | RSS ratio ≤ 1.5× |',
    twoPaths ? '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|' : '|---|---:|---:|---:|---|---:|---:|---|',
    ...rows.map((r) => {
      const target = r.target === undefined ? 'reported' : `≤ ${r.target}× ${judged(r.ratio, r.target, baseline.fair)}`;
      const rssJudged = r.rssRatio === undefined ? '–' : `${times(r.rssRatio)} ${judged(r.rssRatio, RSS_TARGET, baseline.fair)}`;
      return twoPaths
        ? `| ${r.label} | ${cell(r.paths.xnnpack)} | ${cell(r.paths.native)} | ${fmt(r.pt?.msPerStep)} | ${times(r.xnnpackRatio)} | ${times(r.ratio)} | ${target} | ${rss(r.paths.xnnpack)} | ${rss(r.paths.native)} | ${rss(r.pt)} | ${rssJudged} |`
        : `| ${r.label} | ${cell(r.js)} | ${fmt(r.pt?.msPerStep)} | ${times(r.ratio)} | ${target} | ${rss(r.js)} | ${rss(r.pt)} | ${rssJudged} |`;
    }),
    ...rows.filter((r) => r.js.refused).map((r) => `\n${r.label}, refused by ${backendName}: ${r.js.refused}`),
  ].join('\n');
  const readme = path.join(__dirname, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const begin = '<!-- RESULTS:BEGIN -->';
  const end = '<!-- RESULTS:END -->';
  if (!quick && !only && text.includes(begin) && text.includes(end)) {
    fs.writeFileSync(readme, text.slice(0, text.indexOf(begin) + begin.length) + '\n' + table + '\n' + text.slice(text.indexOf(end)));
    console.log(`\nwrote the table to ${path.relative(process.cwd(), readme)}`);
  } else {
    console.log('\n' + table);
  }
  // `--only training` runs the training case alone; any other --only skips it.
  const trainingFailed = !only || only === 'training' ? require('./train-bench').runTrainingBench({ torch, machine, backend, quick, runCase, baseline }) : false;
  // `--only decoders` runs the decoder rows alone (bench/decoders-bench.js); any other --only skips them.
  const decodersFailed = !only || only === 'decoders' ? require('./decoders-bench').runDecoderBench({ machine, backend, quick }) : false;
  // A native path that could not load is reported ("not run"); any other error on either path fails the bench.
  const failures = rows.filter((r) => r.paths.single?.error || r.paths.xnnpack?.error || (r.paths.native?.error && !/REPSCOPE_NATIVE_GEMM=1/.test(r.paths.native.error)));
  process.exitCode = failures.length || trainingFailed || decodersFailed ? 1 : 0;
  // `--only partial` runs the partial-loading rows alone (bench/partial-load-bench.js: writes and deletes a 1.4 GB checkpoint); any other --only skips them.
  if (!only || only === 'partial') {
    return require('./partial-load-bench')
      .runPartialLoadBench({ machine, backend, quick })
      .then((partialFailed) => {
        if (partialFailed) process.exitCode = 1;
      });
  }
  return undefined;
}

Promise.resolve(main()).catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exitCode = 1;
});
