import * as tf from '@tensorflow/tfjs';
import { installNativeMatMul, loadNativeGemm, nativeMatMulCalls, uninstallNativeMatMul } from '../native-matmul';

/*
 * Shared by the native-path suites: whether the addon is here, and a run of the same computation
 * on XNNPACK's kernels and then on the system BLAS.
 */
const loaded = loadNativeGemm();
export const nativeProblem = 'problem' in loaded ? loaded.problem : undefined;

/**
 * Under CI the addon must have built (.ci/run installs a compiler and OpenBLAS): a suite that
 * skipped there would let a silent fallback pass for the native path. Elsewhere a skip says why.
 */
export function describeNative(title: string, body: () => void): void {
  if (!nativeProblem) return describe(title, body);
  if (process.env['CI'] === 'true') {
    return describe(title, () => {
      test('the native addon loaded (CI builds it)', () => {
        throw new Error(`${nativeProblem}: .ci/run installs build tools and libopenblas0-pthread so that the install builds @repscope/native-gemm`);
      });
    });
  }
  // The reason goes in the name: a skipped suite's console output is not shown.
  describe.skip(`${title} (skipped: ${nativeProblem}; build it with npm_config_nodedir=/usr pnpm --filter @repscope/native-gemm run build:native)`, body);
}

/** Whether two runs gave the same bits (jest's toEqual walks element by element: minutes for a 29M-value logits tensor). */
export function bitIdentical(a: Float32Array[], b: Float32Array[]): boolean {
  const bytes = (t: Float32Array) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  return a.length === b.length && a.every((t, i) => bytes(t).equals(bytes(b[i]!)));
}

export interface BothPaths {
  /** Output shapes on each path (values alone would not show a dropped size-1 dim). */
  shapes: { xnnpack: number[][]; native: number[][] };
  xnnpack: Float32Array[];
  native: Float32Array[];
  /** The native path run a second time: bit-identical to `native` on one path. */
  again: Float32Array[];
  nativeCalls: number;
}

/** `fn`'s outputs with XNNPACK's kernels, then twice with the native ones (the native path is left installed). */
export function bothPaths(fn: () => tf.Tensor[]): BothPaths {
  uninstallNativeMatMul();
  const before = nativeMatMulCalls();
  let shapes: number[][] = [];
  const run = () => {
    const outs = fn();
    shapes = outs.map((t) => t.shape);
    const values = outs.map((t) => t.dataSync().slice() as Float32Array);
    tf.dispose(outs);
    return values;
  };
  const xnnpack = run();
  const xnnpackShapes = shapes;
  if (nativeMatMulCalls() !== before) throw new Error('the native kernel ran while uninstalled');
  const info = installNativeMatMul();
  if ('problem' in info) throw new Error(info.problem);
  const native = run();
  const nativeShapes = shapes;
  const nativeCalls = nativeMatMulCalls() - before;
  return { shapes: { xnnpack: xnnpackShapes, native: nativeShapes }, xnnpack, native, again: run(), nativeCalls };
}
