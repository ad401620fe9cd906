/*
 * Partial loading (issue 22 §1): what `depth: 1` saves against every block on a checkpoint too
 * large to load casually. Writes an untrained GPT-2-medium-shaped checkpoint (24 × 1024, 16 heads,
 * vocabulary 50257, 1024 positions; F32, 1.42 GB) to a temporary folder as a Hugging Face sharded
 * checkpoint — shards cut the way `save_pretrained(max_shard_size="250MB")` cuts them, in
 * state-dict order, so the embeddings open the first shard, block 0 straddles the first two and
 * ln_f closes the last — plus model.safetensors.index.json and config.json. It is written one
 * tensor at a time (a fast PRNG fills a 16 MB buffer at a time): the writer never holds a shard,
 * let alone the model.
 *
 * Then, each in a fresh process (`partial-load-case.js`, so each peak RSS is the row's own):
 * `loadModel({ kind: 'gpt2', weights: DIR, depth, head: false })` for depth 1 and depth 24 and
 * one forward of 5 tokens; and the same through `weights: hf:…` from the mock hub of
 * @repscope/test-support serving the folder from disk (an empty HF_HUB_CACHE each time), where
 * the bytes its CDN sent are counted from its request log. The shards a depth-limited download
 * needs are computed from the index with `tensorFilter` (the rule ensureHubModel applies).
 * Writes its table between the PARTIAL markers of bench/README.md; the checkpoint is deleted at
 * the end, on an error and on Ctrl-C.
 *
 *   node bench/partial-load-bench.js [--backend auto|wasm|cpu|…] [--no-hub] [--keep DIR]
 *
 * Part of `pnpm bench` (`--only partial` runs it alone). `--keep DIR` writes the checkpoint to DIR
 * (or reuses the one there) and leaves it; `--no-hub` skips the download rows.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const { setImmediate } = require('node:timers/promises');
const { GPT2_SIZES, hfGpt2Config, tensorFilter, readSafetensorsHeader, describeNeed } = require('@repscope/models');

/** save_pretrained's default is 5GB; 250MB cuts GPT-2 medium into 6 shards, as a 7B model's 5GB shards cut it into a few. */
const MAX_SHARD_BYTES = 250e6;
const DEPTHS = [1, 24];
const REPO = 'bench/gpt2-medium-shaped';

const fmt = (v, digits = 1) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(digits));
const mb = (bytes) => `${fmt(bytes / 1e6, 0)} MB`;

function vmHwmMB() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : undefined;
}

/** HF GPT2LMHeadModel's state dict, in order (the tied lm_head is not saved, nor the causal-mask buffers). */
function gpt2Tensors(c) {
  const d = c.nEmbd;
  const out = [
    { name: 'transformer.wte.weight', shape: [c.vocabSize, d] },
    { name: 'transformer.wpe.weight', shape: [c.nPositions, d] },
  ];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `transformer.h.${i}.`;
    out.push(
      { name: `${p}ln_1.weight`, shape: [d] },
      { name: `${p}ln_1.bias`, shape: [d] },
      { name: `${p}attn.c_attn.weight`, shape: [d, 3 * d] },
      { name: `${p}attn.c_attn.bias`, shape: [3 * d] },
      { name: `${p}attn.c_proj.weight`, shape: [d, d] },
      { name: `${p}attn.c_proj.bias`, shape: [d] },
      { name: `${p}ln_2.weight`, shape: [d] },
      { name: `${p}ln_2.bias`, shape: [d] },
      { name: `${p}mlp.c_fc.weight`, shape: [d, 4 * d] },
      { name: `${p}mlp.c_fc.bias`, shape: [4 * d] },
      { name: `${p}mlp.c_proj.weight`, shape: [4 * d, d] },
      { name: `${p}mlp.c_proj.bias`, shape: [d] },
    );
  }
  out.push({ name: 'transformer.ln_f.weight', shape: [d] }, { name: 'transformer.ln_f.bias', shape: [d] });
  return out.map((t) => ({ ...t, bytes: 4 * t.shape.reduce((a, b) => a * b, 1) }));
}

/** huggingface_hub's split_state_dict_into_shards: in order, a new shard when the next tensor would pass the limit. */
function splitIntoShards(tensors, maxBytes) {
  const shards = [[]];
  let size = 0;
  for (const t of tensors) {
    if (size + t.bytes > maxBytes && shards[shards.length - 1].length) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(t);
    size += t.bytes;
  }
  const n = String(shards.length).padStart(5, '0');
  return shards.map((list, i) => ({ file: `model-${String(i + 1).padStart(5, '0')}-of-${n}.safetensors`, tensors: list }));
}

/** Uniform in [−0.0346, 0.0346] (standard deviation 0.02, as HF's init), from xorshift32. */
function fillRandom(out, state) {
  let x = state.x;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 4294967296 - 0.5) * 0.0693;
  }
  state.x = x;
}

/** One shard in the safetensors layout (as encodeSafetensors writes it), streamed tensor by tensor. */
async function writeShard(file, tensors, state) {
  const header = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.bytes] };
    offset += t.bytes;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - ((8 + Buffer.byteLength(headerText)) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(headerText)));
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, prefix);
    fs.writeSync(fd, headerText);
    const chunk = new Float32Array(4 << 20);
    for (const t of tensors) {
      const count = t.bytes / 4;
      // Layer norms start at gain 1 and biases at 0, as untrained HF models do; the rest is noise.
      const constant = /\.bias$/.test(t.name) ? 0 : /ln_\w+\.weight$/.test(t.name) ? 1 : undefined;
      for (let done = 0; done < count; ) {
        const n = Math.min(chunk.length, count - done);
        const view = chunk.subarray(0, n);
        if (constant === undefined) fillRandom(view, state);
        else view.fill(constant);
        fs.writeSync(fd, new Uint8Array(view.buffer, 0, n * 4));
        done += n;
        // Let a Ctrl-C in: its handler deletes the folder.
        await setImmediate();
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Write the sharded checkpoint to `dir`; returns the shard list. */
async function writeCheckpoint(dir) {
  const config = GPT2_SIZES.medium;
  const shards = splitIntoShards(gpt2Tensors(config), MAX_SHARD_BYTES);
  const state = { x: 0x9e3779b9 };
  const weightMap = {};
  let total = 0;
  for (const shard of shards) {
    await writeShard(path.join(dir, shard.file), shard.tensors, state);
    for (const t of shard.tensors) {
      weightMap[t.name] = shard.file;
      total += t.bytes;
    }
    // The file reads back as safetensors (the library's own header parser).
    const header = readSafetensorsHeader(path.join(dir, shard.file));
    if (header.entries.size !== shard.tensors.length) throw new Error(`${shard.file}: wrote ${shard.tensors.length} tensors, read ${header.entries.size}`);
  }
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(hfGpt2Config(config), null, 2));
  return shards;
}

/** Shards of the folder's index a download for `need` fetches (ensureHubModel's rule: a shard holding any wanted tensor). */
function shardsFor(dir, need) {
  const map = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')).weight_map;
  const wanted = tensorFilter(need);
  const all = [...new Set(Object.values(map))].sort();
  const needed = new Set(Object.entries(map).filter(([name]) => !wanted || wanted(name)).map(([, shard]) => shard));
  const size = (list) => list.reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
  const list = all.filter((s) => needed.has(s));
  return { needed: list, bytes: size(list), allBytes: size(all), all };
}

/**
 * @repscope/test-support is TypeScript run through ts-jest; the bench is plain Node, so its mock
 * hub is transpiled here (typescript's transpileModule, no type check) and loaded from its own path.
 */
function loadMockHub() {
  const ts = require('typescript');
  const file = path.join(path.dirname(require.resolve('@repscope/test-support/package.json')), 'src', 'mock-hub.ts');
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(outputText, file);
  return m.exports;
}

/** One row in a fresh process; asynchronous, so that the parent serves the mock hub meanwhile and a Ctrl-C reaches its handler. */
let running;
function runCase(c, env = {}) {
  return new Promise((resolve) => {
    const child = (running = spawn(process.execPath, [path.join(__dirname, 'partial-load-case.js'), JSON.stringify(c)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      running = undefined;
      if (code !== 0) return resolve({ error: (err || out || `exit ${code}`).trim().split('\n').slice(-1)[0] });
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

function lscpuModel() {
  const r = spawnSync('lscpu', [], { encoding: 'utf8' });
  const m = r.status === 0 ? /^Model name:\s+(.+)$/m.exec(r.stdout) : null;
  return (m ? m[1] : os.cpus()[0].model).trim();
}

async function runPartialLoadBench({ machine, backend = 'auto', quick = false, hub = true, keep } = {}) {
  machine ??= `${os.cpus().length} × ${lscpuModel()}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`;
  const dir = keep ? path.resolve(keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-partial-bench-'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-partial-hub-'));
  const cleanup = () => {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    running?.kill(signal);
    cleanup();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const loadBefore = os.loadavg()[0];
  const rows = [];
  let writer;
  let mockHub;
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, 'model.safetensors.index.json'))) {
      const t0 = performance.now();
      const shards = await writeCheckpoint(dir);
      writer = { seconds: (performance.now() - t0) / 1000, shards: shards.length, peakRssMB: vmHwmMB() };
      console.log(`wrote ${shards.length} shards (${mb(shardsFor(dir, {}).allBytes)}) to ${dir} in ${fmt(writer.seconds)} s; the writer's peak RSS ${fmt(writer.peakRssMB, 0)} MB`);
    }
    const depths = quick ? [1] : DEPTHS;
    for (const depth of depths) {
      const need = { depth, head: false };
      const shards = shardsFor(dir, need);
      const js = await runCase({ weights: dir, depth, head: false, backend });
      rows.push({ source: 'local folder', depth, need, shards, js, load: os.loadavg()[0] });
      console.log(`local, depth ${String(depth).padStart(2)}: ${js.error ? 'ERROR ' + js.error : `load ${fmt(js.loadSeconds, 2)} s, forward ${fmt(js.forwardMs, 0)} ms, peak RSS ${fmt(js.loadPeakMB, 0)} MB after the load, ${fmt(js.peakRssMB, 0)} MB after the forward, tensors ${fmt(js.tensorMB, 0)} MB`}; a download would fetch ${shards.needed.length}/${shards.all.length} shards, ${mb(shards.bytes)} of ${mb(shards.allBytes)}`);
    }
    if (hub) {
      const { startMockHub, diskCheckpointFiles, commitId } = loadMockHub();
      mockHub = await startMockHub();
      const commit = commitId(REPO);
      mockHub.addRepo(REPO, { refs: { main: commit }, commits: { [commit]: diskCheckpointFiles(dir) } });
      // The mock hashes a disk file once, when first asked about it: do that before the clocks start.
      const files = fs.readdirSync(dir);
      await globalThis.fetch(`${mockHub.url}/api/models/${REPO}/paths-info/main`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ paths: files }) }).then((r) => r.text());
      const sizes = new Map(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).size]));
      for (const depth of depths) {
        const need = { depth, head: false };
        const shards = shardsFor(dir, need);
        const cache = fs.mkdtempSync(path.join(scratch, 'hub-'));
        mockHub.requests.length = 0;
        const js = await runCase({ weights: `hf:${REPO}`, depth, head: false, backend }, { HF_ENDPOINT: mockHub.url, HF_HUB_CACHE: path.join(cache, 'hub'), HF_HOME: cache, HF_TOKEN: '', REPSCOPE_CACHE_DIR: path.join(cache, 'repscope') });
        // The shards the client asked the hub for (its request log), and the bytes its cache holds now.
        const fetched = mockHub.requests.filter((r) => r.method === 'GET' && r.path.includes('/resolve/') && r.path.endsWith('.safetensors')).map((r) => path.basename(r.path));
        const fetchedBytes = fetched.reduce((a, f) => a + sizes.get(f), 0);
        const blobs = path.join(cache, 'hub', `models--${REPO.replace('/', '--')}`, 'blobs');
        const cachedBytes = fs.existsSync(blobs) ? fs.readdirSync(blobs).reduce((a, f) => a + fs.statSync(path.join(blobs, f)).size, 0) : 0;
        fs.rmSync(cache, { recursive: true, force: true });
        rows.push({ source: 'mock hub', depth, need, shards, js, fetched: fetched.sort(), fetchedBytes, cachedBytes, load: os.loadavg()[0] });
        console.log(`hub,   depth ${String(depth).padStart(2)}: ${js.error ? 'ERROR ' + js.error : `fetch + load ${fmt(js.loadSeconds, 2)} s, forward ${fmt(js.forwardMs, 0)} ms, peak RSS ${fmt(js.peakRssMB, 0)} MB`}; fetched ${fetched.length} shards (${fetched.join(', ')}), ${mb(fetchedBytes)}; the cache holds ${mb(cachedBytes)}${js.notes?.length ? ` (${js.notes.join('; ')})` : ''}`);
      }
    }
  } finally {
    if (mockHub) await mockHub.close();
    cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const backendName = rows.find((r) => r.js.backend)?.js.backend ?? backend;
  const threads = rows.find((r) => r.js.threads)?.js.threads;
  const full = (source) => rows.find((r) => r.source === source && r.depth === 24 && !r.js.error)?.js.peakRssMB;
  const text = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end. Command: \`node bench/partial-load-bench.js\`${backend !== 'auto' ? ` --backend ${backend}` : ''}.`,
    `Untrained GPT-2-medium-shaped checkpoint (24 × 1024, 16 heads, vocabulary 50257, 1024 positions; F32), ${rows[0] ? `${rows[0].shards.all.length} shards, ${mb(rows[0].shards.allBytes)}` : ''} cut as save_pretrained(max_shard_size="250MB") cuts them${writer ? ` (written in ${fmt(writer.seconds)} s; the writer's peak RSS ${fmt(writer.peakRssMB, 0)} MB)` : ''}. TF.js backend: ${backendName}${threads ? ` (${threads} threads)` : ''}. Each row is a fresh process: \`loadModel({ kind: 'gpt2', weights, depth, head: false })\` (the backend started before the clock), then one forward of 5 tokens; peak RSS is the process's VmHWM after the load and after the forward (whose first run packs the weights again on wasm); "vs depth 24" compares the latter. RSS and TF.js tensors in MiB (2²⁰ bytes), file sizes in MB (10⁶). "Shards a download needs" is ensureHubModel's rule (\`tensorFilter\`) on the index; the hub rows fetch from the mock hub (serving the folder from disk) into an empty HF_HUB_CACHE; "fetched" is the shards its request log shows the client asking for.`,
    '',
    '| weights | depth | load s | forward ms | RSS before load | peak RSS, load | peak RSS, load + forward | vs depth 24 | TF.js tensors | shards a download needs | bytes | fetched (mock hub) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
    ...rows.map((r) => {
      const needs = `${r.shards.needed.length} of ${r.shards.all.length} (${r.shards.needed.map((s) => s.slice(6, 11).replace(/^0+/, '')).join(', ')})`;
      const bytes = `${mb(r.shards.bytes)} of ${mb(r.shards.allBytes)}`;
      const fetched = r.source === 'mock hub' ? `${r.fetched.length} shards, ${mb(r.fetchedBytes)}` : '–';
      if (r.js.error) return `| ${r.source} | ${r.depth} | error: ${r.js.error} |  |  |  |  |  |  | ${needs} | ${bytes} | ${fetched} |`;
      const ratio = full(r.source) ? `${fmt((100 * r.js.peakRssMB) / full(r.source), 0)} %` : '–';
      return `| ${r.source} | ${r.depth} (${describeNeed(r.need)}) | ${fmt(r.js.loadSeconds, 2)} | ${fmt(r.js.forwardMs, 0)} | ${fmt(r.js.rssBeforeMB, 0)} MB | ${fmt(r.js.loadPeakMB, 0)} MB | ${fmt(r.js.peakRssMB, 0)} MB | ${ratio} | ${fmt(r.js.tensorMB, 0)} MB | ${needs} | ${bytes} | ${fetched} |`;
    }),
  ].join('\n');
  const readme = path.join(__dirname, 'README.md');
  const current = fs.readFileSync(readme, 'utf8');
  const begin = '<!-- PARTIAL:BEGIN -->';
  const end = '<!-- PARTIAL:END -->';
  if (!quick && current.includes(begin) && current.includes(end)) {
    fs.writeFileSync(readme, current.slice(0, current.indexOf(begin) + begin.length) + '\n' + text + '\n' + current.slice(current.indexOf(end)));
    console.log(`\n${text}\n\nwrote the partial-loading table to ${path.relative(process.cwd(), readme)}`);
  } else {
    console.log('\n' + text);
  }
  return rows.some((r) => r.js.error || !r.js.finite);
}

module.exports = { runPartialLoadBench };

if (require.main === module) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  runPartialLoadBench({ backend: option('--backend', 'auto'), quick: args.includes('--quick'), hub: !args.includes('--no-hub'), keep: option('--keep', undefined) }).then(
    (failed) => (process.exitCode = failed ? 1 : 0),
    (err) => {
      console.error(err && err.stack ? err.stack : err);
      process.exitCode = 1;
    },
  );
}
