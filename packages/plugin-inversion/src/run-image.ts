import { descentStepAsync, InvalidInputError, readImageFile, tf, type FloatImage, type ImageModel, type RunContext } from '@repscope/core';
import { l1PerItem, readFirst } from './baseline';
import { meanSsim, psnr } from './image-quality';
import type { InversionOptions } from './options';
import { imageHeadline, type DepthResult } from './image-headline';

function hookForDepth(depth: number): string {
  return depth === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${depth - 1}.hook_resid_post`;
}

/** The first image of a [1, h, w, 3] tensor, read asynchronously (any backend); disposes it. */
async function toImage(t: tf.Tensor): Promise<FloatImage> {
  const [, h, w] = t.shape as number[];
  try {
    return { width: w!, height: h!, channels: 3, data: (await t.data()) as Float32Array };
  } finally {
    t.dispose();
  }
}

/** Images side by side with a 2-pixel white gutter. */
function strip(images: FloatImage[]): FloatImage {
  const gap = 2;
  const h = images[0]!.height;
  const width = images.reduce((a, im) => a + im.width, 0) + gap * (images.length - 1);
  const data = new Float32Array(width * h * 3).fill(1);
  let x0 = 0;
  for (const im of images) {
    for (let y = 0; y < h; y++) for (let x = 0; x < im.width; x++) for (let c = 0; c < 3; c++) data[(y * width + x0 + x) * 3 + c] = im.data[(y * im.width + x) * 3 + c]!;
    x0 += im.width + gap;
  }
  return { width, height: h, channels: 3, data };
}

/** Mean squared error per row of patches (row 0 = the top of the image = the first tokens). */
function errorByPatchRow(a: FloatImage, b: FloatImage, patch: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < a.height / patch; r++) {
    let se = 0;
    for (let y = r * patch; y < (r + 1) * patch; y++) for (let i = y * a.width * 3; i < (y + 1) * a.width * 3; i++) se += (a.data[i]! - b.data[i]!) ** 2;
    rows.push(se / (patch * a.width * 3));
  }
  return rows;
}

/**
 * The seed's representation-accuracy experiment: from noise, descend on the pixels until the
 * model's output at a layer matches the target image's; one reconstruction per depth, scored
 * by PSNR/SSIM against the target and by output distance against the eq. 4 baseline.
 */
export async function runImageInversion(ctx: RunContext<InversionOptions>, model: ImageModel): Promise<Record<string, unknown>> {
  const o = ctx.options;
  const defaultDepth = /^blocks\.(\d+)\.hook_resid_post$/.exec(model.outputHook);
  const depths = o.image.depths ?? [defaultDepth ? Number(defaultDepth[1]) + 1 : 0];
  for (const d of depths) {
    if (!model.hookPoints().includes(hookForDepth(d))) throw new InvalidInputError(`image.depths: the model has no block ${d} (its depth is ${defaultDepth ? Number(defaultDepth[1]) + 1 : 0})`, 'E_CONFIG');
  }
  const file = readImageFile(o.input.image!);
  const metric = ctx.registries.metrics.get(o.loss.metric);
  const target01 = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(file.data, [1, file.height, file.width, 3]), [model.imageSize, model.imageSize], false, true).clipByValue(0, 1) as tf.Tensor4D);
  const targetImage = await toImage(target01.clone());
  ctx.artifacts.writePng('target.png', targetImage, 'the target image at the model\'s input size');
  const perDepth: Record<string, unknown>[] = [];
  const reconstructions: FloatImage[] = [];
  let stepSeconds = 0;
  let globalStep = 0;
  ctx.progress.start(o.steps * depths.length, 'image inversion');
  // One line per depth, each over the run's `steps` (not over the steps of all depths together).
  ctx.metrics.describe({ roles: { depth: 'bookkeeping', depthStep: 'bookkeeping' }, x: { key: 'depthStep', title: 'step' }, groupBy: 'depth', summaryRoles: { msPerStep: 'bookkeeping' } });
  try {
    for (const depth of depths) {
      const hook = hookForDepth(depth);
      const targetOut = tf.tidy(() => model.forward(model.preprocess(target01), { output: hook }));
      const baseline = await readFirst(
        tf.tidy(() => {
          const shifted = tf.clipByValue(tf.add(target01, tf.randomNormal(target01.shape, 0, o.baseline.std, 'float32', ctx.rng.fork(`baseline-${depth}`).tensorSeed())), 0, 1);
          return l1PerItem(model.forward(model.preprocess(shifted as tf.Tensor4D), { output: hook }), targetOut);
        }),
      );
      const start = tf.randomNormal(target01.shape, o.image.init.mean, o.image.init.std, 'float32', ctx.rng.fork(`init-${depth}`).tensorSeed());
      const x = tf.variable(start, true, `image-inversion-${depth}`);
      start.dispose();
      const optimizer = ctx.optimizers.create(o.optimizer, o.steps);
      let distance = NaN;
      /** The last objective's ‖O(x) − O(target)‖₁, kept past its step to be read asynchronously. */
      let pendingDistance: tf.Tensor | undefined;
      const readDistance = async () => {
        if (!pendingDistance) return;
        const t = pendingDistance;
        pendingDistance = undefined;
        distance = await readFirst(t);
      };
      const objective = (input: tf.Tensor): tf.Tensor1D => {
        const out = model.forward(model.preprocess(input as tf.Tensor4D), { output: hook });
        const l1 = l1PerItem(out, targetOut);
        pendingDistance?.dispose();
        pendingDistance = tf.keep(l1);
        return tf.mul(o.loss.metric === 'l1' ? l1 : metric.perItem(out, targetOut), o.loss.scale) as tf.Tensor1D;
      };
      try {
        for (let step = 0; step < o.steps; step++, globalStep++) {
          await ctx.checkInterrupted();
          const t0 = performance.now();
          const lr = optimizer.learningRate;
          const [loss] = await descentStepAsync(x, objective, optimizer);
          await readDistance();
          if (o.image.clip) tf.tidy(() => x.assign(tf.clipByValue(x, 0, 1)));
          stepSeconds += (performance.now() - t0) / 1000;
          if (step % o.logEvery === 0 || step === o.steps - 1) ctx.metrics.log(globalStep, { depth, depthStep: step, loss: loss!, outputDistance: distance, lr });
        }
        tf.tidy(() => {
          objective(x);
        });
        await readDistance();
        const image = await toImage(tf.tidy(() => tf.clipByValue(x, 0, 1)));
        reconstructions.push(image);
        const path = ctx.artifacts.writePng(`reconstruction-depth${depth}.png`, image, `reconstruction from block ${depth}'s output`);
        const rows = errorByPatchRow(image, targetImage, model.patchSize);
        perDepth.push({
          depth,
          hook,
          psnr: psnr(image, targetImage),
          ssim: meanSsim(image, targetImage),
          outputDistance: distance,
          baselineDistance: baseline,
          beatsBaseline: distance < baseline,
          errorByPatchRow: rows,
          topRowsError: rows.slice(0, Math.max(1, rows.length >> 2)).reduce((a, v) => a + v, 0) / Math.max(1, rows.length >> 2),
          otherRowsError: rows.slice(Math.max(1, rows.length >> 2)).reduce((a, v) => a + v, 0) / Math.max(1, rows.length - Math.max(1, rows.length >> 2)),
          image: path,
        });
      } finally {
        pendingDistance?.dispose();
        x.dispose();
        targetOut.dispose();
      }
    }
  } finally {
    target01.dispose();
  }
  ctx.artifacts.writePng('grid.png', strip([targetImage, ...reconstructions]), 'target, then the reconstruction from each depth');
  ctx.report.addImages('Target and reconstructions', [
    { path: 'target.png', caption: 'target' },
    ...perDepth.map((p) => ({ path: String(p['image']), caption: `depth ${p['depth']}: PSNR ${(p['psnr'] as number).toFixed(1)} dB, SSIM ${(p['ssim'] as number).toFixed(3)}` })),
  ], 224);
  ctx.report.addTable('Per depth', ['depth', 'PSNR (dB)', 'SSIM', 'output distance', 'baseline m', 'beats baseline'], perDepth.map((p) => [p['depth'] as number, p['psnr'] as number, p['ssim'] as number, p['outputDistance'] as number, p['baselineDistance'] as number, p['beatsBaseline'] as boolean]));
  ctx.report.setHeadline(imageHeadline(perDepth as unknown as DepthResult[]));
  const last = perDepth[perDepth.length - 1]!;
  return {
    method: 'gradient',
    model: model.description,
    input: 'image',
    psnr: last['psnr'],
    ssim: last['ssim'],
    outputDistance: last['outputDistance'],
    baselineDistance: last['baselineDistance'],
    beatsBaseline: last['beatsBaseline'],
    topRowsError: last['topRowsError'],
    otherRowsError: last['otherRowsError'],
    perDepth,
    steps: o.steps,
    msPerStep: globalStep ? (stepSeconds * 1000) / globalStep : 0,
  };
}
