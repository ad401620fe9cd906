import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, isTrainableTokenModel, RunDivergedError, tf, TOKEN_COUNTS_FILE, VOCAB_MAP_FILE, readVocabMap, type ModelSpec, type RunContext, type SummaryFields, type Tokenizer, type TrainableTokenModel } from '@repscope/core';
import { buildDataset, evalBatches, trainBatches, type Batch, type Dataset } from './data/dataset';
import { heldOutOverlap } from './data/overlap';
import { tokenCountsFile, vocabMapFile } from './data/reduced-vocab';
import { evalPromptWarning } from './data/prompt-check';
import { DataError } from './data/text-files';
import type { TrainOptions } from './options';
import { AdamW } from './train/adamw';
import { checkpointName, findCheckpoints, optimizerReader, TrainState, writeCheckpoint, type FoundCheckpoint } from './train/checkpoint-folder';
import { modelLoss, modelLossValue } from './train/model-loss';
import { learningRate } from './train/schedule';
import { pruneMetricsAfter, type MetricsRecord } from './train/metrics-file';
import { trainHeadline } from './headline';

/**
 * Above this share of held-out 16-token windows seen verbatim in training, the run warns.
 * Measured (GPT-2 BPE, 10 % held out): this repository's docs 2.5 %, docs + READMEs 9.8 %
 * (repeated tables), /usr/share/common-licenses 50 % (the GPL family shares most of its text).
 */
const HELD_OUT_OVERLAP_WARNING = 0.25;

interface Evaluation {
  step: number;
  evalLoss: number;
  evalPerplexity: number;
  tokensPerSecond: number | null;
  sample: string;
}

export function loadDataOrExplain(options: TrainOptions, seed: number, tokenizer: Tokenizer): Dataset {
  try {
    return buildDataset(options, seed, tokenizer);
  } catch (err) {
    if (err instanceof DataError) throw new InvalidInputError(`${err.configPath.join('.')}: ${err.message}`, 'E_TRAIN_DATA');
    throw err;
  }
}

/** Resuming is only sound with the same config; where the run folder lives does not matter. */
function resumeConfigHash(config: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

export async function runTraining(ctx: RunContext<TrainOptions>): Promise<SummaryFields> {
  const o = ctx.options;
  const runDir = ctx.artifacts.path;
  const tokenizer = ctx.tokenizer;
  if (!tokenizer) throw new InvalidInputError("model: training reads text, so the model's vocabulary needs a known tokenizer", 'E_CONFIG_MODEL');
  // How fast and on how much: a sweep lists these beside the losses it charts.
  const bookkeeping = ['msPerStep', 'tokensPerSecond', 'tokensSeen', 'parameters', 'trainTokens', 'heldOutTokens', 'resumedFromStep', 'heldOutOverlap', 'vocabSize', 'unknownShare'];
  ctx.metrics.describe({ summaryRoles: Object.fromEntries(bookkeeping.map((k) => [k, 'bookkeeping' as const])) });
  const spec = ctx.config.model!;
  if (o.vocab && spec['weights'] !== undefined) throw new InvalidInputError('vocab: a model continued from model.weights keeps its vocabulary; leave vocab out, or train from scratch', 'E_CONFIG');
  const data = loadDataOrExplain(o, ctx.seed, tokenizer);
  const heldOutTokens = data.heldOut.reduce((a, p) => a + p.length, 0);
  ctx.log(`data: ${data.description}: ${data.trainTokens} training tokens, ${heldOutTokens} held out; unigram entropy ${data.unigramEntropy.toFixed(3)} nats`);
  if (data.vocab) {
    const v = data.vocab;
    ctx.log(`vocabulary: the ${v.map.ids.length} most frequent training tokens and one unknown token (${v.map.ids.length + 1} rows); ${(100 * v.unknownShare).toFixed(2)}% of the training tokens are unknown`);
  }
  const promptWarning = evalPromptWarning(o.eval.prompt, data, tokenizer);
  if (promptWarning) ctx.log(promptWarning);
  // Measured here, once: `check` builds the dataset too, on every validate and sweep job.
  const overlap = heldOutOverlap(data.train, data.heldOut);
  if (o.data.files && overlap > HELD_OUT_OVERLAP_WARNING) {
    ctx.log(`warning: ${(100 * overlap).toFixed(0)}% of the held-out text also appears verbatim in the training text (the same text in two files?); the held-out loss then overstates generalisation`);
  }

  const hash = resumeConfigHash(ctx.config);
  const found = findCheckpoints(runDir);
  const resumeFrom = found.at(-1);
  if (resumeFrom && resumeFrom.state.configHash !== hash) {
    throw new InvalidInputError(`${runDir} holds checkpoints of a different config (${path.relative(runDir, resumeFrom.dir)}); re-run the same command or choose another --out`, 'E_TRAIN_RESUME');
  }

  // The map is recomputed from the data; changed text (or a changed corpus package) would give the
  // checkpoint's embedding rows other tokens. The checkpoint's own map must be the one rebuilt.
  if (resumeFrom && data.vocab) {
    const saved = path.join(resumeFrom.dir, VOCAB_MAP_FILE);
    const same = fs.existsSync(saved) && JSON.stringify(readVocabMap(saved, data.vocab.map.ids.length + 1).ids) === JSON.stringify(data.vocab.map.ids);
    if (!same) throw new InvalidInputError(`${saved}: the reduced vocabulary rebuilt from the data differs from the one the checkpoint was trained with (changed text?); re-run on the same data or choose another --out`, 'E_TRAIN_RESUME');
  }
  const vocabSize = data.vocab ? data.vocab.map.ids.length + 1 : undefined;
  // A Hugging Face family takes weights or config, not both: resuming, the checkpoint's config.json is the architecture.
  const { config: _architecture, ...withoutConfig } = spec;
  const base = resumeFrom && spec.kind !== 'gpt2' ? withoutConfig : { ...spec, ...(vocabSize ? withVocabSize(spec, vocabSize) : {}) };
  const start = { ...base, head: true, positionIds: 'sequential', ...(resumeFrom ? { weights: resumeFrom.dir } : {}) };
  // The run's factory disposes the model when the run ends.
  const model = await ctx.models.create(start, {}, { trainable: true });
  if (!isTrainableTokenModel(model)) throw new InvalidInputError(`model.kind: "${spec.kind}" cannot be built for training`, 'E_CONFIG_MODEL');
  if (vocabSize !== undefined && model.vocabSize !== vocabSize) throw new InvalidInputError(`vocab: the model was built with ${model.vocabSize} tokens, not the reduced ${vocabSize}; model.kind "${spec.kind}" does not take a vocabulary size`, 'E_CONFIG_MODEL');
  // Beside every checkpoint: the reduced vocabulary, or (from scratch) which tokens the text held.
  const sideFiles = data.vocab ? { [VOCAB_MAP_FILE]: vocabMapFile(data.vocab.map, tokenizer) } : spec['weights'] === undefined ? { [TOKEN_COUNTS_FILE]: tokenCountsFile(data.counts, tokenizer) } : {};
  const params = model.namedParameters() as Map<string, tf.Variable>;
  const adam = new AdamW(params, { betas: o.optimizer.betas, eps: o.optimizer.eps, weightDecay: o.optimizer.weightDecay, decayOn: o.optimizer.weightDecayOn });
  try {
    return { ...(await train(ctx, model, params, adam, data, hash, found, heldOutTokens, sideFiles)), heldOutOverlap: overlap };
  } finally {
    adam.dispose();
  }
}

async function train(
  ctx: RunContext<TrainOptions>,
  model: TrainableTokenModel,
  params: Map<string, tf.Variable>,
  adam: AdamW,
  data: Dataset,
  hash: string,
  found: FoundCheckpoint[],
  heldOutTokens: number,
  sideFiles: Record<string, unknown>,
): Promise<SummaryFields> {
  const o = ctx.options;
  const runDir = ctx.artifacts.path;
  if (o.batch.tokens > model.maxPositions) {
    throw new InvalidInputError(`batch.tokens: must be <= the model's nPositions (${model.maxPositions}); got ${o.batch.tokens}`, 'E_CONFIG_MODEL');
  }
  const vars = [...params.values()];
  // tf.variableGrads keys gradients by the engine's variable names; the optimizer by HF names.
  const hfNames = new Map([...params].map(([hf, v]) => [v.name, hf]));
  const tokensPerStep = o.batch.sequences * o.batch.tokens * o.batch.accumulate;
  const resumeFrom = found.at(-1);
  let step = 0;
  let tokensSeen = 0;
  let history: MetricsRecord[] = [];
  if (resumeFrom) {
    adam.load(resumeFrom.state.adamStep, optimizerReader(resumeFrom.dir));
    step = resumeFrom.state.step;
    tokensSeen = resumeFrom.state.tokensSeen;
    history = pruneMetricsAfter(path.join(runDir, 'metrics.jsonl'), step);
    ctx.log(`resuming from ${path.relative(runDir, resumeFrom.dir)} (step ${step} of ${o.steps})`);
  }
  const evaluations: Evaluation[] = history.filter((r) => typeof r['evalLoss'] === 'number').map((r) => ({
    step: r.step,
    evalLoss: r['evalLoss'] as number,
    evalPerplexity: r['evalPerplexity'] as number,
    tokensPerSecond: (r['tokensPerSecond'] as number | undefined) ?? null,
    sample: String(r['sample'] ?? ''),
  }));
  const checkpoints = found.filter((f) => path.basename(f.dir) !== 'final').map((f) => ({ path: path.relative(runDir, f.dir), step: f.state.step, evalLoss: f.state.evalLoss }));
  const evalSet = evalBatches(data, o, ctx.seed);
  // The reduced vocabulary's tokenizer where there is one: the model reads and writes its ids.
  const tokenizer = data.vocab?.tokenizer ?? ctx.tokenizer!;
  const prompt = tokenizer.encode(o.eval.prompt);

  let trainLoss: number | null = resumeFrom?.state.trainLoss ?? null;
  let recentLoss = { sum: 0, count: 0 };
  let trainingMs = 0;
  let sessionSteps = 0;
  let sinceEval = { ms: 0, tokens: 0 };
  ctx.progress.start(o.steps);

  const state = (evalLoss: number | null): TrainState => ({ step, dataPosition: { nextStep: step }, adamStep: adam.step, tokensSeen, trainLoss, evalLoss, configHash: hash });
  const recorded = ['config.json', 'model.safetensors', ...Object.keys(sideFiles)];
  const saveCheckpoint = async (dir: string, evalLoss: number | null) => {
    await writeCheckpoint(dir, model.hfConfig(), params, await adam.state(), state(evalLoss), sideFiles);
    for (const f of recorded) ctx.artifacts.record(path.relative(runDir, path.join(dir, f)), f.endsWith('.json') ? 'json' : 'tensors');
  };

  for (const f of found) for (const file of recorded) if (fs.existsSync(path.join(f.dir, file))) ctx.artifacts.record(path.relative(runDir, path.join(f.dir, file)), file.endsWith('.json') ? 'json' : 'tensors');

  while (step < o.steps) {
    await ctx.checkInterrupted();
    const started = performance.now();
    const lr = learningRate(o.optimizer, step, o.steps);
    const loss = await optimizerStep(model, vars, hfNames, adam, trainBatches(data, o, ctx.seed, step), lr, o.clipGradNorm);
    if (!Number.isFinite(loss.loss)) throw new RunDivergedError(step + 1, 'loss', loss.loss);
    const ms = performance.now() - started;
    step++;
    sessionSteps++;
    tokensSeen += tokensPerStep;
    trainingMs += ms;
    sinceEval = { ms: sinceEval.ms + ms, tokens: sinceEval.tokens + tokensPerStep };
    recentLoss = { sum: recentLoss.sum + loss.loss, count: recentLoss.count + 1 };

    const values: Record<string, number | string> = {};
    if (step % o.logEvery === 0 || step === o.steps) {
      trainLoss = recentLoss.sum / recentLoss.count;
      recentLoss = { sum: 0, count: 0 };
      Object.assign(values, { loss: trainLoss, lr, gradNorm: loss.gradNorm, msPerStep: ms });
    }
    const checkpointDue = step % o.checkpoints.every === 0 && step < o.steps;
    if (step % o.eval.every === 0 || checkpointDue || step === o.steps) {
      const evalLoss = await evaluate(model, evalSet);
      const tokensPerSecond = sinceEval.ms > 0 ? (sinceEval.tokens / sinceEval.ms) * 1000 : null;
      const sample = await greedyContinuation(model, prompt, o.eval.continuation, tokenizer.decode, data.vocab?.map.ids.length);
      sinceEval = { ms: 0, tokens: 0 };
      evaluations.push({ step, evalLoss, evalPerplexity: Math.exp(evalLoss), tokensPerSecond, sample });
      Object.assign(values, { evalLoss, evalPerplexity: Math.exp(evalLoss), sample, ...(tokensPerSecond !== null ? { tokensPerSecond } : {}) });
      ctx.log(`step ${step}: train loss ${(trainLoss ?? loss.loss).toFixed(3)}, held-out ${evalLoss.toFixed(3)} (ppl ${Math.exp(evalLoss).toFixed(1)})${tokensPerSecond ? `, ${tokensPerSecond.toFixed(0)} tokens/s` : ''}: ${JSON.stringify(sample)}`);
    }
    if (Object.keys(values).length) ctx.metrics.log(step, values);
    else ctx.progress.update(step, { loss: loss.loss });
    if (checkpointDue) {
      const dir = path.join(runDir, 'checkpoints', checkpointName(step));
      const last = evaluations.at(-1)!;
      await saveCheckpoint(dir, last.evalLoss);
      checkpoints.push({ path: path.relative(runDir, dir), step, evalLoss: last.evalLoss });
    }
  }

  const final = evaluations.at(-1);
  const finalDir = path.join(runDir, 'final');
  const finalState = found.find((f) => f.dir === finalDir);
  if (!finalState) await saveCheckpoint(finalDir, final?.evalLoss ?? null);
  const reduced = data.vocab
    ? ` Vocabulary reduced to the ${data.vocab.map.ids.length} most frequent training tokens and one unknown token (${(100 * data.vocab.unknownShare).toFixed(2)}% of the training tokens): losses, perplexity and the unigram entropy are over these ${data.vocab.map.ids.length + 1} tokens, not GPT-2's 50,257, so they do not compare with a full-vocabulary model's.`
    : '';
  ctx.report.addText('data', `${data.description}: ${data.trainTokens} training tokens, ${heldOutTokens} held-out tokens (${evalSet.length} evaluation batches). Unigram entropy of the training tokens: ${data.unigramEntropy.toFixed(4)} nats — the loss to beat.${reduced}`);
  ctx.report.addTable(
    'held-out evaluations',
    ['step', 'eval loss', 'perplexity', 'tokens/s', `greedy continuation of ${JSON.stringify(o.eval.prompt)}`],
    evaluations.map((e) => [e.step, round(e.evalLoss, 4), round(e.evalPerplexity, 2), e.tokensPerSecond === null ? null : Math.round(e.tokensPerSecond), e.sample]),
  );
  ctx.report.addTable('checkpoints', ['path', 'step', 'eval loss'], [...checkpoints.map((c) => [c.path, c.step, c.evalLoss === null ? null : round(c.evalLoss, 4)]), ['final', step, final ? round(final.evalLoss, 4) : null]]);
  const summary = {
    trainLoss,
    evalLoss: final?.evalLoss ?? null,
    evalPerplexity: final?.evalPerplexity ?? null,
    unigramEntropy: data.unigramEntropy,
    beatsUnigram: final ? final.evalLoss < data.unigramEntropy : null,
    tokensSeen,
    tokensPerSecond: trainingMs > 0 ? (sessionSteps * tokensPerStep * 1000) / trainingMs : null,
    msPerStep: sessionSteps > 0 ? trainingMs / sessionSteps : null,
    parameters: model.parameterCount(),
    trainTokens: data.trainTokens,
    heldOutTokens,
    resumedFromStep: found.at(-1)?.state.step ?? null,
    checkpoints: [...checkpoints, { path: 'final', step, evalLoss: final?.evalLoss ?? null }],
    finalSample: final?.sample ?? null,
    vocabSize: model.vocabSize,
    ...(data.vocab ? { unknownShare: data.vocab.unknownShare } : {}),
  };
  ctx.report.setHeadline(trainHeadline(summary, o.eval.prompt));
  return summary;
}

/** The model block with the reduced vocabulary's size: gpt2's `config.vocabSize`, a Hugging Face family's `config.vocab_size`. */
function withVocabSize(spec: ModelSpec, vocabSize: number): Partial<ModelSpec> {
  const config = (spec['config'] ?? {}) as Record<string, unknown>;
  return { config: spec.kind === 'gpt2' ? { ...config, vocabSize } : { ...config, vocab_size: vocabSize } };
}

/** One optimizer step over the micro-batches: averaged gradients, global-norm clipping, AdamW. */
async function optimizerStep(
  model: TrainableTokenModel,
  vars: tf.Variable[],
  hfNames: Map<string, string>,
  adam: AdamW,
  batches: Batch[],
  lr: number,
  clip: number,
): Promise<{ loss: number; gradNorm: number }> {
  const summed = new Map<string, tf.Tensor>();
  let lossSum = 0;
  for (const batch of batches) {
    const targets = tf.tensor1d(batch.targets, 'int32');
    const { value, grads } = tf.variableGrads(() => modelLoss(model, batch.inputs, targets), vars);
    lossSum += (await value.data())[0]!;
    value.dispose();
    targets.dispose();
    for (const [name, g] of Object.entries(grads)) {
      const prev = summed.get(name);
      summed.set(name, prev ? tf.add(prev, g) : g);
      if (prev) {
        prev.dispose();
        g.dispose();
      }
    }
  }
  const byParam = new Map<string, tf.Tensor>();
  const scale = 1 / batches.length;
  const normTensor = tf.tidy(() => tf.sqrt(tf.addN([...summed.values()].map((g) => tf.sum(tf.square(g))))).mul(scale));
  const gradNorm = (await normTensor.data())[0]!;
  normTensor.dispose();
  const factor = scale * (clip > 0 && gradNorm > clip ? clip / (gradNorm + 1e-6) : 1);
  for (const [varName, g] of summed) {
    byParam.set(hfNames.get(varName)!, factor === 1 ? g : tf.mul(g, factor));
    if (factor !== 1) g.dispose();
  }
  adam.apply(byParam, lr);
  for (const g of byParam.values()) g.dispose();
  return { loss: lossSum / batches.length, gradNorm };
}

/** Token-weighted mean cross-entropy over the fixed held-out batches (full vocabulary). */
async function evaluate(model: TrainableTokenModel, batches: Batch[]): Promise<number> {
  let total = 0;
  let count = 0;
  for (const b of batches) {
    const loss = tf.tidy(() => modelLossValue(model, b.inputs, tf.tensor1d(b.targets, 'int32')));
    total += (await loss.data())[0]! * b.targets.length;
    count += b.targets.length;
    loss.dispose();
  }
  return total / count;
}

/**
 * The greedy continuation of `prompt`. Over a reduced vocabulary the unknown token (the last id,
 * `unknown`) is skipped: it is often the single most likely token (every rare word at once), so
 * a greedy sample would be mostly ⁇ and show nothing of what the model learned of the words.
 */
async function greedyContinuation(model: TrainableTokenModel, prompt: number[], count: number, decode: (ids: number[]) => string, unknown?: number): Promise<string> {
  const ids = [...prompt];
  for (let i = 0; i < count; i++) {
    const window = ids.slice(-model.maxPositions);
    // Only the last position's logits, as M·h (no [tokens, V] product, no transposed M).
    const next = tf.tidy(() => {
      const hidden = model.forward(model.embed([window]), { output: model.headInputHook });
      const last = tf.reshape(tf.slice(hidden, [0, window.length - 1, 0], [1, 1, -1]), [-1, 1]) as tf.Tensor2D;
      const logits = tf.reshape(tf.matMul(model.headMatrix(), last), [-1]);
      return tf.argMax(unknown === undefined ? logits : tf.slice(logits, [0], [unknown]));
    });
    ids.push((await next.data())[0]!);
    next.dispose();
  }
  return decode(ids);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

