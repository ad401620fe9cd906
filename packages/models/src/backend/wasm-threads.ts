import os = require('node:os');
import * as path from 'node:path';
import { Worker as NodeWorker, WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

/**
 * Start tfjs-backend-wasm's multi-threaded SIMD build in Node (2× on 2 cores, bit-identical
 * results). Stock 4.22.0 cannot: it reports no thread support under Node, hands Emscripten
 * `blob:` URLs for its pthread workers (Node's Worker rejects them), caps threads at half
 * the logical cores, and leaves workers that keep the process alive. During initialisation
 * only, we (1) set the thread flag, (2) give Emscripten a Worker class that starts the
 * package's own worker source for `blob:` URLs and points its `load` message at the
 * standalone glue file, never keeping the process alive, and (3) make `os.cpus()` report
 * enough cores for the requested count. Everything is restored afterwards. Pinned to
 * @tensorflow/tfjs-backend-wasm 4.22.0 internals; any failure falls back to one thread.
 */
export async function activateThreadedWasm(threads: number): Promise<number> {
  const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerSource = (require(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }).wasmWorkerContents.replace(/\n/g, '\\n');

  class PthreadWorker extends NodeWorker {
    private readonly isPthread: boolean;
    constructor(url: string | URL, options?: WorkerOptions) {
      const fromBlob = typeof url === 'string' && url.startsWith('blob:');
      super(fromBlob ? workerSource : url, fromBlob ? { eval: true } : options);
      this.isPthread = fromBlob;
      if (fromBlob) URL.revokeObjectURL(url as string);
    }
    override postMessage(message: unknown, transfer?: readonly unknown[]): void {
      const msg = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (this.isPthread && msg?.cmd === 'load' && typeof msg.urlOrBlob !== 'string') message = { ...msg, urlOrBlob: mainScript };
      super.postMessage(message, transfer as never);
    }
    override ref(): void {
      if (!this.isPthread) super.ref();
    }
  }

  const previousWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => {} });
  const realCpus = os.cpus;
  (os as { cpus: typeof os.cpus }).cpus = () => {
    const cpus = realCpus.call(os);
    while (cpus.length < 2 * threads) cpus.push(cpus[0]!);
    return cpus;
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  tfwasm.setThreadsCount(threads);
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('threaded wasm failed to initialise');
    return tfwasm.getThreadsCount();
  } finally {
    (os as { cpus: typeof os.cpus }).cpus = realCpus;
    if (previousWorker) Object.defineProperty(globalThis, 'Worker', previousWorker);
    else delete (globalThis as { Worker?: unknown }).Worker;
  }
}

/** Threads for the wasm backend: REPSCOPE_WASM_THREADS, else one per core (at most 8, XNNPACK's pool). */
export function requestedWasmThreads(): number {
  const env = process.env['REPSCOPE_WASM_THREADS'];
  if (env !== undefined && /^\d+$/.test(env)) return Math.max(1, Math.min(8, Number(env)));
  return Math.max(1, Math.min(8, os.cpus().length));
}
