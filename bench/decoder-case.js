/*
 * One row of the decoder bench (`bench/decoders-bench.js`), in a fresh process so its peak
 * memory is its own: a random N(0, 0.02) float32 token embedding W [vocab, d], one decoder built
 * on it (setup time), then decodes of 1 and 16 positions with k = 1 and k = 10, and optionally
 * one decode of many rows (`many: {batch, positions, k}`).
 *
 *   node --expose-gc bench/decoder-case.js '{"vocab":262144,"d":640,"decoder":"pinv","backend":"wasm"}'
 *
 * Memory is read from /proc/self/status: VmRSS with W alone, then VmHWM (peak) over the setup
 * and over the decodes, each reset before its phase (writing 5 to /proc/self/clear_refs), so
 * a phase's peak is not hidden by the peak of making W. `decodersFrom` (a folder holding another
 * build of packages/models/src/decode) times that build instead, for an A/B against an older tree.
 */
const fs = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');
const { tf } = require('@repscope/core');
const { selectBackend, createBuiltinRegistries } = require('@repscope/core/testing');

function status(field) {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
  return m ? Number(m[1]) / 1024 : undefined;
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where that is not allowed. */
function resetPeak() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Collects garbage and waits a moment: V8 frees large ArrayBuffer backing stores after the GC itself. */
async function settle() {
  for (let i = 0; i < 2; i++) {
    if (global.gc) global.gc();
    await sleep(50);
  }
}

/** mulberry32 + Box–Muller: the same W for a seed on every backend, without tfjs's one-shot [V, d] random op. */
function randomEmbedding(vocab, d, seed, sd) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const w = new Float32Array(vocab * d);
  for (let i = 0; i < w.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next() + 1e-12)) * sd;
    const th = 2 * Math.PI * next();
    w[i] = r * Math.cos(th);
    if (i + 1 < w.length) w[i + 1] = r * Math.sin(th);
  }
  return w;
}

/** The part of a TokenModel a decoder reads: W_E, zero position embeddings, an identity for the caches. */
function embeddingOnlyModel(w, vocab, d, id) {
  return {
    kind: 'bench-embedding',
    inputSpace: 'embeddings',
    vocabSize: vocab,
    dModel: d,
    maxPositions: 1 << 20,
    embeddingId: id,
    tokenizer: undefined,
    tokenEmbeddingMatrix: () => w,
    positionEmbeddings: (n) => tf.zeros([n, d]),
  };
}

async function timeIt(fn, reps, minMs) {
  await fn(); // warm-up: kernel set-up, XNNPACK operator creation
  const times = [];
  const deadline = performance.now() + minMs;
  while (times.length < reps || (performance.now() < deadline && times.length < 20)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

async function main() {
  const c = JSON.parse(process.argv[2]);
  const backend = await selectBackend(c.backend);
  const peakResettable = resetPeak();
  let values = randomEmbedding(c.vocab, c.d, c.seed ?? 1, 0.02);
  const w = tf.tensor2d(values, [c.vocab, c.d]);
  const model = embeddingOnlyModel(w, c.vocab, c.d, `bench:${c.vocab}x${c.d}:${c.seed ?? 1}`);
  // Inputs: rows of W plus noise 0.1·σ, so every decoder should recover the ids.
  const rng = { s: 12345 };
  const nextId = () => (rng.s = (Math.imul(rng.s, 1103515245) + 12345) >>> 0) % c.vocab;
  const inputs = {};
  for (const n of c.positions ?? [1, 16]) {
    const ids = Array.from({ length: n }, nextId);
    const x = new Float32Array(n * c.d);
    for (let t = 0; t < n; t++) for (let j = 0; j < c.d; j++) x[t * c.d + j] = values[ids[t] * c.d + j] + 0.002 * Math.sin(7 * t + j);
    inputs[n] = { ids, tensor: tf.tensor3d(x, [1, n, c.d]) };
  }
  let many;
  if (c.many) {
    const rows = c.many.batch * c.many.positions;
    const ids = Array.from({ length: rows }, nextId);
    const x = new Float32Array(rows * c.d);
    for (let t = 0; t < rows; t++) for (let j = 0; j < c.d; j++) x[t * c.d + j] = values[ids[t] * c.d + j] + 0.002 * Math.sin(7 * t + j);
    many = { ids, tensor: tf.tensor3d(x, [c.many.batch, c.many.positions, c.d]) };
  }
  values = undefined; // the baseline is W as the backend holds it, not this host copy too
  const out = { backend: backend.name, threads: backend.threads ?? null, peakResettable };
  await settle();
  out.peakMakingWMB = status('VmHWM');
  out.rssWithWMB = status('VmRSS');
  resetPeak();

  const kind = c.decodersFrom
    ? require(require('node:path').resolve(c.decodersFrom, 'builtin-decoder-kinds.js')).BUILTIN_DECODERS.find((k) => k.name === c.decoder)
    : createBuiltinRegistries().decoders.get(c.decoder);
  let t0 = performance.now();
  const decoder = await kind.create(model);
  out.setupMs = performance.now() - t0;
  out.setupPeakMB = status('VmHWM');
  await settle();
  out.rssAfterSetupMB = status('VmRSS');
  if (c.setupOnly) {
    decoder.dispose();
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(0);
  }
  resetPeak();
  out.decode = [];
  for (const n of Object.keys(inputs).map(Number)) {
    for (const k of c.ks ?? [1, 10]) {
      const { ids, tensor } = inputs[n];
      let result;
      const ms = await timeIt(
        async () => {
          result = await decoder.decode(tensor, k);
        },
        c.reps ?? 3,
        c.minMs ?? 1500,
      );
      const recovered = result.ids[0].filter((id, t) => id === ids[t]).length / n;
      out.decode.push({ positions: n, k, ms, recovered, listed: result.topK[0][0].length });
    }
  }
  out.decodePeakMB = status('VmHWM');
  if (many) {
    // One decode of many rows, without warm-up (it is long): its time and its own peak.
    resetPeak();
    const t1 = performance.now();
    const result = await decoder.decode(many.tensor, c.many.k);
    const ms = performance.now() - t1;
    const flat = result.ids.flat();
    out.many = { ms, peakMB: status('VmHWM'), recovered: flat.filter((id, t) => id === many.ids[t]).length / flat.length };
  }
  decoder.dispose();
  out.tensorsLeft = tf.memory().numTensors;
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
