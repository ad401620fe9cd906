import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FIXTURES, GPT2_TINY, readExpected, relativeError, VIT_TINY } from '@repscope/test-support';
import { builtinModelKind } from '../../model/builtin-kinds';
import type { ImageModel, Model, TokenModel } from '../../model/types';
import { Rng } from '../../util/rng';
import { selectBackend } from '../select-backend';
import { uninstallNativeMatMul } from '../native-matmul';
import { bitIdentical, bothPaths, describeNative } from './both-paths';

/*
 * Every model kind on both kernel paths of the wasm backend (issue 24): the reference input
 * repeated, so that every linear layer has enough rows for the system BLAS to take it. The
 * native path must match the independent reference activations as the parity suites do (1e-4 of
 * the largest value), XNNPACK's path within 1e-5 relative, and itself bit for bit run to run —
 * for the stored hook points and for the input gradient an experiment descends.
 */
const BATCH = 3; // × 7 tokens: 21 rows, enough for the native kernel to take every linear layer
const deps = { seed: 0, rng: new Rng(0), log: () => {} };

async function build(spec: Record<string, unknown>): Promise<Model> {
  return builtinModelKind(spec['kind'] as string)!.create(spec as never, deps);
}

/** The model's hook points and input gradient on both paths; every batch row checked against the reference. */
function checkBothPaths(model: Model, input: tf.Tensor, expected: ReturnType<typeof readExpected>['tensors'], hooks: string[]): void {
  const lastBlock = model.hookPoints().filter((h) => /^blocks\.\d+\.hook_resid_post$/.test(h)).pop()!;
  const { shapes, xnnpack, native, again, nativeCalls } = bothPaths(() => {
    const { output, cache } = model.runWithCache(input, hooks);
    // Through the blocks, as an inversion of O_l descends. Through a 128k–262k-token LM head the
    // gradient sums that many terms in another order on each path: measured 1.3–3.3e-5 relative.
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.square(model.forward(x, { output: lastBlock }))))(input);
    const kept = hooks.map((h) => cache[h]!);
    tf.dispose([output, ...Object.values(cache)].filter((t) => t !== input && !kept.includes(t)));
    // A hook that is the input itself (blocks.0.hook_resid_pre) is returned as a copy: run() disposes what it gets.
    return [...kept.map((t) => (t === input ? t.clone() : t)), gradient];
  });
  expect(nativeCalls).toBeGreaterThan(0);
  expect(shapes.native).toEqual(shapes.xnnpack);
  // Failures listed by name and error (toMatchObject would hide the number).
  const failures: string[] = [];
  hooks.forEach((name, i) => {
    const want = expected.get(name)!;
    const size = want.data.length;
    for (const row of [0, BATCH - 1]) {
      const error = relativeError(native[i]!.subarray(row * size, (row + 1) * size), want.data);
      if (!(error <= 1e-4)) failures.push(`${name} row ${row} vs reference: ${error}`);
    }
  });
  native.forEach((values, i) => {
    const error = relativeError(values, xnnpack[i]!);
    if (!(error <= 1e-5)) failures.push(`${hooks[i] ?? 'input gradient'} vs XNNPACK: ${error}`);
  });
  expect(failures).toEqual([]);
  expect(bitIdentical(again, native)).toBe(true);
}

describeNative('every model on both kernel paths (system BLAS and XNNPACK)', () => {
  beforeAll(async () => {
    const info = await selectBackend('wasm');
    // The default: native products whenever the addon loaded, without REPSCOPE_NATIVE_GEMM.
    expect(info.nativeMatMul && 'library' in info.nativeMatMul ? info.nativeMatMul.library : info.nativeMatMul).toMatch(/blas|blis|mkl/i);
  });
  afterAll(() => uninstallNativeMatMul());

  const tokenCases: [string, string, Record<string, unknown>][] = [
    ['gpt2', GPT2_TINY, { kind: 'gpt2', weights: GPT2_TINY, head: true }],
    ...(['llama', 'qwen2', 'qwen3', 'gemma3_text', 'gpt_neox'] as const).map((family): [string, string, Record<string, unknown>] => {
      const dir = path.join(FIXTURES, 'families', family);
      return [family, dir, { kind: family, weights: dir, head: true, finalNorm: true }];
    }),
  ];

  test.each(tokenCases)('%s: hook points match the reference and XNNPACK; input gradient within 1e-5', async (_name, dir, spec) => {
    const { meta, tensors } = readExpected(dir);
    const ids = meta['token_ids'] as number[];
    const model = (await build(spec)) as TokenModel;
    const hooks = [...tensors.keys()].filter((h) => model.hookPoints().includes(h));
    expect(hooks.length).toBeGreaterThan(2);
    const input = model.embed(Array.from({ length: BATCH }, () => ids));
    try {
      checkBothPaths(model, input, tensors, hooks);
    } finally {
      input.dispose();
      model.dispose();
    }
  });

  test('vit: hook points match the reference and XNNPACK; pixel gradient within 1e-5', async () => {
    const { tensors } = readExpected(VIT_TINY);
    const model = (await build({ kind: 'vit', weights: VIT_TINY, head: true })) as ImageModel;
    const hooks = [...tensors.keys()].filter((h) => h !== 'pixel_values');
    const px = tensors.get('pixel_values')!;
    const input = tf.tidy(() => tf.tile(tf.transpose(tf.tensor4d(px.data, px.shape as [number, number, number, number]), [0, 2, 3, 1]), [BATCH, 1, 1, 1]));
    try {
      checkBothPaths(model, input, tensors, hooks);
    } finally {
      input.dispose();
      model.dispose();
    }
  });

  test('hybrid (the ViT stem feeding GPT-2 blocks): output and image gradient within 1e-5 of XNNPACK', async () => {
    const model = (await build({ kind: 'hybrid', vit: { weights: VIT_TINY }, gpt2: { config: { nLayer: 2, nEmbd: 48, nHead: 4, nPositions: 32, vocabSize: 64 } }, depth: 2, head: false })) as ImageModel;
    const image = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 3);
    try {
      const { shapes, xnnpack, native, again, nativeCalls } = bothPaths(() => [model.forward(image), tf.grad((x: tf.Tensor) => tf.sum(tf.square(model.forward(x))))(image)]);
      expect(nativeCalls).toBeGreaterThan(0);
      expect(shapes.native).toEqual(shapes.xnnpack);
      native.forEach((v, i) => expect(relativeError(v, xnnpack[i]!)).toBeLessThanOrEqual(1e-5));
      expect(bitIdentical(again, native)).toBe(true);
    } finally {
      image.dispose();
      model.dispose();
    }
  });

  test('training: a trainable GPT-2\'s loss and every parameter gradient within 1e-5 of XNNPACK', async () => {
    const { buildGpt2 } = await import('../../model/gpt2/kind');
    const model = await buildGpt2({ kind: 'gpt2', weights: GPT2_TINY, head: true, positionIds: 'sequential' }, 0, () => {}, { trainable: true });
    const vars = [...model.namedParameters().values()] as tf.Variable[];
    const ids = Array.from({ length: BATCH }, (_, r) => [1 + r, 14, 15, 92, 65, 35, 89, 7]);
    const targets = tf.tensor1d(ids.flatMap((row) => [...row.slice(1), (row[0]! * 7) % 512]), 'int32');
    try {
      const { xnnpack, native, again, nativeCalls } = bothPaths(() => {
        const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(targets, model.vocabSize), tf.reshape(model.forward(model.embed(ids)), [-1, model.vocabSize])) as tf.Scalar), vars);
        return [value, ...vars.map((v) => grads[v.name]!)];
      });
      expect(nativeCalls).toBeGreaterThan(0);
      native.forEach((v, i) => expect({ i, error: relativeError(v, xnnpack[i]!) <= 1e-5 ? 'ok' : relativeError(v, xnnpack[i]!) }).toEqual({ i, error: 'ok' }));
      expect(bitIdentical(again, native)).toBe(true);
    } finally {
      targets.dispose();
      model.dispose();
    }
  });
});
