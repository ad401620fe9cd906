import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { UserFacingError, errorMessage } from '../util/errors';
import { activateThreadedWasm, requestedWasmThreads } from './wasm-threads';
import { describeNativeMatMul, installNativeMatMul, NativeMatMulInfo } from './native-matmul';
import { describeGpuAdapter, explainSyncReads, failReadsAfterGpuErrors, GpuAdapterInfo, installWebGpu, linuxHasGpuDevice, probeGpuAdapter } from './webgpu';

export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
type ConcreteBackend = Exclude<BackendChoice, 'auto'>;

export interface BackendInfo {
  /** The config name of the backend in use (tensorflow-gpu | webgpu | tensorflow | wasm | cpu). */
  name: ConcreteBackend;
  /** tfjs's own backend name (`tensorflow` for both native packages). */
  tfName: string;
  version: string;
  /** Why better choices were not used, for the one-line notice. */
  skipped: { name: ConcreteBackend; reason: string }[];
  /** Worker threads the backend uses (wasm), when known. */
  threads?: number;
  /** The GPU adapter (webgpu). */
  adapter?: GpuAdapterInfo;
  /** wasm: the BLAS that runs its matrix products, or why XNNPACK runs them. */
  nativeMatMul?: NativeMatMulInfo | { problem: string };
}

const AUTO_ORDER: ConcreteBackend[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];
const NATIVE_PACKAGE: Record<string, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

let active: BackendInfo | undefined;

export class BackendUnavailableError extends UserFacingError {
  constructor(name: string, reason: string) {
    super(`backend "${name}" is not available: ${reason}`, 'E_BACKEND_UNAVAILABLE', 2);
  }
}

/**
 * The native packages are optional dependencies: without internet their install script
 * cannot fetch libtensorflow and the package is left without its binding. Look for the
 * binding file before `require`, because a failed require leaves half-registered kernels
 * behind and prints a screen of warnings.
 */
function nativeBindingProblem(pkg: string): string | undefined {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    return 'package not installed';
  }
  const libDir = path.join(path.dirname(pkgJson), 'lib');
  const hasBinding =
    fs.existsSync(libDir) &&
    fs.readdirSync(libDir).some((d) => d.startsWith('napi-v') && fs.existsSync(path.join(libDir, d, 'tfjs_binding.node')));
  return hasBinding ? undefined : 'native library not installed (its download needs internet at install time)';
}

/**
 * WebGPU through Dawn. `auto` takes it only on a hardware adapter: a software one (lavapipe)
 * is slower than wasm on the same CPU, so it is used only when asked for by name.
 */
async function activateWebGpu(explicit: boolean): Promise<string | undefined> {
  if (!explicit && !linuxHasGpuDevice()) return 'no GPU device (/dev/dri/renderD*, /dev/nvidia0); choose backend webgpu by name for a software adapter';
  const probe = await probeGpuAdapter();
  if ('problem' in probe) return probe.problem;
  if (probe.adapter.software && !explicit) return `only a software adapter (${describeGpuAdapter(probe.adapter)}); choose backend webgpu by name to use it`;
  installWebGpu();
  tf.env().set('PROD', true);
  if (!(await tf.setBackend('webgpu'))) return 'the WebGPU backend failed to initialise';
  await tf.ready();
  if (!syncReadsExplained) {
    explainSyncReads(tf.backend() as unknown as { readSync(dataId: unknown): unknown });
    failReadsAfterGpuErrors(tf.backend() as unknown as Parameters<typeof failReadsAfterGpuErrors>[0]);
  }
  syncReadsExplained = true;
  gpuAdapter = probe.adapter;
  return undefined;
}

async function tryActivate(name: ConcreteBackend, explicit: boolean): Promise<string | undefined> {
  try {
    if (name === 'webgpu') return await activateWebGpu(explicit);
    if (name === 'tensorflow-gpu' || name === 'tensorflow') {
      const pkg = NATIVE_PACKAGE[name]!;
      const problem = nativeBindingProblem(pkg);
      if (problem) return problem;
      require(pkg);
      const ok = await tf.setBackend('tensorflow');
      return ok ? undefined : 'the native backend failed to initialise';
    }
    // PROD silences tfjs's console advice (we print our own backend line) and skips debug checks.
    tf.env().set('PROD', true);
    if (name === 'wasm' && requestedWasmThreads() > 1 && !wasmInitialised) {
      wasmInitialised = true;
      try {
        wasmThreadCount = await activateThreadedWasm(requestedWasmThreads());
        return undefined;
      } catch (err) {
        wasmThreadNote = `threads unavailable (${errorMessage(err).split('\n')[0]}); using 1`;
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      }
    }
    const ok = await tf.setBackend(name);
    if (name === 'wasm') wasmInitialised = true;
    if (!ok) return 'failed to initialise';
    await tf.ready();
    return undefined;
  } catch (err) {
    return errorMessage(err).split('\n')[0];
  }
}

function versionOf(name: ConcreteBackend): string {
  const pkg = name === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : name === 'webgpu' ? '@tensorflow/tfjs-backend-webgpu' : name === 'cpu' ? '@tensorflow/tfjs' : NATIVE_PACKAGE[name]!;
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Pick and activate a TF.js backend. `auto` takes the best that works, in the order
 * tensorflow-gpu → webgpu (hardware adapter) → tensorflow → wasm → cpu; an explicit choice that cannot start is an error.
 * Selection happens once per process (tfjs has one global engine).
 */
export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (active && (choice === 'auto' || choice === active.name)) {
    if (tf.getBackend() !== active.tfName) await tf.setBackend(active.tfName);
    return active;
  }
  const candidates = choice === 'auto' ? AUTO_ORDER : [choice];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of candidates) {
    const problem = await tryActivate(name, choice !== 'auto');
    if (problem === undefined) {
      const nativeMatMul = name === 'wasm' ? nativeMatMulFor(process.env['REPSCOPE_NATIVE_GEMM'], wasmThreadCount) : undefined;
      active = { name, tfName: tf.getBackend(), version: versionOf(name), skipped, threads: wasmThreads(name), ...(name === 'webgpu' && gpuAdapter ? { adapter: gpuAdapter } : {}), ...(nativeMatMul ? { nativeMatMul } : {}) };
      return active;
    }
    skipped.push({ name, reason: problem });
  }
  const last = skipped[skipped.length - 1]!;
  throw new BackendUnavailableError(last.name, last.reason);
}

/**
 * The wasm backend's matrix products run through the system BLAS whenever the optional addon
 * built at install and finds one (3.6–9.5× XNNPACK on the compute-bound products, issue 24).
 * REPSCOPE_NATIVE_GEMM=0 keeps XNNPACK; =1 makes the native path required, so a benchmark or CI
 * cannot silently measure the fallback. The BLAS gets as many threads as wasm (a sweep's
 * `--jobs` shares the cores out): OpenBLAS threads spin while they wait, so more threads than
 * cores would slow every job down.
 */
function nativeMatMulFor(setting: string | undefined, threads: number): BackendInfo['nativeMatMul'] {
  if (setting !== undefined && setting !== '' && setting !== '0' && setting !== '1') {
    throw new BackendUnavailableError('wasm', `REPSCOPE_NATIVE_GEMM=${JSON.stringify(setting).slice(0, 40)}: expected 0 (XNNPACK), 1 (the system BLAS, required) or unset (the BLAS when the addon loads)`);
  }
  if (setting === '0') return { problem: 'REPSCOPE_NATIVE_GEMM=0' };
  const installed = installNativeMatMul(threads);
  if ('problem' in installed && setting === '1') throw new BackendUnavailableError('wasm', `REPSCOPE_NATIVE_GEMM=1 asks for native matrix products, but ${installed.problem}`);
  return installed;
}

let gpuAdapter: GpuAdapterInfo | undefined;
let syncReadsExplained = false;
let wasmInitialised = false;
let wasmThreadCount = 1;
let wasmThreadNote: string | undefined;

function wasmThreads(name: ConcreteBackend): number | undefined {
  return name === 'wasm' ? wasmThreadCount : undefined;
}

/** One line for the console: which backend runs and why the better ones do not. */
export function describeBackend(info: BackendInfo): string {
  const why = info.skipped.length ? ` (${info.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : '';
  const threads = info.threads !== undefined ? `, ${info.threads} thread${info.threads === 1 ? '' : 's'}${wasmThreadNote ? ` (${wasmThreadNote})` : ''}` : '';
  const adapter = info.adapter ? ` on ${describeGpuAdapter(info.adapter)}` : '';
  const native = !info.nativeMatMul ? '' : 'problem' in info.nativeMatMul ? `; matrix products: XNNPACK (${info.nativeMatMul.problem})` : `; ${describeNativeMatMul(info.nativeMatMul)}`;
  return `backend: ${info.name} ${info.version}${adapter}${threads}${native}${why}`;
}
