import { tf, type Rng } from '@repscope/core';

const GREY = 0.5;

/** Circular shift by (dy, dx): differentiable (slices and concatenation). */
export function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const shift = (t: tf.Tensor4D, d: number, axis: 1 | 2, n: number): tf.Tensor4D => {
      const k = ((d % n) + n) % n;
      if (k === 0) return t;
      const begin = axis === 1 ? [0, n - k, 0, 0] : [0, 0, n - k, 0];
      const size = axis === 1 ? [-1, k, -1, -1] : [-1, -1, k, -1];
      const restBegin = [0, 0, 0, 0];
      const restSize = axis === 1 ? [-1, n - k, -1, -1] : [-1, -1, n - k, -1];
      return tf.concat([tf.slice(t, begin, size), tf.slice(t, restBegin, restSize)], axis);
    };
    return shift(shift(x, dy, 1, h), dx, 2, w);
  });
}

/** Translate by (dy, dx), filling with grey: a random crop of a padded image (Lucid's jitter). */
export function translate(x: tf.Tensor4D, dy: number, dx: number, margin: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const padded = tf.pad(x, [[0, 0], [margin, margin], [margin, margin], [0, 0]], GREY);
    return tf.slice(padded, [0, margin - dy, margin - dx, 0], [-1, h, w, -1]) as tf.Tensor4D;
  });
}

/** Resize by `factor`, then centre-crop or grey-pad back to the original size (differentiable). */
export function scaleImage(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const nh = Math.max(1, Math.round(h * factor));
    const nw = Math.max(1, Math.round(w * factor));
    if (nh === h && nw === w) return x.clone();
    const resized = tf.image.resizeBilinear(x, [nh, nw], false, true);
    if (nh >= h) {
      const top = Math.floor((nh - h) / 2);
      const left = Math.floor((nw - w) / 2);
      return tf.slice(resized, [0, top, left, 0], [-1, h, w, -1]) as tf.Tensor4D;
    }
    const top = Math.floor((h - nh) / 2);
    const left = Math.floor((w - nw) / 2);
    return tf.pad(resized, [[0, 0], [top, h - nh - top], [left, w - nw - left], [0, 0]], GREY) as tf.Tensor4D;
  });
}

function rotationRow(degrees: number, h: number, w: number): number[] {
  const t = (degrees * Math.PI) / 180;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const c = Math.cos(t);
  const s = Math.sin(t);
  // tf.image.transform maps each output pixel (x, y) to the input point it samples.
  return [c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy, 0, 0];
}

/**
 * tf.image.transform (bilinear, constant fill) with one matrix for every image, around two
 * kernel bugs of TF.js 4.22: webgpu's reads one matrix row per image (a single row is not
 * broadcast), and cpu's returns after the first image (the others stay zero). wasm's is right.
 */
export function transformEach(images: tf.Tensor4D, row: number[], fill: number): tf.Tensor4D {
  const batch = images.shape[0];
  if (batch > 1 && tf.getBackend() === 'cpu') {
    return tf.tidy(() => tf.concat(tf.split(images, batch).map((image) => transformEach(image as tf.Tensor4D, row, fill))) as tf.Tensor4D);
  }
  const matrix = tf.tensor2d(Array.from({ length: batch }, () => row));
  try {
    return tf.image.transform(images, matrix, 'bilinear', 'constant', fill);
  } finally {
    matrix.dispose();
  }
}

/**
 * Rotate about the centre (bilinear, grey fill). TF.js has no gradient for its Transform
 * kernel; we use the rotation by −θ as the backward map — the adjoint of the rotation up to
 * interpolation and border effects, which is what transform-robustness needs.
 */
export function rotate(x: tf.Tensor4D, degrees: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const op = tf.customGrad(((input: tf.Tensor4D) => ({
    value: transformEach(input, rotationRow(degrees, h, w), GREY),
    gradFunc: (dy: tf.Tensor4D) => transformEach(dy, rotationRow(-degrees, h, w), 0),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as (t: tf.Tensor4D) => tf.Tensor4D;
  return op(x);
}

/** A k×k Gaussian as a [k, k, 3, 3] conv filter that blurs each channel on its own. */
function gaussianFilter(kernel: number, sigma: number): tf.Tensor4D {
  const r = Math.floor(kernel / 2);
  const w: number[] = [];
  for (let i = -r; i <= r; i++) w.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = w.reduce((a, v) => a + v, 0);
  const g = w.map((v) => v / sum);
  const data = new Float32Array(kernel * kernel * 9);
  for (let y = 0; y < kernel; y++) for (let x = 0; x < kernel; x++) for (let c = 0; c < 3; c++) data[((y * kernel + x) * 3 + c) * 3 + c] = g[y]! * g[x]!;
  return tf.tensor4d(data, [kernel, kernel, 3, 3]);
}

/** Gaussian blur with reflected borders (so edges do not darken), as the seed applies after each step. */
export function gaussianBlur(x: tf.Tensor4D, kernel: number, sigma: number): tf.Tensor4D {
  if (sigma <= 0 || kernel <= 1) return x.clone();
  return tf.tidy(() => {
    const r = Math.floor(kernel / 2);
    const padded = tf.mirrorPad(x, [[0, 0], [r, r], [r, r], [0, 0]], 'reflect');
    return tf.conv2d(padded, gaussianFilter(kernel, sigma), 1, 'valid');
  });
}

export interface TransformSettings {
  jitter: { enabled: boolean; kind: 'roll' | 'crop'; pixels: number };
  scale: { enabled: boolean; factors: number[] };
  rotate: { enabled: boolean; degrees: number[] };
}

/** The random, differentiable transforms of one step (jitter, scale, rotate), drawn from `rng`. */
export function randomTransforms(settings: TransformSettings, rng: Rng): (x: tf.Tensor4D) => tf.Tensor4D {
  const steps: ((x: tf.Tensor4D) => tf.Tensor4D)[] = [];
  const j = settings.jitter;
  if (j.enabled && j.pixels > 0) {
    const dy = rng.int(2 * j.pixels + 1) - j.pixels;
    const dx = rng.int(2 * j.pixels + 1) - j.pixels;
    steps.push(j.kind === 'roll' ? (x) => roll(x, dy, dx) : (x) => translate(x, dy, dx, j.pixels));
  }
  if (settings.scale.enabled) {
    const f = settings.scale.factors[rng.int(settings.scale.factors.length)]!;
    steps.push((x) => scaleImage(x, f));
  }
  if (settings.rotate.enabled) {
    const d = settings.rotate.degrees[rng.int(settings.rotate.degrees.length)]!;
    if (d !== 0) steps.push((x) => rotate(x, d));
  }
  return (x) => steps.reduce((acc, f) => f(acc), x);
}
