import * as path from 'node:path';
import type { Plugin } from '@repscope/core';
import { gpt2Tokenizer, runPluginConfig } from '@repscope/core/testing';
import inversion from '@repscope/plugin-inversion';
import train from '../index';

const trainPlugin = train as unknown as Plugin<Record<string, unknown>>;
const inversionPlugin = inversion as unknown as Plugin<Record<string, unknown>>;

interface Position {
  acceptedRank: number;
  candidatesTried: number;
  exhaustive: boolean;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
}

// Sequential inversion with default settings on a checkpoint trained here (2 blocks × 32, 60
// steps; ~15 s of CPU), inverting its first block only: `auto` ranks by the checkpoint's own
// next-token order (both blocks, the final norm and the head), reading <|endoftext|> first, and
// verifies every token only where that order's shortlist is spent.
describe('sequential inversion with default settings on a model trained here', () => {
  let weights = '';
  const sentence = 'The old teacher saw a small dog near the river.';
  const ids = gpt2Tokenizer.encode(sentence);
  const invert = (sequential?: Record<string, unknown>) =>
    runPluginConfig(inversionPlugin, { model: { kind: 'gpt2', weights, depth: 1, head: false }, method: 'sequential', input: { text: sentence }, ...(sequential ? { sequential } : {}) });

  beforeAll(async () => {
    const run = await runPluginConfig(trainPlugin, {
      model: { kind: 'gpt2', config: { nLayer: 2, nEmbd: 32, nHead: 2, nPositions: 32 } },
      data: { synthetic: { sentences: 2000 } },
      steps: 60,
      batch: { sequences: 4, tokens: 16 },
      optimizer: { lr: 0.01, schedule: { kind: 'warmup-cosine', warmup: 20 } },
      eval: { every: 60, batches: 1, continuation: 1 },
      checkpoints: { every: 60 },
      logEvery: 20,
    });
    weights = path.join(run.dir, 'final');
  }, 600_000);

  test("defaults only: exact, by the model's own prior, with a median of at most 1 % of the vocabulary in candidates per position", async () => {
    const run = await invert();
    const s = run.summary;
    expect(s['tokens']).toEqual(ids);
    expect(s['exactMatch']).toBe(true);
    expect(s).toMatchObject({ ranking: 'auto', rankingUsed: 'prior', priorSource: 'model', priorContext: [50256], priorShortlist: 4096 });
    expect(s['prior']).toMatch(/2\/2 blocks, ln_f \+ LM head$/);
    const positions = s['positions'] as Position[];
    // Measured: 168, 40, 680, 680, 40, 168, 680, 168, 40, 168, 8 (median 168; 1 % is 502).
    expect(median(positions.map((p) => p.candidatesTried))).toBeLessThanOrEqual(0.01 * 50257);
    expect(s['exhaustivePositions']).toBe(0);
    // The margin rule held at every position: no position took the best candidate only because nothing was left.
    expect(s['minMargin']).toBeGreaterThanOrEqual(10);
  }, 300_000);

  test('the old default (autoPrior false: every token verified, this model being small) takes over 100 times the candidates', async () => {
    const fast = await invert();
    const old = await invert({ autoPrior: false });
    expect(old.summary['tokens']).toEqual(ids);
    expect(old.summary).toMatchObject({ rankingUsed: 'exhaustive', priorUnavailable: 'sequential.autoPrior is false', exhaustivePositions: ids.length });
    expect(old.summary['candidatesTriedTotal']).toBe(50257 * ids.length);
    expect(old.summary['candidatesTriedTotal'] as number).toBeGreaterThan(100 * (fast.summary['candidatesTriedTotal'] as number));
  }, 300_000);
});
