import * as fs from 'node:fs';
import * as path from 'node:path';
import { GPT2_TINY, tempDir } from '@repscope/test-support';
import { runCli } from '../../../test-support/cli';

/*
 * Which kernels ran the matrix products is part of a run's provenance (issue 24): env.json names
 * the system BLAS or XNNPACK, the backend line says so, and REPSCOPE_NATIVE_GEMM=0 keeps the
 * XNNPACK path a user can always fall back to. Both paths give the same inversion.
 */
const config = `experiment: inversion
backend: wasm
seed: 0
model: { kind: gpt2, weights: ${JSON.stringify(GPT2_TINY)}, depth: 2, head: true }
input: { tokens: [3, 14, 15, 92, 65] }
restarts: 8
steps: 20
optimizer: { kind: adam, lr: 0.05 }
decode: { decoder: pinv, at: [20] }
`;

function run(env: Record<string, string>): { env: Record<string, unknown>; summary: Record<string, unknown>; log: string } {
  const dir = tempDir('kernel-path-');
  fs.writeFileSync(path.join(dir, 'exp.yaml'), config);
  const r = runCli(['run', 'exp.yaml', '--out', 'out'], dir, 120_000, env);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, 'out', f), 'utf8')) as Record<string, unknown>;
  return { env: read('env.json'), summary: read('summary.json'), log: r.stdout + r.stderr };
}

test('REPSCOPE_NATIVE_GEMM=0 runs XNNPACK and says so; the default takes the system BLAS when the addon built, with the same result', () => {
  const fallback = run({ REPSCOPE_NATIVE_GEMM: '0' });
  expect((fallback.env['backend'] as Record<string, unknown>)['matrixProducts']).toBe('XNNPACK');
  // The attention path is provenance too: per-head 2-D products where XNNPACK runs them.
  expect((fallback.env['backend'] as Record<string, unknown>)['perHeadAttention']).toBe(true);
  expect(fallback.log).toContain('matrix products: XNNPACK (REPSCOPE_NATIVE_GEMM=0)');

  const byDefault = run({ REPSCOPE_NATIVE_GEMM: '' });
  const products = (byDefault.env['backend'] as Record<string, unknown>)['matrixProducts'];
  if (process.env['CI'] === 'true' || typeof products === 'object') {
    expect(products).toMatchObject({ library: expect.stringMatching(/blas|blis|mkl/i) });
    expect(byDefault.log).toMatch(/matrix products: \S*(blas|blis|mkl)\S* .*on the wasm heap/i);
    expect((byDefault.env['backend'] as Record<string, unknown>)['perHeadAttention']).toBe(false);
  } else {
    expect(products).toBe('XNNPACK');
  }
  const loss = (s: Record<string, unknown>) => s['finalLoss'] as number;
  expect(Math.abs(loss(byDefault.summary) - loss(fallback.summary))).toBeLessThanOrEqual(1e-4 * Math.abs(loss(fallback.summary)));
});
