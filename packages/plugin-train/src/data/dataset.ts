import seedrandom from 'seedrandom';
import type { Tokenizer } from '@repscope/core';
import type { TrainOptions } from '../options';
import { BROWN_DOCUMENTS, brownTokens } from './brown-corpus';
import { reduceVocabulary, tokenCounts, type ReducedVocabulary } from './reduced-vocab';
import { SyntheticCorpus } from './synthetic-corpus';
import { DataError, fileTokens, matchFiles } from './text-files';

/**
 * The token stream cut into equal segments; a seeded choice of segments is held out, the
 * rest is training data. Segments (rather than single windows) keep held-out text
 * contiguous, so evaluation windows never overlap training windows.
 */
export interface Dataset {
  description: string;
  train: Uint16Array[];
  heldOut: Uint16Array[];
  trainTokens: number;
  /** Entropy of the training tokens' unigram distribution, in nats: the loss a context-free model reaches. */
  unigramEntropy: number;
  /** How often each of the tokenizer's ids occurs in the training split (before any reduction). */
  counts: Float64Array;
  /** With `vocab.top`: the reduced vocabulary `train` and `heldOut` are written in. */
  vocab?: ReducedVocabulary;
}

export function loadTokens(options: TrainOptions, seed: number, tokenizer: Tokenizer): { tokens: Uint16Array; description: string } {
  if (options.data.documents !== undefined && !options.data.corpus) throw new DataError(['data', 'documents'], 'takes the first documents of data.corpus; without a corpus, leave it out');
  if (options.data.corpus) {
    if (tokenizer.vocabSize > 65536) throw new DataError(['data', 'corpus'], `the tokenizer's ${tokenizer.vocabSize} tokens do not fit the uint16 token store; training data supports vocabularies up to 65,536`);
    const n = options.data.documents ?? BROWN_DOCUMENTS;
    return { tokens: brownTokens(n, tokenizer), description: `the Brown corpus, ${n === BROWN_DOCUMENTS ? 'all' : 'the first'} ${n} of ${BROWN_DOCUMENTS} documents` };
  }
  if (options.data.synthetic) {
    const n = options.data.synthetic.sentences;
    return { tokens: Uint16Array.from(tokenizer.encode(new SyntheticCorpus(seed).text(n))), description: `synthetic corpus, ${n} sentences (seed ${seed})` };
  }
  const files = matchFiles(options.data.files!);
  const parts = files.map((f) => fileTokens(f, ['data', 'files'], tokenizer));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const tokens = new Uint16Array(total);
  let at = 0;
  for (const p of parts) {
    tokens.set(p, at);
    at += p.length;
  }
  return { tokens, description: `${files.length} file${files.length === 1 ? '' : 's'}` };
}

export function buildDataset(options: TrainOptions, seed: number, tokenizer: Tokenizer): Dataset {
  const { tokens, description } = loadTokens(options, seed, tokenizer);
  const window = options.batch.tokens + 1;
  if (tokens.length < 2 * window) {
    throw new DataError(
      ['data'],
      `${description} has ${tokens.length} tokens, fewer than two windows of batch.tokens + 1 = ${window} (one to train on, one held out); add text or lower batch.tokens`,
    );
  }
  let segment = 4 * window;
  if (tokens.length < 2 * segment) segment = window;
  const count = Math.floor(tokens.length / segment);
  const order = shuffled(count, seedrandom.alea(`repscope/train/split/${seed}`));
  const heldCount = Math.min(count - 1, Math.max(1, Math.round(options.data.heldOut * count)));
  const held = new Set(order.slice(0, heldCount));
  let train: Uint16Array[] = [];
  let heldOut: Uint16Array[] = [];
  for (let i = 0; i < count; i++) {
    // The last segment takes the remainder, so no token is dropped.
    const part = tokens.subarray(i * segment, i === count - 1 ? tokens.length : (i + 1) * segment);
    (held.has(i) ? heldOut : train).push(part);
  }
  const trainTokens = train.reduce((a, p) => a + p.length, 0);
  const counts = tokenCounts(train);
  // The vocabulary comes from the training split alone, so held-out text is never peeked at.
  let vocab: ReducedVocabulary | undefined;
  if (options.vocab) ({ train, heldOut, vocab } = reduceVocabulary(train, heldOut, options.vocab.top, tokenizer));
  return { description, train, heldOut, trainTokens, unigramEntropy: unigramEntropy(train), counts, ...(vocab ? { vocab } : {}) };
}

export function unigramEntropy(parts: Uint16Array[]): number {
  const counts = tokenCounts(parts);
  const n = parts.reduce((a, p) => a + p.length, 0);
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

function shuffled(n: number, rand: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** A batch of windows: inputs [sequences][tokens] and their next tokens, flattened. */
export interface Batch {
  inputs: number[][];
  targets: Int32Array;
}

function batchFrom(windows: Uint16Array[], tokens: number): Batch {
  const targets = new Int32Array(windows.length * tokens);
  const inputs = windows.map((w, r) => {
    targets.set(w.subarray(1, tokens + 1), r * tokens);
    return Array.from(w.subarray(0, tokens));
  });
  return { inputs, targets };
}

/**
 * The training windows of one step: a pure function of (seed, step), so the data position
 * a checkpoint needs is just its step, and a resumed run sees exactly the same batches.
 * Segments are drawn in proportion to their length, then a uniform start inside.
 */
export function trainBatches(data: Dataset, options: TrainOptions, seed: number, step: number): Batch[] {
  const { sequences, tokens, accumulate } = options.batch;
  const rand = seedrandom.alea(`repscope/train/windows/${seed}/${step}`);
  const window = tokens + 1;
  const out: Batch[] = [];
  for (let m = 0; m < accumulate; m++) {
    const windows: Uint16Array[] = [];
    for (let r = 0; r < sequences; r++) {
      let at = Math.floor(rand() * data.trainTokens);
      let seg = 0;
      while (at >= data.train[seg]!.length) at -= data.train[seg++]!.length;
      const part = data.train[seg]!;
      const start = Math.floor(rand() * (part.length - window + 1));
      windows.push(part.subarray(start, start + window));
    }
    out.push(batchFrom(windows, tokens));
  }
  return out;
}

/** The fixed held-out windows every evaluation uses (non-overlapping, in a seeded order). */
export function evalBatches(data: Dataset, options: TrainOptions, seed: number): Batch[] {
  const { sequences, tokens } = options.batch;
  const window = tokens + 1;
  const all: Uint16Array[] = [];
  for (const part of data.heldOut) for (let s = 0; s + window <= part.length; s += window) all.push(part.subarray(s, s + window));
  const order = shuffled(all.length, seedrandom.alea(`repscope/train/eval/${seed}`));
  const wanted = Math.min(all.length, options.eval.batches * sequences);
  const picked = order.slice(0, wanted).map((i) => all[i]!);
  const out: Batch[] = [];
  for (let i = 0; i < picked.length; i += sequences) out.push(batchFrom(picked.slice(i, i + sequences), tokens));
  return out;
}
