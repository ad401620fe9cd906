import * as tf from '@tensorflow/tfjs';
import { withFlatRequiredFeatures } from '../webgpu';

/*
 * tfjs-backend-webgpu's own device creation, against a stub adapter that offers
 * 'bgra8unorm-storage' (as real GPUs do; lavapipe does not) and checks the descriptor as the
 * WebGPU spec types it (requiredFeatures: strings), the way strict bindings do.
 */
interface Descriptor {
  requiredFeatures?: unknown[];
}

function strictGpu(seen: Descriptor[]) {
  const adapter = {
    features: new Set(['bgra8unorm-storage', 'timestamp-query']),
    limits: { maxComputeWorkgroupStorageSize: 16384, maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 1 << 30, maxComputeWorkgroupSizeX: 256, maxComputeInvocationsPerWorkgroup: 256 },
    info: { vendor: 'stub', architecture: 'stub', device: 'stub', description: 'stub' },
    async requestDevice(descriptor: Descriptor) {
      seen.push(descriptor);
      for (const f of descriptor.requiredFeatures ?? []) if (typeof f !== 'string') throw new TypeError(`requiredFeatures: ${JSON.stringify(f)} is not a GPUFeatureName`);
      // Far enough: the device itself is not needed to show what was asked for.
      throw new Error('stub adapter: no device');
    },
  };
  return { requestAdapter: async () => adapter };
}

describe('WebGPU device creation with a strict binding', () => {
  const seen: Descriptor[] = [];
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
  let gpu: ReturnType<typeof strictGpu>;

  beforeAll(() => {
    gpu = strictGpu(seen);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    require('@tensorflow/tfjs-backend-webgpu');
  });
  afterAll(() => {
    warn.mockRestore();
    delete (globalThis as { navigator?: unknown }).navigator;
  });

  test("unwrapped, tfjs's ['bgra8unorm-storage'] is rejected by the binding", async () => {
    await tf.setBackend('webgpu').catch(() => false);
    expect(seen.at(-1)!.requiredFeatures).toEqual(['timestamp-query', ['bgra8unorm-storage']]);
    expect(warn.mock.calls.flat().join(' ')).toMatch(/is not a GPUFeatureName/);
  });

  test('wrapped, the binding gets a flat list of feature names (and the rest of the descriptor as tfjs made it)', async () => {
    warn.mockClear();
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: withFlatRequiredFeatures(gpu) }, configurable: true, writable: true });
    tf.removeBackend('webgpu');
    jest.isolateModules(() => require('@tensorflow/tfjs-backend-webgpu'));
    await tf.setBackend('webgpu').catch(() => false);
    const last = seen.at(-1) as Descriptor & { requiredLimits?: Record<string, number> };
    expect(last.requiredFeatures).toEqual(['timestamp-query', 'bgra8unorm-storage']);
    expect(last.requiredLimits?.['maxStorageBufferBindingSize']).toBe(1 << 30);
    expect(warn.mock.calls.flat().join(' ')).not.toMatch(/GPUFeatureName/);
    expect(warn.mock.calls.flat().join(' ')).toMatch(/no device/);
  });
});
