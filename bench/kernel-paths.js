/*
 * What an honest CPU comparison must print and hold fixed (issue 24): the CPU and the flags that
 * decide its kernels, which BLAS PyTorch loaded and which core OpenBLAS picked, and — on wasm —
 * both of repscope's kernel paths for the matrix products, XNNPACK and the system BLAS, measured
 * in the same run. A PyTorch on a reference BLAS or a forced core is no baseline: its ratios are
 * printed in red and not judged.
 */
const fs = require('node:fs');
const os = require('node:os');

const RED = (s) => `\x1b[31m${s}\x1b[0m`;

/** CPU model, core count and the SIMD flags that choose BLAS kernels. */
function cpuFacts() {
  let flags = [];
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    flags = line ? line.split(':')[1].trim().split(/\s+/) : [];
  } catch {
    // not Linux: flags unknown
  }
  const simd = ['avx2', 'fma', 'avx512f', 'avx512_bf16', 'amx_tile'].filter((f) => flags.includes(f));
  return `${os.cpus().length} × ${os.cpus()[0].model.trim()} (${simd.length ? simd.join(', ') : 'no AVX2'})`;
}

/** Whether PyTorch's numbers are a fair baseline, and a line saying which BLAS and core it ran (`shown`: red when unfair). */
function torchBaseline(results) {
  const pt = results.find((r) => r && (r.blas || r.openblasCore));
  if (!pt) return { fair: false, line: 'PyTorch: no BLAS information', shown: 'PyTorch: no BLAS information' };
  const optimised = /openblas|mkl|blis/i.test(pt.blas ?? '');
  const forced = results.map((r) => r && r.forcedCore).find(Boolean);
  const line = `PyTorch BLAS: ${pt.blas ?? 'unknown'}; OpenBLAS core ${pt.openblasCore ?? 'n/a'}${forced ? ` FORCED by OPENBLAS_CORETYPE=${forced}` : ' (its own choice: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for PyTorch)'}`;
  if (forced || !optimised) {
    const unfair = `${line} — not an optimised baseline: ratios not judged`;
    return { fair: false, line: unfair, shown: RED(unfair) };
  }
  return { fair: true, line, shown: line };
}

/**
 * The TF.js case on each kernel path the backend has. wasm (or auto landing on wasm): XNNPACK
 * (REPSCOPE_NATIVE_GEMM=0) and the system BLAS (=1, which refuses to start without the addon, so
 * a silent fallback cannot be timed as native). Other backends: one run.
 */
function runKernelPaths(runCase, argv, backend) {
  if (!['wasm', 'auto'].includes(backend)) return { single: runCase(process.execPath, argv) };
  const xnnpack = runCase(process.execPath, argv, { REPSCOPE_NATIVE_GEMM: '0' });
  if (xnnpack.backend && xnnpack.backend !== 'wasm') return { single: xnnpack };
  const native = runCase(process.execPath, argv, { REPSCOPE_NATIVE_GEMM: '1' });
  return { xnnpack, native };
}

/** "libopenblas.so.0 (SkylakeX, 2 threads)" or XNNPACK, from a case's reported kernel path. */
function describeKernel(kernel) {
  if (!kernel || typeof kernel === 'string') return kernel || 'XNNPACK';
  return `${kernel.library}${kernel.core ? ` (${kernel.core}${kernel.threads ? `, ${kernel.threads} threads` : ''})` : ''}`;
}

module.exports = { cpuFacts, torchBaseline, runKernelPaths, describeKernel };
