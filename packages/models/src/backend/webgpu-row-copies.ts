import * as tf from '@tensorflow/tfjs';
import { overBindingLimit } from './binding-limit';

/*
 * A tensor over the device's maxStorageBufferBindingSize can be a buffer (maxBufferSize is
 * larger, 4 GiB on lavapipe) but no shader can bind it: every kernel that reads or writes it
 * fails. Buffer-to-buffer copies bind nothing. So the two operations that build and take apart
 * such a tensor by whole rows — Concat along the first axis and Slice of a range of rows, both
 * contiguous in memory — run as copies when a tensor in them is over the limit: the model's
 * logits [rows, V] for many rows are made from pieces of rows, and their gradient read back in
 * pieces (model/matrix-products.ts). Every other case stays with tfjs's own kernels.
 */

interface TensorData {
  resource: unknown;
}
interface GpuCopyBackend {
  tensorMap: { get(dataId: unknown): TensorData | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: unknown): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  commandEncoder: { copyBufferToBuffer(source: unknown, sourceOffset: number, destination: unknown, destinationOffset: number, size: number): void };
  /** Buffers a queued command uses: tfjs defers their release until the queue is submitted. */
  commandQueueOwnedIds: WeakSet<object>;
}

/** The pieces of a new tensor `shape`, in order: [tensor, byte offset in it, bytes]. */
type Piece = [tf.TensorInfo, number, number];

function copyInto(backend: GpuCopyBackend, shape: number[], dtype: tf.DataType, pieces: Piece[]): tf.TensorInfo {
  const out = backend.makeTensorInfo(shape, dtype);
  backend.uploadToGPU(out.dataId);
  for (const [t] of pieces) backend.uploadToGPU(t.dataId);
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  const destination = backend.tensorMap.get(out.dataId)!.resource;
  let at = 0;
  for (const [t, offset, bytes] of pieces) {
    backend.commandEncoder.copyBufferToBuffer(backend.tensorMap.get(t.dataId)!.resource, offset, destination, at, bytes);
    backend.commandQueueOwnedIds.add(t.dataId as object);
    at += bytes;
  }
  backend.commandQueueOwnedIds.add(out.dataId as object);
  return out;
}

/** float32 and int32 (and bool, held as int32 on webgpu): 4 bytes an element, what copies need (offsets are multiples of 4). */
function fourBytes(dtype: tf.DataType): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Concat of whole tensors one after another in memory: along axis 0, or any axis with only size-1 axes before it. */
function concatByCopies(args: KernelArgs): tf.TensorInfo | undefined {
  const inputs = (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as tf.TensorInfo[];
  if (inputs.length === 0 || !fourBytes(inputs[0]!.dtype)) return undefined;
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, inputs[0]!.shape)[0]!;
  const shape = tf.backend_util.computeOutShape(
    inputs.map((t) => t.shape),
    axis,
  );
  if (shape.slice(0, axis).some((d) => d !== 1) || !overBindingLimit(tf.util.sizeFromShape(shape))) return undefined;
  const pieces = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0).map((t): Piece => [t, 0, tf.util.sizeFromShape(t.shape) * 4]);
  return copyInto(args.backend as unknown as GpuCopyBackend, shape, inputs[0]!.dtype, pieces);
}

/** Slice of rows [b, b + n) keeping every other axis whole: one contiguous range of the input. */
function sliceByCopy(args: KernelArgs): tf.TensorInfo | undefined {
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  const { begin, size } = args.attrs as { begin: number | number[]; size?: number | number[] };
  const [start, sizes] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  const wholeRows = x.shape.every((d, i) => i === 0 || (start[i] === 0 && sizes[i] === d));
  if (!fourBytes(x.dtype) || !wholeRows || sizes[0] === 0 || !overBindingLimit(tf.util.sizeFromShape(x.shape))) return undefined;
  const row = tf.util.sizeFromShape(x.shape.slice(1)) * 4;
  return copyInto(args.backend as unknown as GpuCopyBackend, sizes, x.dtype, [[x, start[0]! * row, sizes[0]! * row]]);
}

/** Replace webgpu's Concat and Slice with versions that copy where a tensor is over the binding limit. */
export function copyRowsOverBindingLimit(): void {
  if (installed) return;
  for (const [name, byCopies] of [
    ['Concat', concatByCopies],
    ['Slice', sliceByCopy],
  ] as const) {
    const original = tf.getKernel(name, 'webgpu');
    if (!original) continue;
    const kernelFunc = (args: KernelArgs) => byCopies(args) ?? original.kernelFunc(args);
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({ ...original, kernelFunc: kernelFunc as tf.KernelFunc });
  }
  installed = true;
}
let installed = false;
