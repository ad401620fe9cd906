import { descentStepAsync, InvalidInputError, tf, type FloatImage, type ImageModel, type RunContext } from '@repscope/core';
import { changeByRow, changePerPatch, earlyChangeFraction } from './change-map';
import { ActivationShape, BatchObjective, objectiveRegistry } from './objectives';
import type { FeatureVizOptions } from './options';
import { fourierParam, ImageParam, pixelParam } from './parameterization';
import { octavePlan, Panel, panelPlan } from './plan';
import { heatMap, labelledGrid, withColourBar } from './render';
import { gaussianBlur, randomTransforms } from './transforms';
import { featureVizHeadline } from './headline';

interface PanelResult {
  label: string;
  objectiveStart: number;
  objectiveEnd: number;
  earlyPatchChangeFraction: number;
  changeByPatchRow: number[];
  changePerPatch: number[];
  image: FloatImage;
  file: string;
}

/** Read asynchronously: the webgpu backend has no synchronous read in Node. */
async function toImages(batch: tf.Tensor4D): Promise<FloatImage[]> {
  const [b, h, w] = batch.shape;
  const data = (await batch.data()) as Float32Array;
  return Array.from({ length: b }, (_, i) => ({ width: w, height: h, channels: 3 as const, data: Float32Array.from(data.subarray(i * h * w * 3, (i + 1) * h * w * 3)) }));
}

function linear(from: number, to: number, i: number, n: number): number {
  return n <= 1 ? from : from + ((to - from) * i) / (n - 1);
}

/**
 * Optimise one image per panel so the chosen activations of a vision model grow (or shrink),
 * through the configured octaves and transforms, then measure where the image changed.
 */
export async function runFeatureViz(ctx: RunContext<FeatureVizOptions>, model: ImageModel): Promise<Record<string, unknown>> {
  const o = ctx.options;
  const M = model.imageSize;
  const hook = o.hook ?? model.outputHook;
  if (!model.hookPoints().includes(hook)) throw new InvalidInputError(`hook: ${model.kind} has no hook point "${hook}"`, 'E_CONFIG');
  const probe = tf.tidy(() => model.forward(tf.fill([1, M, M, 3], 0.5), { output: hook }));
  if (probe.rank !== 3) throw new InvalidInputError(`hook: "${hook}" is not a [batch, tokens, width] activation`, 'E_CONFIG');
  const patchesPerSide = M / model.patchSize;
  const shape: ActivationShape = { tokens: probe.shape[1]!, width: probe.shape[2]!, clsOffset: probe.shape[1]! - patchesPerSide * patchesPerSide };
  probe.dispose();
  const octaves = octavePlan(o, model);
  const panels = panelPlan(o);
  const kinds = objectiveRegistry();
  const directionRng = ctx.rng.fork('directions');
  const transformRng = ctx.rng.fork('transforms');
  const cropRng = ctx.rng.fork('crops');
  const totalSteps = octaves.reduce((a, oct) => a + oct.steps, 0);
  const results: PanelResult[] = [];
  let globalStep = 0;
  let seconds = 0;
  ctx.log(`${panels.length} panels of ${hook} (${shape.tokens} tokens × ${shape.width}), ${octaves.map((x) => `${x.size}px×${x.steps}`).join(' → ')}, batches of ${o.batch}`);
  ctx.progress.start(totalSteps * Math.ceil(panels.length / o.batch), 'feature viz');
  // Every batch runs the same `steps`; plotting against the step within the batch (one line
  // per batch) keeps the x-axis in the units the summary's `steps` reports.
  ctx.metrics.describe({
    roles: { batch: 'bookkeeping', octave: 'bookkeeping', sigma: 'bookkeeping', batchStep: 'bookkeeping' },
    x: { key: 'batchStep', title: 'step (within its batch)' },
    groupBy: 'batch',
    summaryRoles: { msPerStep: 'bookkeeping', earlyFraction: 'bookkeeping' },
  });

  for (let first = 0; first < panels.length; first += o.batch) {
    const batch: Panel[] = panels.slice(first, first + o.batch);
    const B = batch.length;
    const objectives = [
      new BatchObjective(batch[0]!.objective, batch.map((p) => kinds.get(p.objective.kind).select(p.objective, shape, directionRng)), shape),
      ...o.also.map((extra) => new BatchObjective(extra, batch.map(() => kinds.get(extra.kind).select(extra, shape, directionRng)), shape)),
    ];
    const main = objectives[0]!;
    const activationAtModel = async (img: tf.Tensor4D): Promise<number[]> => {
      const activation = tf.tidy(() => main.activation(model.forward(model.preprocess(img.shape[1] === M ? img : tf.image.resizeBilinear(img, [M, M], false, true)), { output: hook }) as tf.Tensor3D));
      try {
        return Array.from(await activation.data());
      } finally {
        activation.dispose();
      }
    };
    let param: ImageParam =
      o.parameterization === 'fourier'
        ? fourierParam(B, M, o.init.fourierStd, ctx.rng.fork(`init-${first}`).tensorSeed(), `fv-${first}`)
        : pixelParam(tf.randomUniform([B, octaves[0]!.size, octaves[0]!.size, 3], o.init.low, o.init.high, 'float32', ctx.rng.fork(`init-${first}`).tensorSeed()), `fv-${first}`);
    const initialAtModel = tf.tidy(() => {
      const img = param.toImage(param.variable);
      return img.shape[1] === M ? img.clone() : tf.image.resizeBilinear(img, [M, M], false, true);
    });
    let objectiveStart: number[];
    try {
      objectiveStart = await activationAtModel(initialAtModel);
      for (let k = 0; k < octaves.length; k++) {
        const oct = octaves[k]!;
        if (o.parameterization === 'pixels' && param.variable.shape[1] !== oct.size) {
          const resized = tf.tidy(() => tf.image.resizeBilinear(param.variable as tf.Tensor4D, [oct.size, oct.size], false, true));
          param.dispose();
          param = pixelParam(resized, `fv-${first}-octave-${k}`);
        }
        const optimizer = ctx.optimizers.create({ kind: 'sgd', lr: oct.lr[0], schedule: { kind: 'linear-decay', finalFraction: oct.lr[1] / oct.lr[0] } }, oct.steps);
        for (let step = 0; step < oct.steps; step++, globalStep++) {
          await ctx.checkInterrupted();
          const t0 = performance.now();
          const y0 = oct.crop ? cropRng.int(oct.size - M + 1) : 0;
          const x0 = oct.crop ? cropRng.int(oct.size - M + 1) : 0;
          const transform = randomTransforms(o.transforms, transformRng);
          const lr = optimizer.learningRate;
          const losses = await descentStepAsync(
            param.variable,
            (v) => {
              const image = param.toImage(v);
              const window = oct.crop ? (tf.slice(image, [0, y0, x0, 0], [-1, M, M, -1]) as tf.Tensor4D) : image;
              const out = model.forward(model.preprocess(transform(window)), { output: hook }) as tf.Tensor3D;
              return objectives.map((obj) => obj.loss(out)).reduce((a, b) => tf.add(a, b) as tf.Tensor1D);
            },
            optimizer,
          );
          const sigma = linear(oct.blur[0], oct.blur[1], step, oct.steps);
          if (o.parameterization === 'pixels' && (o.transforms.blur.enabled || o.clip)) {
            tf.tidy(() => {
              let x = param.variable as tf.Tensor4D;
              if (o.transforms.blur.enabled) x = gaussianBlur(x, o.transforms.blur.kernel, sigma);
              if (o.clip) x = tf.clipByValue(x, 0, 1);
              param.variable.assign(x);
            });
          }
          seconds += (performance.now() - t0) / 1000;
          if (step % o.logEvery === 0 || step === oct.steps - 1) {
            ctx.metrics.log(globalStep, { loss: losses.reduce((a, v) => a + v, 0) / B, batch: first / o.batch, batchStep: globalStep - (first / o.batch) * totalSteps, octave: k, lr, sigma: o.transforms.blur.enabled ? sigma : 0 });
          }
        }
      }
      const final = tf.tidy(() => tf.clipByValue(param.toImage(param.variable), 0, 1) as tf.Tensor4D);
      // Change is measured on the unclipped image: the seed's step sizes push many pixels far
      // outside [0, 1], and clipping would make every saturated pixel look equally changed.
      const finalAtModel = tf.tidy(() => {
        const raw = param.toImage(param.variable);
        return raw.shape[1] === M ? raw.clone() : tf.image.resizeBilinear(raw, [M, M], false, true);
      });
      const objectiveEnd = await activationAtModel(finalAtModel);
      const before = await toImages(initialAtModel);
      const after = await toImages(finalAtModel);
      const finals = await toImages(final);
      batch.forEach((panel, i) => {
        const perPatch = changePerPatch(before[i]!.data as Float32Array, after[i]!.data as Float32Array, M, model.patchSize);
        const file = ctx.artifacts.writePng(`panel-${String(first + i).padStart(2, '0')}.png`, finals[i]!, `${panel.label}: the optimised image`);
        results.push({
          label: panel.label,
          objectiveStart: objectiveStart[i]!,
          objectiveEnd: objectiveEnd[i]!,
          earlyPatchChangeFraction: earlyChangeFraction(perPatch, o.earlyFraction),
          changeByPatchRow: changeByRow(perPatch, patchesPerSide),
          changePerPatch: perPatch,
          image: finals[i]!,
          file,
        });
      });
      tf.dispose([final, finalAtModel]);
    } finally {
      param.dispose();
      initialAtModel.dispose();
      for (const obj of objectives) obj.dispose();
    }
  }

  const columns = Math.ceil(Math.sqrt(results.length));
  ctx.artifacts.writePng('grid.png', labelledGrid(results.map((r) => ({ image: r.image, label: r.label })), columns, 150), `the ${results.length} optimised images, labelled`);
  const maxChange = Math.max(...results.flatMap((r) => r.changePerPatch));
  ctx.artifacts.writePng(
    'change-maps.png',
    withColourBar(
      labelledGrid(results.map((r) => ({ image: heatMap(r.changePerPatch, patchesPerSide, patchesPerSide, maxChange), label: r.label })), columns, 112),
      maxChange,
      'mean abs pixel change per patch',
    ),
    'mean |image − initial image| per patch (viridis, one scale for all panels, colour bar below; top-left = first patch)',
  );
  const meanRows = Array.from({ length: patchesPerSide }, (_, row) => results.reduce((a, r) => a + r.changeByPatchRow[row]!, 0) / results.length);
  const earlyMean = results.reduce((a, r) => a + r.earlyPatchChangeFraction, 0) / results.length;
  ctx.report.addImage('Optimised images', 'grid.png');
  ctx.report.addImage('Where each image changed (per patch)', 'change-maps.png', `one colour scale for all panels (max ${maxChange.toPrecision(3)}); early patches are at the top left`);
  ctx.report.addPlot('Change by patch row (mean over panels)', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 420,
    height: 200,
    data: { values: meanRows.map((v, row) => ({ row, change: v })) },
    mark: 'bar',
    encoding: { x: { field: 'row', type: 'ordinal', title: 'patch row (0 = top = first tokens)' }, y: { field: 'change', type: 'quantitative', title: 'mean |Δ pixel|' } },
  });
  ctx.report.addTable(
    'Panels',
    ['panel', 'objective at start', 'objective at end', `change in the first ${Math.round(o.earlyFraction * 100)}% of patches`],
    results.map((r) => [r.label, r.objectiveStart, r.objectiveEnd, r.earlyPatchChangeFraction]),
  );
  const summary = {
    model: model.description,
    hook,
    panels: results.map((r) => ({ label: r.label, objectiveStart: r.objectiveStart, objectiveEnd: r.objectiveEnd, earlyPatchChangeFraction: r.earlyPatchChangeFraction, image: r.file })),
    changeByPatchRow: meanRows,
    earlyPatchChangeFraction: earlyMean,
    earlyFraction: o.earlyFraction,
    objectiveImproved: results.filter((r) => (o.objective.maximize ? r.objectiveEnd > r.objectiveStart : r.objectiveEnd < r.objectiveStart)).length / results.length,
    steps: totalSteps,
    msPerStep: globalStep ? (seconds * 1000) / globalStep : 0,
  };
  ctx.report.setHeadline(featureVizHeadline(summary, 'grid.png'));
  return summary;
}
