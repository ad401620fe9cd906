import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../util/errors';

/*
 * Matrix products of the wasm backend through the system's optimised BLAS (issue 24): the
 * optional addon @repscope/native-gemm runs cblas_sgemm (OpenBLAS, BLIS or MKL, dlopen'ed at run
 * time) directly on the wasm heap — the tensors' own memory, no copies in or out, which is what
 * made the spike 3.6–9.5× faster than XNNPACK end to end where a copying design reached only
 * 1.9–2.8×. BatchMatMul (every product, and every product's gradient) and _FusedMatMul with a
 * bias and no activation (the models' linear layers) are replaced; anything else — other dtypes,
 * batch shapes that need broadcasting, fused activations — goes to XNNPACK's kernel as before.
 */

interface NativeGemm {
  setThreads?(threads: number): void;
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, b: Float32Array, beta: number, c: Float32Array): void;
  info(): { library: string; corename?: string; threads?: number };
}

interface TensorInfo {
  dataId: unknown;
  shape: number[];
  dtype: string;
}

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: Record<string, unknown> };

/** What the native path is, for the backend line and env.json. */
export interface NativeMatMulInfo {
  library: string;
  core?: string;
  threads?: number;
}

let gemm: NativeGemm | undefined;
const originals = new Map<string, tf.KernelConfig>();
let nativeCalls = 0;

/** How many products the addon has run in this process (so a test can tell the paths apart). */
export function nativeMatMulCalls(): number {
  return nativeCalls;
}

/** The addon, or why it is not there (not built: it needs a compiler and Node's headers at install). */
export function loadNativeGemm(): { gemm: NativeGemm } | { problem: string } {
  if (gemm) return { gemm };
  try {
    gemm = require('@repscope/native-gemm') as NativeGemm;
    gemm.info();
    return { gemm };
  } catch (err) {
    gemm = undefined;
    return { problem: `@repscope/native-gemm not loaded (${errorMessage(err).split('\n')[0]})` };
  }
}

const product = (dims: number[]) => dims.reduce((a, d) => a * d, 1);

/**
 * Below this on any side, XNNPACK's kernel wins: with a handful of rows (a batch-1 sentence, one
 * head's attention) the BLAS call's setup costs more than it saves — measured, GPT-2 small's 12
 * blocks on 5 tokens took 212 ms per step natively against XNNPACK's 135.
 */
export const NATIVE_MIN_SIDE = 16;

/** The batch layout both operands agree on without broadcasting beyond "one of them has none", else undefined. */
function batchLayout(a: TensorInfo, b: TensorInfo): { outBatch: number[]; count: number; strideA: boolean; strideB: boolean } | undefined {
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const na = product(ba);
  const nb = product(bb);
  // The output keeps every batch dim of both, size-1 ones included ([1, n, k]·[k, m] is [1, n, m]).
  if (na === 1 || nb === 1) {
    const outBatch = tf.backend_util.assertAndGetBroadcastShape(ba, bb);
    return na === 1 ? { outBatch, count: nb, strideA: false, strideB: nb > 1 } : { outBatch, count: na, strideA: true, strideB: false };
  }
  if (ba.length === bb.length && ba.every((d, i) => d === bb[i])) return { outBatch: ba, count: na, strideA: true, strideB: true };
  return undefined;
}

/** Whether the wasm backend's products run on the addon now (installed, and wasm is the backend). */
export function nativeMatMulActive(): boolean {
  return originals.size > 0 && tf.getBackend() === 'wasm';
}

/**
 * Whether an m×k by k×n product would run on the addon now (installed, on wasm, large enough), so
 * layers can pick the operand layout that is fast on the kernel that will run it.
 */
export function nativeTakesProduct(m: number, n: number, k: number): boolean {
  return originals.size > 0 && Math.min(m, n, k) >= NATIVE_MIN_SIDE && tf.getBackend() === 'wasm';
}

/** C = op(A)·op(B) on the heap, per batch; undefined when this layout is not ours. */
function nativeProduct(args: KernelArgs): TensorInfo | undefined {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  if (!gemm || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const transposeA = args.attrs?.['transposeA'] === true;
  const transposeB = args.attrs?.['transposeB'] === true;
  const layout = batchLayout(a, b);
  if (!layout) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (Math.min(m, n, k) < NATIVE_MIN_SIDE) return undefined;
  const backend = args.backend as WasmBackend;
  // Allocating the output may grow the heap and detach earlier views: take them after.
  const out = backend.makeOutput([...layout.outBatch, m, n], 'float32');
  const va = backend.typedArrayFromHeap(a);
  const vb = backend.typedArrayFromHeap(b);
  const vc = backend.typedArrayFromHeap(out);
  nativeCalls++;
  for (let i = 0; i < layout.count; i++) {
    const sa = layout.strideA ? va.subarray(i * m * k, (i + 1) * m * k) : va;
    const sb = layout.strideB ? vb.subarray(i * k * n, (i + 1) * k * n) : vb;
    gemm.sgemm(transposeA, transposeB, m, n, k, 1, sa, sb, 0, layout.count === 1 ? vc : vc.subarray(i * m * n, (i + 1) * m * n));
  }
  return out;
}

function batchMatMul(args: KernelArgs): TensorInfo {
  return nativeProduct(args) ?? (originals.get('BatchMatMul')!.kernelFunc(args as never) as TensorInfo);
}

/** The linear layers' product + bias; activations and PReLU weights stay with XNNPACK's fused kernel. */
function fusedMatMul(args: KernelArgs): TensorInfo {
  const bias = args.inputs['bias'];
  const plain = (args.attrs?.['activation'] ?? 'linear') === 'linear' && !args.inputs['preluActivationWeights'];
  const n = (t: TensorInfo) => t.shape[t.shape.length - 1]!;
  const out = plain && (!bias || (bias.dtype === 'float32' && product(bias.shape) === n(bias))) ? nativeProduct(args) : undefined;
  if (!out) return originals.get('_FusedMatMul')!.kernelFunc(args as never) as TensorInfo;
  if (bias) {
    const backend = args.backend as WasmBackend;
    const c = backend.typedArrayFromHeap(out);
    const v = backend.typedArrayFromHeap(bias);
    const width = n(out);
    if (v.length === width) for (let r = 0; r < c.length; r += width) for (let j = 0; j < width; j++) c[r + j]! += v[j]!;
    else if (v.length !== 1) throw new Error(`native _FusedMatMul: bias of ${v.length} values for rows of ${width}`);
    else for (let i = 0; i < c.length; i++) c[i]! += v[0]!;
  }
  return out;
}

const KERNELS: Record<string, (args: KernelArgs) => TensorInfo> = { BatchMatMul: batchMatMul, _FusedMatMul: fusedMatMul };

/** Route the wasm backend's matrix products through the addon; returns what runs them, or why not. */
export function installNativeMatMul(threads?: number): NativeMatMulInfo | { problem: string } {
  const loaded = loadNativeGemm();
  if ('problem' in loaded) return loaded;
  if (threads) loaded.gemm.setThreads?.(threads);
  for (const [name, kernelFunc] of Object.entries(KERNELS)) {
    if (originals.has(name)) continue;
    const original = tf.getKernel(name, 'wasm');
    if (!original) return { problem: `the wasm backend has no ${name} kernel to replace` };
    originals.set(name, original);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  const info = loaded.gemm.info();
  return { library: info.library, ...(info.corename ? { core: info.corename } : {}), ...(info.threads ? { threads: info.threads } : {}) };
}

/** Back to XNNPACK's kernels (the fallback path, and tests comparing the two). */
export function uninstallNativeMatMul(): void {
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  originals.clear();
}

export function describeNativeMatMul(info: NativeMatMulInfo): string {
  return `matrix products: ${info.library}${info.core ? ` (${info.core}${info.threads ? `, ${info.threads} threads` : ''})` : ''} on the wasm heap`;
}
