import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Matrix, pseudoInverse } from 'ml-matrix';
import { useBackend } from '@repscope/test-support';
import type { TokenModel } from '../../model/types';
import { nearestCosineDecoder, nearestL2Decoder, pinvDecoder, scoreBudget } from '../builtin-decoders';
import { choleskyInverse, rowNorms } from '../embedding-cache';
import { embeddingHash } from '../gram-pinv-disk-cache';
import { scoreTopK } from '../host-kernels';
import { BLOCK_ROWS } from '../row-blocks';

/*
 * The decoders at large vocabularies work in pieces: W's rows in blocks (hash, norms, WᵀW),
 * query rows in chunks (scores), host loops on cpu. Each piece is checked here against a
 * straightforward whole-matrix reference on a small case that still crosses the piece
 * boundaries: 5000 rows (two full blocks and a partial one), an odd width, a score budget that
 * splits 21 query rows into 16 + 5.
 */

const VOCAB = 2 * BLOCK_ROWS + 904;
const D = 9;

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function embeddingModel(w: Float32Array, vocab: number, d: number, id: string): TokenModel {
  const tensor = tf.tensor2d(w, [vocab, d]);
  return {
    kind: 'test-embedding',
    description: 'W only',
    inputSpace: 'embeddings',
    outputHook: 'none',
    vocabSize: vocab,
    dModel: d,
    maxPositions: 64,
    embeddingId: id,
    tokenizer: undefined,
    tokenEmbeddingMatrix: () => tensor,
    positionEmbeddings: (n: number) => tf.zeros([n, d]) as tf.Tensor2D,
    hookPoints: () => [],
    forward: () => {
      throw new Error('not a network');
    },
    runWithCache: () => {
      throw new Error('not a network');
    },
    embed: () => {
      throw new Error('not used');
    },
    parameterCount: () => vocab * d,
    dispose: () => tensor.dispose(),
  };
}

/** Reference scores of one query row against every token, in float64, straight from the definitions. */
function referenceScores(name: string, x: Float64Array, w: Float32Array, pinv: Matrix | undefined): Float64Array {
  const out = new Float64Array(VOCAB);
  const xNorm = Math.hypot(...x);
  for (let v = 0; v < VOCAB; v++) {
    const row = w.subarray(v * D, (v + 1) * D);
    if (name === 'pinv') {
      let s = 0;
      for (let j = 0; j < D; j++) s += x[j]! * pinv!.get(j, v);
      out[v] = s;
    } else if (name === 'nearest-l2') {
      let s = 0;
      for (let j = 0; j < D; j++) s += (x[j]! - row[j]!) ** 2;
      out[v] = -s;
    } else {
      let dot = 0;
      for (let j = 0; j < D; j++) dot += x[j]! * row[j]!;
      out[v] = dot / (xNorm * Math.hypot(...row));
    }
  }
  return out;
}

function topIds(scores: Float64Array, k: number): number[] {
  return Array.from(scores.keys())
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, k);
}

describe.each(['cpu', 'wasm'] as const)('decoders at large vocabularies (%s)', (backend) => {
  const savedBudget = scoreBudget.floats;
  const savedCache = process.env['REPSCOPE_CACHE_DIR'];
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-large-vocab-'));
  beforeAll(async () => {
    await useBackend(backend);
    scoreBudget.floats = VOCAB * 16;
    process.env['REPSCOPE_CACHE_DIR'] = cacheDir;
  });
  afterAll(() => {
    scoreBudget.floats = savedBudget;
    if (savedCache === undefined) delete process.env['REPSCOPE_CACHE_DIR'];
    else process.env['REPSCOPE_CACHE_DIR'] = savedCache;
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  function case_(seed: number, repeatColumn: boolean): { w: Float32Array; x: Float32Array; model: TokenModel; pinv: Matrix } {
    const next = random(seed);
    const w = Float32Array.from({ length: VOCAB * D }, next);
    // A repeated column makes WᵀW singular: the Cholesky path must step aside for the SVD.
    if (repeatColumn) for (let v = 0; v < VOCAB; v++) w[v * D + D - 1] = w[v * D + D - 2]!;
    // 3 × 7 query rows: tokens 0, the block edges and the last, each plus noise, and random points.
    const ids = [0, BLOCK_ROWS - 1, BLOCK_ROWS, 2 * BLOCK_ROWS, VOCAB - 1, 17, 4095, 1, 2, 3];
    const x = new Float32Array(21 * D);
    for (let r = 0; r < 21; r++) {
      for (let j = 0; j < D; j++) x[r * D + j] = r < ids.length ? w[ids[r]! * D + j]! + 0.01 * next() : next();
      if (repeatColumn) x[r * D + D - 1] = x[r * D + D - 2]!;
    }
    const rows: number[][] = [];
    for (let v = 0; v < VOCAB; v++) rows.push(Array.from(w.subarray(v * D, (v + 1) * D)));
    const model = embeddingModel(w, VOCAB, D, `large-vocab-test:${backend}:${seed}:${repeatColumn}`);
    return { w, x, model, pinv: pseudoInverse(new Matrix(rows)) };
  }

  test.each([false, true])('every decoder, chunked, equals the whole-matrix reference (repeated column: %s)', async (repeatColumn) => {
    const { w, x, model, pinv } = case_(repeatColumn ? 2 : 1, repeatColumn);
    const k = 6;
    const embeddings = tf.tensor3d(x, [3, 7, D]);
    try {
      for (const kind of [pinvDecoder, nearestL2Decoder, nearestCosineDecoder]) {
        if (repeatColumn && kind !== pinvDecoder) continue;
        const decoder = await kind.create(model);
        const before = tf.memory().numTensors;
        const { ids, topK } = await decoder.decode(embeddings, k);
        expect(tf.memory().numTensors).toBe(before);
        decoder.dispose();
        for (let r = 0; r < 21; r++) {
          const ref = referenceScores(kind.name, Float64Array.from(x.subarray(r * D, (r + 1) * D)), w, pinv);
          const got = topK[Math.floor(r / 7)]![r % 7]!;
          expect(got.map((c) => c.id)).toEqual(topIds(ref, k));
          expect(ids[Math.floor(r / 7)]![r % 7]).toBe(got[0]!.id);
          const size = ref.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
          for (const c of got) expect(Math.abs(c.score - ref[c.id]!)).toBeLessThan(1e-5 * size);
        }
      }
    } finally {
      embeddings.dispose();
      model.dispose();
    }
  });

  test('norms and the disk-cache key are taken block by block and equal the whole-matrix ones', async () => {
    const { w, model } = case_(3, false);
    try {
      const norms = await rowNorms(model);
      const whole = tf.tidy(() => tf.norm(model.tokenEmbeddingMatrix(), 'euclidean', 1).dataSync());
      for (let v = 0; v < VOCAB; v++) expect(Math.abs(norms[v]! - whole[v]!)).toBeLessThan(1e-6);
      const decoder = await pinvDecoder.create(model);
      decoder.dispose();
      // The hash fed in blocks is the hash of W's bytes at once: caches written before still hit.
      expect(fs.existsSync(path.join(cacheDir, 'gram-pinv', `${embeddingHash(w, D)}.bin`))).toBe(true);
    } finally {
      model.dispose();
    }
  });
});

describe('host kernels', () => {
  test('scoreTopK ranks as tf.topk does, ties to the lower index, and applies column scale and bias', async () => {
    await useBackend('cpu');
    const next = random(7);
    const [vocab, d, rows] = [257, 3, 6];
    // Quantised values, so many scores tie exactly.
    const w = Float32Array.from({ length: vocab * d }, () => Math.round(next() * 4) / 4);
    const q = Float32Array.from({ length: rows * d }, () => Math.round(next() * 4) / 4);
    const scale = Float32Array.from({ length: vocab }, () => 1 + Math.round(next() * 2) / 2);
    const bias = Float32Array.from({ length: vocab }, () => Math.round(next() * 2) / 4);
    for (const k of [1, 5, vocab]) {
      const values = new Float32Array(rows * k);
      const indices = new Int32Array(rows * k);
      scoreTopK(w, vocab, d, q, rows, k, scale, bias, values, indices);
      const ref = tf.tidy(() => {
        const s = tf.add(tf.mul(tf.matMul(tf.tensor2d(q, [rows, d]), tf.tensor2d(w, [vocab, d]), false, true), tf.tensor1d(scale)), tf.tensor1d(bias));
        const top = tf.topk(s, k);
        return [top.values.dataSync(), top.indices.dataSync()];
      });
      expect(Array.from(indices)).toEqual(Array.from(ref[1]!));
      expect(Array.from(values)).toEqual(Array.from(ref[0]!));
    }
  });

  test('choleskyInverse inverts a positive definite matrix to float64 accuracy and refuses a singular one', () => {
    const next = random(11);
    const d = 40;
    const a = Array.from({ length: 3 * d * d }, next);
    const g = new Float64Array(d * d);
    for (let r = 0; r < 3 * d; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) g[i * d + j]! += a[r * d + i]! * a[r * d + j]!;
    const inv = choleskyInverse(g, d)!;
    let worst = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += g[i * d + k]! * inv[k * d + j]!;
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-10);
    const singular = Float64Array.from(g);
    for (let i = 0; i < d; i++) singular[i * d + d - 1] = singular[(d - 1) * d + i] = singular[i * d + d - 2]!;
    singular[(d - 1) * d + d - 1] = singular[(d - 2) * d + d - 2]!;
    expect(choleskyInverse(singular, d)).toBeUndefined();
  });
});
