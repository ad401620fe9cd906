import { Rng, tf } from '@repscope/core';
import { selectBackend } from '@repscope/core/testing';
import { changeByRow, changePerPatch, earlyChangeFraction } from '../change-map';
import { fourierParam } from '../parameterization';
import { gaussianBlur, randomTransforms, roll, rotate, scaleImage, translate } from '../transforms';

const ramp = () => tf.tensor4d(Float32Array.from({ length: 6 * 6 * 3 }, (_, i) => i / 108), [1, 6, 6, 3]);

describe('image transforms', () => {
  beforeAll(() => selectBackend('wasm'));

  test('roll shifts circularly and its gradient rolls back', () => {
    const x = ramp();
    const y = roll(x, 1, 2);
    const xv = x.arraySync()[0]!;
    const yv = y.arraySync()[0]!;
    expect(yv[1]![2]).toEqual(xv[0]![0]);
    expect(yv[0]![0]).toEqual(xv[5]![4]);
    const upstream = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 3);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(roll(v as tf.Tensor4D, 1, 2), upstream)))(x);
    expect(tf.max(tf.abs(tf.sub(g, roll(upstream as tf.Tensor4D, -1, -2)))).dataSync()[0]).toBeLessThan(1e-6);
  });

  test('translate fills with grey and passes gradient only to pixels still in view', () => {
    const x = ramp();
    const y = translate(x, 2, 0, 3).arraySync()[0]!;
    expect(y[0]![0]).toEqual([0.5, 0.5, 0.5]);
    const g = (tf.grad((v: tf.Tensor) => tf.sum(translate(v as tf.Tensor4D, 2, 0, 3)))(x).arraySync() as number[][][][])[0]!;
    expect(g[5]![0]).toEqual([0, 0, 0]);
    expect(g[0]![0]).toEqual([1, 1, 1]);
  });

  test('scale keeps the size and is differentiable; rotate by 0 is the identity, by θ its gradient is non-zero', () => {
    const x = ramp();
    for (const f of [0.8, 1.2]) {
      expect(scaleImage(x, f).shape).toEqual([1, 6, 6, 3]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(scaleImage(v as tf.Tensor4D, f)))(x);
      expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    }
    expect(tf.max(tf.abs(tf.sub(rotate(x, 0), x))).dataSync()[0]).toBeLessThan(1e-5);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(rotate(v as tf.Tensor4D, 10), ramp())))(x);
    expect(g.shape).toEqual([1, 6, 6, 3]);
    expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
  });

  test.each(['cpu', 'wasm'] as const)('rotating a batch rotates each image as if alone, and so does its gradient (%s; cpu\'s Transform kernel stops after the first image)', async (backend) => {
    await selectBackend(backend);
    try {
      const batch = tf.tensor4d(Float32Array.from({ length: 3 * 6 * 6 * 3 }, (_, i) => ((i * 7919) % 1000) / 1000), [3, 6, 6, 3]);
      const alone = tf.concat(tf.split(batch, 3).map((im) => rotate(im as tf.Tensor4D, 7)));
      expect(tf.max(tf.abs(tf.sub(rotate(batch, 7), alone))).dataSync()[0]).toBeLessThan(1e-6);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(rotate(v as tf.Tensor4D, 7), batch)))(batch);
      const gAlone = tf.concat(tf.split(batch, 3).map((im) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(rotate(v as tf.Tensor4D, 7), im)))(im)));
      expect(tf.max(tf.abs(tf.sub(g, gAlone))).dataSync()[0]).toBeLessThan(1e-6);
      expect(tf.min(tf.sum(tf.abs(g), [1, 2, 3])).dataSync()[0]).toBeGreaterThan(0);
    } finally {
      await selectBackend('wasm');
    }
  });

  test('Gaussian blur keeps a constant image constant (reflected borders) and smooths a spike', () => {
    const flat = tf.fill([1, 8, 8, 3], 0.3) as tf.Tensor4D;
    expect(tf.max(tf.abs(tf.sub(gaussianBlur(flat, 3, 1), 0.3))).dataSync()[0]).toBeLessThan(1e-6);
    const spike = tf.buffer([1, 8, 8, 3]);
    spike.set(1, 0, 4, 4, 0);
    const blurred = gaussianBlur(spike.toTensor() as tf.Tensor4D, 3, 1).arraySync()[0]!;
    expect(blurred[4]![4]![0]!).toBeLessThan(1);
    expect(blurred[4]![5]![0]!).toBeGreaterThan(0);
    expect(blurred[4]![4]![1]).toBe(0);
    // Differentiable too (it runs after the step in the seed's recipe, but can sit in an objective).
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gaussianBlur(v as tf.Tensor4D, 3, 1), ramp())))(ramp());
    expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
  });

  test('random transforms are reproducible from the seed', () => {
    const settings = { jitter: { enabled: true, kind: 'crop' as const, pixels: 2 }, scale: { enabled: true, factors: [0.9, 1.1] }, rotate: { enabled: true, degrees: [-5, 5] } };
    const a = randomTransforms(settings, new Rng('s'))(ramp()).dataSync();
    const b = randomTransforms(settings, new Rng('s'))(ramp()).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  test('the Fourier parameterisation gives an image in (0, 1) that gradients reach', () => {
    const p = fourierParam(2, 8, 0.01, 1, 'fourier-test');
    const img = p.toImage(p.variable);
    expect(img.shape).toEqual([2, 8, 8, 3]);
    const v = img.dataSync();
    expect(Math.min(...v)).toBeGreaterThan(0);
    expect(Math.max(...v)).toBeLessThan(1);
    const g = tf.grad((w: tf.Tensor) => tf.sum(tf.slice(p.toImage(w), [0, 0, 0, 0], [1, 4, 4, 1])))(p.variable);
    expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    p.dispose();
  });
});

describe('change maps', () => {
  test('per-patch change, rows, and the early-patch fraction', () => {
    const before = new Float32Array(4 * 4 * 3);
    const after = new Float32Array(4 * 4 * 3);
    after[0] = 0.6; // top-left pixel of patch 0
    after[(3 * 4 + 3) * 3] = 0.6; // bottom-right pixel of patch 3
    const perPatch = changePerPatch(before, after, 4, 2);
    [0.05, 0, 0, 0.05].forEach((v, i) => expect(perPatch[i]).toBeCloseTo(v, 6));
    changeByRow(perPatch, 2).forEach((v) => expect(v).toBeCloseTo(0.025, 6));
    expect(earlyChangeFraction(perPatch, 0.25)).toBeCloseTo(0.5);
    expect(earlyChangeFraction([1, 1, 1, 1], 0.25)).toBeCloseTo(0.25);
  });
});
