/* global describe, test, expect */
const { envLabel } = require('../repro-table');

// A timing in the reproduction tables says what it was measured on (issue 23): backend, threads,
// adapter, and which kernels ran the matrix products (issue 24 changes them several-fold).
describe('timing labels', () => {
  test('the system BLAS and its core, XNNPACK, or nothing recorded', () => {
    expect(envLabel({ backend: 'wasm', threads: 2, matrixProducts: { library: 'libopenblas.so.0', core: 'SkylakeX', threads: 2 } })).toBe('wasm, 2 threads, libopenblas.so.0 (SkylakeX)');
    expect(envLabel({ backend: 'wasm', threads: 2, matrixProducts: 'XNNPACK' })).toBe('wasm, 2 threads, XNNPACK');
    expect(envLabel({ backend: 'webgpu', adapter: { vendor: 'mesa' } })).toBe('webgpu, mesa');
    expect(envLabel(undefined)).toBe('backend not recorded');
  });
});
