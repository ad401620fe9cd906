import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { errorMessage, UserFacingError } from '../util/errors';
import { copyRowsOverBindingLimit } from './webgpu-row-copies';

/** What env.json and the backend line record about the WebGPU adapter. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  /** Dawn's description: the driver and its version (e.g. "llvmpipe: Mesa 25.0.7 …"). */
  driver: string;
  /** A software rasteriser (lavapipe, SwiftShader, WARP): used only when asked for by name. */
  software: boolean;
  /** The limits that decide which tensors fit (bytes, or counts): what a GPU check prints. */
  limits?: Record<string, number>;
}

/** The adapter limits repscope's shapes run into (GPT-2's embedding is 147 MiB in F32; WebGPU's default binding limit is 128 MiB). */
const REPORTED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension'];

interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  limits?: Record<string, unknown>;
}
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: string; forceFallbackAdapter?: boolean }): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

let dawn: { gpu: DawnGpu; globals: Record<string, unknown> } | undefined;

/**
 * Dawn's Node binding. The `webgpu` package's entry point is an ES module, which CommonJS
 * (and jest) cannot require; its native addon is a plain `.node` file, which they can.
 */
function loadDawn(): { gpu: DawnGpu; globals: Record<string, unknown> } {
  if (dawn) return dawn;
  let root: string;
  try {
    root = path.dirname(require.resolve('webgpu/package.json'));
  } catch {
    throw new Error('package "webgpu" (Dawn for Node) not installed');
  }
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const addon = path.join(root, 'dist', `${process.platform}-${arch}`, 'dawn.node');
  if (!fs.existsSync(addon)) throw new Error(`the "webgpu" package has no Dawn build for ${process.platform}-${arch}`);
  const mod = require(addon) as DawnModule;
  dawn = { gpu: mod.create([]), globals: mod.globals };
  return dawn;
}

function describeAdapter(adapter: DawnAdapter): GpuAdapterInfo {
  const i = adapter.info;
  const software = i.isFallbackAdapter === true || /^(software|cpu)$/i.test(i.architecture) || /llvmpipe|lavapipe|swiftshader|warp/i.test(`${i.device} ${i.description}`);
  const limits = Object.fromEntries(REPORTED_LIMITS.map((k) => [k, adapter.limits?.[k]]).filter((e): e is [string, number] => typeof e[1] === 'number'));
  return { vendor: i.vendor || 'unknown', architecture: i.architecture || 'unknown', device: i.device || 'unknown', driver: i.description || 'unknown', software, ...(Object.keys(limits).length ? { limits } : {}) };
}

/** The adapter tfjs-backend-webgpu will get (it asks for high-performance), or why there is none. */
export async function probeGpuAdapter(): Promise<{ adapter: GpuAdapterInfo } | { problem: string }> {
  let gpu: DawnGpu;
  try {
    gpu = loadDawn().gpu;
  } catch (err) {
    return { problem: errorMessage(err).split('\n')[0]! };
  }
  try {
    const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? (await gpu.requestAdapter({ forceFallbackAdapter: true }));
    if (!adapter) return { problem: 'no WebGPU adapter (no Vulkan, Metal or D3D12 driver found)' };
    return { adapter: describeAdapter(adapter) };
  } catch (err) {
    return { problem: `no WebGPU adapter (${errorMessage(err).split('\n')[0]})` };
  }
}

/**
 * Make Dawn the `navigator.gpu` that tfjs-backend-webgpu looks for, then register that backend.
 * Registration is deferred to here because the package registers itself at the highest
 * priority, and tfjs would then try to start it whenever no backend was chosen yet.
 */
export function installWebGpu(): void {
  const { gpu: dawnGpu, globals } = loadDawn();
  const gpu = withFlatRequiredFeatures(dawnGpu);
  for (const [name, value] of Object.entries(globals)) if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav && typeof nav === 'object') Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  require('@tensorflow/tfjs-backend-webgpu');
  chunkAddN();
  copyRowsOverBindingLimit();
}

interface DeviceDescriptor {
  requiredFeatures?: unknown[];
  [key: string]: unknown;
}

/**
 * tfjs-backend-webgpu (4.22) pushes `['bgra8unorm-storage']` — an array, not a string — into
 * `requiredFeatures` when the adapter offers that feature (real GPUs do; lavapipe does not). A
 * binding that checks the descriptor's types (the WebGPU spec says strings) rejects the device
 * request, and the first real card would fail to start. Flatten the list on its way to
 * `requestDevice`; everything else passes through to the native objects untouched.
 */
export function withFlatRequiredFeatures<G extends object>(gpu: G): G {
  const bound = <T extends object>(target: T, name: string | symbol) => {
    const value = Reflect.get(target, name, target) as unknown;
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  };
  const adapterProxy = (adapter: object) =>
    new Proxy(adapter, {
      get: (target, name) =>
        name === 'requestDevice'
          ? (descriptor?: DeviceDescriptor) =>
              (target as { requestDevice(d?: DeviceDescriptor): Promise<unknown> }).requestDevice(
                descriptor && Array.isArray(descriptor.requiredFeatures) ? { ...descriptor, requiredFeatures: descriptor.requiredFeatures.flat(Infinity) } : descriptor,
              )
          : bound(target, name),
    });
  return new Proxy(gpu, {
    get: (target, name) =>
      name === 'requestAdapter'
        ? async (options?: unknown) => {
            const adapter = (await (target as { requestAdapter(o?: unknown): Promise<object | null> }).requestAdapter(options)) as object | null;
            return adapter ? adapterProxy(adapter) : adapter;
          }
        : bound(target, name),
  });
}

interface KernelTensor {
  dataId: unknown;
}
interface WebGpuKernelBackend {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: unknown): void;
}

/**
 * tfjs-backend-webgpu (4.22) binds every AddN input as its own storage buffer, and WebGPU
 * allows 8 per shader stage unless more are requested (tfjs does not): an AddN of more than
 * 7 tensors fails to compile, and the run goes on with a wrong result and validation errors
 * on the console (the train plugin's gradient norm was one). Sum in chunks the device can bind.
 */
function chunkAddN(): void {
  const original = tf.getKernel('AddN', 'webgpu');
  if (!original || addNChunked) return;
  addNChunked = true;
  const addN = (args: Parameters<tf.KernelFunc>[0]): KernelTensor => {
    const backend = args.backend as unknown as WebGpuKernelBackend;
    const inputs = Object.values(args.inputs) as KernelTensor[];
    const limit = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= limit) return original.kernelFunc(args) as KernelTensor;
    const partials: KernelTensor[] = [];
    for (let i = 0; i < inputs.length; i += limit) partials.push(original.kernelFunc({ ...args, inputs: inputs.slice(i, i + limit) as never }) as KernelTensor);
    const sum = addN({ ...args, inputs: partials as never });
    for (const p of partials) backend.disposeData(p.dataId);
    return sum;
  };
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ ...original, kernelFunc: addN as tf.KernelFunc });
}
let addNChunked = false;

/**
 * tfjs-backend-webgpu reads a tensor synchronously (dataSync) through a browser
 * OffscreenCanvas; Node has none, and Dawn offers no blocking read. Replace the resulting
 * "OffscreenCanvas is not defined" with an error that says what to do: a user-facing one
 * (one line, exit 2, no stack), because the fix is a config choice — another backend.
 */
export function explainSyncReads(backend: { readSync(dataId: unknown): unknown }): void {
  const original = backend.readSync.bind(backend);
  backend.readSync = (dataId: unknown) => {
    try {
      return original(dataId);
    } catch (err) {
      if (err instanceof ReferenceError && /OffscreenCanvas/.test(err.message)) {
        throw new UserFacingError('the webgpu backend cannot read a tensor synchronously in Node (dataSync/arraySync), and this code path does; use backend wasm for it (its code needs `await tensor.data()` to run on webgpu)', 'E_BACKEND_SYNC_READ', 2);
      }
      throw err;
    }
  };
}

interface GpuErrorEvent {
  error?: { message?: string };
}
interface WatchedBackend {
  device: { onuncapturederror: ((event: GpuErrorEvent) => void) | null };
  read(dataId: unknown): Promise<unknown>;
}

/**
 * A kernel the device rejects — a tensor over its maxStorageBufferBindingSize (128 MB on
 * lavapipe), too many bindings — is a validation error that Dawn only prints, and the run would
 * go on with zeros. Keep the first such error and fail the next read with it, in one line.
 */
export function failReadsAfterGpuErrors(backend: WatchedBackend): void {
  let first: string | undefined;
  backend.device.onuncapturederror = (event) => {
    first ??= (event.error?.message ?? String(event)).split('\n')[0];
  };
  const read = backend.read.bind(backend);
  backend.read = async (dataId: unknown) => {
    const values = await read(dataId);
    if (first) {
      // Reported once: the read that failed ends the run; later runs in the process start clean.
      const message = first;
      first = undefined;
      throw new UserFacingError(`the WebGPU device rejected a kernel, so the results would be wrong: ${message} — use smaller shapes or another backend (wasm)`, 'E_WEBGPU_REJECTED', 1);
    }
    return values;
  };
}

/**
 * On Linux a hardware adapter needs a device node (DRM render node, or NVIDIA's own). Without
 * one `auto` need not start Dawn at all — which costs a second and, on a software Vulkan
 * driver, prints Dawn's limit warnings on every run.
 */
export function linuxHasGpuDevice(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    if (fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) return true;
  } catch {
    // no DRM devices
  }
  return fs.existsSync('/dev/nvidia0');
}

export function describeGpuAdapter(a: GpuAdapterInfo): string {
  return `${a.vendor} ${a.architecture}, ${a.device}, driver ${a.driver}${a.software ? ' (software)' : ''}`;
}
