'use strict';
/*
 * Spike for issue 24 §2: the three products of the issue, timed from JS on
 *   (a) tf.matMul on the wasm backend (XNNPACK, threaded SIMD, threads as repscope sets them) + dataSync
 *   (b) the addon on Float32Arrays (pure GEMM, no copies)
 *   (c) the addon as a first TF.js kernel would use it: dataSync() both inputs out of wasm tensors,
 *       GEMM into a new Float32Array, tf.tensor() the result back into wasm (+ dataSync, like (a))
 *   (d) the addon in place on wasm memory: a BatchMatMul kernel registered for the wasm backend that
 *       passes Float32Array views on the backend's WebAssembly.Memory (inputs and an output made with
 *       backend.makeOutput) to the addon — tf.matMul goes through the engine as usual (+ dataSync)
 * and checks parity (max|a−b| / max|ref| ≤ 1e-5 against tf.matMul) and bit-identity run to run.
 *
 *   node spike/spike.js [--reps N] [--shapes 0,1,2] [--json out.json]   (--shapes 3,4: the LM head in repscope's layout, and as x·Wᵀ)
 */
const os = require('node:os');
const { tf, gemm, startThreadedWasm } = require('./setup');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const REPS = Number(opt('reps', '7'));
const SHAPES = [
  { name: 'ViT QKV 197 × 768 × 2304', M: 197, K: 768, N: 2304 },
  { name: 'LM head, 16 restarts 80 × 768 × 50257', M: 80, K: 768, N: 50257 },
  { name: 'training head 2048 × 256 × 50257', M: 2048, K: 256, N: 50257 },
  // not in the default set: the LM head as repscope's TransposedFrozenLinear computes it, W [V, d] · xᵀ [d, rows]
  { name: 'LM head as repscope lays it out 50257 × 768 × 80', M: 50257, K: 768, N: 80 },
  // and the same head as x · Wᵀ (B = W stored [V, d], transposeB): the [rows, V] output repscope transposes to
  { name: 'LM head as x·Wᵀ (transposeB) 80 × 768 × 50257', M: 80, K: 768, N: 50257, transB: true },
].filter((_, i) => opt('shapes', '0,1,2').split(',').map(Number).includes(i));


/* ---- (d): a BatchMatMul kernel for the wasm backend that runs the addon on the heap in place ---- */
let originalBatchMatMul;
function installNativeKernel() {
  originalBatchMatMul = tf.getKernel('BatchMatMul', 'wasm');
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs;
      const { transposeA, transposeB } = attrs;
      if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error('spike kernel: float32 only');
      const ra = a.shape.length, rb = b.shape.length;
      const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      if (batchA !== batchB && batchB !== 1 && batchA !== 1) throw new Error('spike kernel: batch broadcast beyond 1 not handled');
      const batch = Math.max(batchA, batchB);
      const outShape = [...(batchA >= batchB ? a.shape : b.shape).slice(0, -2), M, N];
      const out = backend.makeOutput(outShape, 'float32'); // may grow the heap: take views after it
      const va = backend.typedArrayFromHeap(a);
      const vb = backend.typedArrayFromHeap(b);
      const vc = backend.typedArrayFromHeap(out);
      for (let i = 0; i < batch; i++) {
        const sa = batchA === 1 ? va : va.subarray(i * M * K, (i + 1) * M * K);
        const sb = batchB === 1 ? vb : vb.subarray(i * K * N, (i + 1) * K * N);
        gemm.sgemm(transposeA, transposeB, M, N, K, 1, sa, sb, 0, batch === 1 ? vc : vc.subarray(i * M * N, (i + 1) * M * N));
      }
      return out;
    },
  });
}
function removeNativeKernel() {
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(originalBatchMatMul);
}

/* ---- helpers ---- */
function randomArray(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}
function relativeError(actual, expected) {
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (d > maxDiff || Number.isNaN(d)) maxDiff = d;
    const r = Math.abs(expected[i]);
    if (r > maxRef) maxRef = r;
  }
  return maxDiff / maxRef;
}
function bitIdentical(x, y) {
  return Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
}
function time(fn, reps) {
  fn(); // warm-up (heap growth, packing buffers, thread pools)
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((x, y) => x - y);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0], max: ms[ms.length - 1], all: ms.map((x) => +x.toFixed(2)) };
}

async function main() {
  const threads = await startThreadedWasm();
  const info = gemm.info();
  console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()} (threaded SIMD, ${threads} threads)`);
  console.log(`addon BLAS: ${info.library} (${info.symbol}), OpenBLAS core ${info.corename}, ${info.threads} threads`);
  console.log(`OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} OPENBLAS_L2_SIZE=${process.env.OPENBLAS_L2_SIZE ?? '(unset)'}; ${os.cpus().length} CPUs: ${os.cpus()[0].model}; reps ${REPS} after 1 warm-up`);
  const results = [];
  for (const { name, M, K, N, transB = false } of SHAPES) {
    const reps = M * N > 50e6 ? Math.max(3, Math.min(REPS, 5)) : REPS;
    const gflop = (2 * M * K * N) / 1e9;
    const A = randomArray(M * K, 1), B = randomArray(K * N, 2);
    const ta = tf.tensor2d(A, [M, K]), tb = tf.tensor2d(B, transB ? [N, K] : [K, N]);
    const row = { name, M, K, N, gflop, reps, times: {}, checks: {} };
    console.log(`\n${name}  (${gflop.toFixed(3)} GFLOP, ${reps} reps)`);
    const report = (key, label, t) => {
      row.times[key] = t;
      console.log(`  ${label.padEnd(58)} ${t.median.toFixed(2).padStart(9)} ms  [${t.min.toFixed(2)} – ${t.max.toFixed(2)}]  ${(gflop / (t.median / 1e3)).toFixed(1)} GFLOP/s`);
    };

    // (a) XNNPACK: tensor only, and with the read-back (the measure)
    report('a_tensor', '(a) tf.matMul wasm/XNNPACK, output tensor only', time(() => tf.matMul(ta, tb, false, transB).dispose(), reps));
    report('a', '(a) tf.matMul wasm/XNNPACK + dataSync', time(() => {
      const c = tf.matMul(ta, tb, false, transB);
      c.dataSync();
      c.dispose();
    }, reps));
    const cRefT = tf.matMul(ta, tb, false, transB);
    const ref = cRefT.dataSync();
    cRefT.dispose();

    // (b) pure GEMM on Float32Arrays
    const C1 = new Float32Array(M * N), C2 = new Float32Array(M * N);
    report('b', '(b) addon sgemm on Float32Arrays (no copies)', time(() => gemm.sgemm(false, transB, M, N, K, 1, A, B, 0, C1), reps));
    gemm.sgemm(false, transB, M, N, K, 1, A, B, 0, C2);
    row.checks.relErrVsWasm = relativeError(C1, ref);
    row.checks.bitIdenticalRunToRun = bitIdentical(C1, C2);

    // (c) first kernel design: copy inputs out, GEMM, copy the output in (+ read-back like (a))
    const firstDesign = (readBack) => () => {
      const a = ta.dataSync(), b = tb.dataSync();
      const c = new Float32Array(M * N);
      gemm.sgemm(false, transB, M, N, K, 1, a, b, 0, c);
      const t = tf.tensor2d(c, [M, N]);
      if (readBack) t.dataSync();
      t.dispose();
    };
    report('c_tensor', '(c) addon with copies (dataSync in, tf.tensor out)', time(firstDesign(false), reps));
    report('c', '(c) addon with copies + dataSync', time(firstDesign(true), reps));
    // copy costs alone, to show where (c) loses time
    report('copy_in', '    copies alone: dataSync of A and B', time(() => { ta.dataSync(); tb.dataSync(); }, reps));
    report('copy_out', '    copies alone: tf.tensor(C) + dispose', time(() => tf.tensor2d(C2, [M, N]).dispose(), reps));

    // (d) in place on the wasm heap through a registered BatchMatMul kernel
    installNativeKernel();
    try {
      report('d_tensor', '(d) tf.matMul, native kernel in place on wasm heap', time(() => tf.matMul(ta, tb, false, transB).dispose(), reps));
      report('d', '(d) tf.matMul, native kernel in place + dataSync', time(() => {
        const c = tf.matMul(ta, tb, false, transB);
        c.dataSync();
        c.dispose();
      }, reps));
      const d1 = tf.matMul(ta, tb, false, transB), d2 = tf.matMul(ta, tb, false, transB);
      const v1 = d1.dataSync(), v2 = d2.dataSync();
      row.checks.inPlaceRelErrVsWasm = relativeError(v1, ref);
      row.checks.inPlaceBitIdenticalRunToRun = bitIdentical(v1, v2);
      row.checks.inPlaceBitIdenticalToB = bitIdentical(v1, C1);
      d1.dispose();
      d2.dispose();
    } finally {
      removeNativeKernel();
    }
    console.log(`  parity: addon vs tf.matMul ${row.checks.relErrVsWasm.toExponential(2)}, in place ${row.checks.inPlaceRelErrVsWasm.toExponential(2)} (max|Δ|/max|ref|, limit 1e-5); ` +
      `bit-identical run to run: ${row.checks.bitIdenticalRunToRun} / in place ${row.checks.inPlaceBitIdenticalRunToRun}; in place == Float32Array path: ${row.checks.inPlaceBitIdenticalToB}`);
    const t = row.times;
    console.log(`  speed-up vs (a): pure ${(t.a.median / t.b.median).toFixed(2)}×, with copies ${(t.a.median / t.c.median).toFixed(2)}×, in place ${(t.a.median / t.d.median).toFixed(2)}× ` +
      `(tensor only: copies ${(t.a_tensor.median / t.c_tensor.median).toFixed(2)}×, in place ${(t.a_tensor.median / t.d_tensor.median).toFixed(2)}×)`);
    ta.dispose();
    tb.dispose();
    results.push(row);
  }
  const out = opt('json');
  if (out) require('node:fs').writeFileSync(out, JSON.stringify({ threads, blas: info, tfjs: tf.version.tfjs, results }, null, 2));
  const ok = results.every((r) => r.checks.relErrVsWasm <= 1e-5 && r.checks.inPlaceRelErrVsWasm <= 1e-5 && r.checks.bitIdenticalRunToRun && r.checks.inPlaceBitIdenticalRunToRun);
  console.log(`\nchecks ${ok ? 'passed' : 'FAILED'}`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
