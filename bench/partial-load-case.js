/*
 * One row of the partial-loading bench (`bench/partial-load-bench.js`), in a fresh process so its
 * peak RSS is its own: `loadModel({ kind: 'gpt2', weights, depth, head: false })` from a local
 * checkpoint folder or an `hf:` reference (HF_ENDPOINT / HF_HUB_CACHE set by the parent), then
 * one forward of 5 tokens.
 *
 *   node bench/partial-load-case.js '{"weights":"/tmp/…","depth":1,"backend":"wasm"}'
 *
 * Prints one JSON line: load seconds (checkpoint check, any download, reading and uploading the
 * kept tensors; the backend is started before the clock), forward ms, RSS before the load, peak
 * RSS (VmHWM) after the load and after the forward, the bytes TF.js holds, and the download
 * reporter's notes.
 */
const fs = require('node:fs');
const { tf } = require('@repscope/core');
const { loadModel, selectBackend, isTokenModel } = require('@repscope/models');

function status(field) {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : undefined;
}

async function main() {
  const c = JSON.parse(process.argv[2]);
  const backend = await selectBackend(c.backend || 'auto');
  const rssBeforeMB = status('VmRSS');
  const notes = [];
  const reporter = { start() {}, advance() {}, finish() {}, note: (line) => notes.push(line) };
  const t0 = performance.now();
  const model = await loadModel({ kind: 'gpt2', weights: c.weights, depth: c.depth, head: Boolean(c.head) }, { backend: c.backend || 'auto', hub: { reporter } });
  const loadSeconds = (performance.now() - t0) / 1000;
  if (!isTokenModel(model)) throw new Error('gpt2 is a token model');
  const tensorMB = tf.memory().numBytes / 2 ** 20;
  // The peak so far is the load's; the forward's first run adds the backend's own copies (XNNPACK packs each weight on wasm).
  const loadPeakMB = status('VmHWM');
  const t1 = performance.now();
  const out = tf.tidy(() => model.forward(model.embed([[464, 2068, 7586, 21831, 18045]])));
  const values = await out.data();
  const forwardMs = performance.now() - t1;
  const finite = values.every(Number.isFinite);
  const shape = out.shape;
  out.dispose();
  model.dispose();
  process.stdout.write(
    JSON.stringify({ loadSeconds, forwardMs, outputShape: shape, finite, peakRssMB: status('VmHWM'), loadPeakMB, rssBeforeMB, tensorMB, backend: backend.name, threads: backend.threads ?? null, notes }) + '\n',
  );
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
