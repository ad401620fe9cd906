import { decodeText, displayTokens, InvalidInputError, isTokenModel, promptTokenIds, tf, type Decoder, type Model, type RunContext, type Tokenizer, type TokenModel } from '@repscope/core';
import type { WalksOptions } from './options';

export interface Snapshot {
  step: number;
  tokens: number[];
  decoded: string;
  topK: { id: number; token: string; score: number }[][];
  inputDistance: number;
  outputDistance: number;
}

export interface WalkStart {
  model: TokenModel;
  ids: number[];
  tokenizer: Tokenizer | undefined;
  /** e₀ = embed(prompt), [1, n, d]. */
  origin: tf.Tensor3D;
  /** O(e₀). */
  target: tf.Tensor;
  decoder: Decoder;
}

export function requireTokenModel(model: Model): TokenModel {
  if (!isTokenModel(model)) throw new InvalidInputError(`walks need a model over token embeddings; "${model.kind}" takes ${model.inputSpace}`, 'E_CONFIG_MODEL');
  return model;
}


export async function startWalk(ctx: RunContext<WalksOptions>, model: TokenModel): Promise<WalkStart> {
  const ids = promptTokenIds(ctx.options.input, model.tokenizer);
  const origin = model.embed([ids]);
  const target = tf.tidy(() => model.forward(origin));
  let decoder: Decoder;
  try {
    decoder = await ctx.registries.decoders.get(ctx.options.decode.decoder).create(model);
  } catch (err) {
    tf.dispose([origin, target]);
    throw err;
  }
  const tokenizer = model.tokenizer;
  return { model, ids, tokenizer, origin, target, decoder };
}

export function endWalk(start: WalkStart): void {
  start.decoder.dispose();
  tf.dispose([start.origin, start.target]);
}

/** [‖e − e₀‖₁, ‖O(e) − O(e₀)‖₁] as one tensor, so a step reads it with one sync. Caller disposes. */
export function distanceTerms(start: WalkStart, e: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.stack([tf.sum(tf.abs(tf.sub(e, start.origin))), tf.sum(tf.abs(tf.sub(start.model.forward(e), start.target)))]) as tf.Tensor1D);
}

/** How far the input moved, and how far its output, from `distanceTerms` read back. */
export function distancesFrom(terms: ArrayLike<number>): { inputDistance: number; outputDistance: number } {
  return { inputDistance: terms[0]!, outputDistance: terms[1]! };
}

/** ‖e − e₀‖₁ and ‖O(e) − O(e₀)‖₁, read asynchronously (any backend). */
export async function distances(start: WalkStart, e: tf.Tensor): Promise<{ inputDistance: number; outputDistance: number }> {
  const terms = distanceTerms(start, e);
  try {
    return distancesFrom(await terms.data());
  } finally {
    terms.dispose();
  }
}

export async function snapshot(start: WalkStart, e: tf.Tensor, step: number, topK: number, d: { inputDistance: number; outputDistance: number }): Promise<Snapshot> {
  const result = await start.decoder.decode(e as tf.Tensor3D, topK);
  const tokens = result.ids[0]!;
  return {
    step,
    tokens,
    decoded: decodeText(tokens, start.tokenizer),
    topK: result.topK[0]!.map((cands) => {
      const shown = displayTokens(cands.map((c) => c.id), start.tokenizer);
      return cands.map((c, j) => ({ id: c.id, token: shown[j]!, score: c.score }));
    }),
    ...d,
  };
}

/** r = ‖e − e₀‖₁ / ‖O(e) − O(e₀)‖₁: input moved per unit of output moved (large = the layer did not notice). */
export function ratio(d: { inputDistance: number; outputDistance: number }): number {
  return d.outputDistance > 0 ? d.inputDistance / d.outputDistance : d.inputDistance > 0 ? Infinity : 0;
}

export function writeWalkReport(ctx: RunContext<WalksOptions>, start: WalkStart, snapshots: Snapshot[], series: { step: number; inputDistance: number; outputDistance: number; ratio: number }[]): void {
  ctx.report.addText('Start', `${JSON.stringify(ctx.options.input.text ?? start.ids)} → ${displayTokens(start.ids, start.tokenizer).join(' | ')}; model: ${start.model.description}`);
  ctx.report.addPlot('Input distance, output distance and r = input/output', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 560,
    height: 240,
    data: { values: series.filter((p) => Number.isFinite(p.ratio) && p.outputDistance > 0) },
    transform: [{ fold: ['inputDistance', 'outputDistance', 'ratio'], as: ['quantity', 'value'] }],
    mark: 'line',
    encoding: {
      x: { field: 'step', type: 'quantitative' },
      y: { field: 'value', type: 'quantitative', scale: { type: 'log' } },
      color: { field: 'quantity', type: 'nominal' },
    },
  });
  ctx.report.addTable(
    'Where the walk goes (decoded)',
    ['step', 'decoded', '‖e − e₀‖₁', '‖O(e) − O(e₀)‖₁', ...start.ids.map((_, i) => `pos ${i}`)],
    snapshots.map((s) => [s.step, JSON.stringify(s.decoded), s.inputDistance, s.outputDistance, ...s.topK.map((c) => c.map((x) => x.token).join(' '))]),
  );
  ctx.artifacts.writeJson('snapshots.json', snapshots, 'decoded inputs along the walk, with top-k per position');
}

/** The summary fields both walks share: where the walk ended, r along the way, the snapshots. */
export function walkSummary(series: { inputDistance: number; outputDistance: number; ratio: number }[], snapshots: Snapshot[], seconds: number, steps: number) {
  const last = series[series.length - 1]!;
  return {
    inputDistance: last.inputDistance,
    outputDistance: last.outputDistance,
    ratio: last.ratio,
    ratioByStep: series.map((p) => p.ratio),
    startText: snapshots[0]!.decoded,
    finalText: snapshots[snapshots.length - 1]!.decoded,
    snapshots,
    msPerStep: (seconds * 1000) / steps,
  };
}
