import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensorsHeader, readTensorF32, tf, writeSafetensors, type Plugin } from '@repscope/core';
import { readHeadline, runPluginConfig } from '@repscope/core/testing';
import { layeredShardFiles } from '@repscope/test-support';
import inversion from '../index';

const plugin = inversion as unknown as Plugin<Record<string, unknown>>;
const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'models', 'test-data', 'gpt2-tiny');
const FIXTURE_TOKENS = [134, 413, 282, 199, 103, 111, 245];

interface Position {
  token: number;
  acceptedRank: number;
  rounds: number;
  candidatesTried: number;
  margin: number;
}

/** A copy of the fixture whose token(s) `twin` sit a hair from `token`, towards the mean row. */
function fixtureWithTwin(token: number, twin: number | number[], fraction: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-'));
  fs.copyFileSync(path.join(FIXTURE, 'config.json'), path.join(dir, 'config.json'));
  const header = readSafetensorsHeader(path.join(FIXTURE, 'model.safetensors'));
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, entry] of header.entries) tensors[name] = { shape: entry.shape, data: readTensorF32(header, entry) };
  const wte = tensors['wte.weight'] ?? tensors['transformer.wte.weight'];
  const [rows, d] = wte!.shape as [number, number];
  const mean = new Float32Array(d);
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) mean[j]! += wte!.data[r * d + j]! / rows;
  for (const row of [twin].flat()) {
    for (let j = 0; j < d; j++) {
      const a = wte!.data[token * d + j]!;
      wte!.data[row * d + j] = a + fraction * (mean[j]! - a);
    }
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  return dir;
}

/** A twin fixture and where the nearest ranking from the mean row (no proposal steps) puts the twins and the token. */
function twinsRanked(token: number, twins: number[], fraction = 0.002): { twins: number[]; dir: string; twinRank: number; tokenRank: number } {
  const dir = fixtureWithTwin(token, twins, fraction);
  const header = readSafetensorsHeader(path.join(dir, 'model.safetensors'));
  const entry = header.entries.get('wte.weight') ?? header.entries.get('transformer.wte.weight');
  const wte = readTensorF32(header, entry!);
  const [rows, d] = entry!.shape as [number, number];
  const mean = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) mean[j]! += wte[r * d + j]! / rows;
  const distance = (r: number) => Math.hypot(...Array.from({ length: d }, (_, j) => wte[r * d + j]! - mean[j]!));
  const rankOf = (r: number) => 1 + Array.from({ length: rows }, (_, q) => q).filter((q) => distance(q) < distance(r)).length;
  return { twins, dir, twinRank: rankOf(twins[0]!), tokenRank: rankOf(token) };
}

/**
 * The fixture sharded by layer (embeddings, block 0, block 1, ln_f) with only the first two
 * shards present: what a depth-1 download of a sharded checkpoint leaves (issue 18).
 */
function firstBlockSnapshot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'first-block-'));
  for (const [name, bytes] of Object.entries(layeredShardFiles(FIXTURE))) {
    if (!/model-0000[34]-of-00004\.safetensors$/.test(name)) fs.writeFileSync(path.join(dir, name), bytes);
  }
  return dir;
}

describe('sequential inversion', () => {
  test('a wrong first guess is rejected and the true token accepted in a later round', async () => {
    // No proposal steps and one candidate in the first round: the first guess is the row
    // nearest the mean embedding, which is not the prompt's token.
    const run = await runPluginConfig(plugin, {
      model: { kind: 'gpt2', weights: FIXTURE, depth: 2 },
      method: 'sequential',
      input: { tokens: FIXTURE_TOKENS },
      sequential: { ranking: 'nearest', proposalSteps: 0, firstBatch: 1 },
    });
    expect(run.summary['tokens']).toEqual(FIXTURE_TOKENS);
    const positions = run.summary['positions'] as Position[];
    const retried = positions.filter((p) => p.rounds > 1);
    expect(retried.length).toBeGreaterThan(0);
    for (const p of retried) expect(p.acceptedRank).toBeGreaterThan(1);
    // The headline: every position recovered, with the candidates it verified under its token.
    const head = readHeadline(run.read('report.html'))!;
    expect(head).toMatchObject({ verdict: 'good', answer: `Recovered the prompt exactly (7 of 7 tokens), verifying ${run.summary['candidatesTriedTotal']} candidates.` });
    const shown = head.tokens['recovered']!;
    expect(shown.map((t) => t.mark)).toEqual(FIXTURE_TOKENS.map(() => 'right'));
    expect(shown.map((t) => t.note)).toEqual(positions.map((p) => `${p.candidatesTried} tried`));
    expect(shown[0]!.title).toBe(`id ${FIXTURE_TOKENS[0]} · recovered; accepted as candidate ${positions[0]!.acceptedRank} · ${positions[0]!.candidatesTried} tried`);
    expect(head.tokens['target']!.map((t) => t.title)).toEqual(FIXTURE_TOKENS.map((id) => `id ${id}`));
    expect(head.facts['candidates verified']).toBe(String(run.summary['candidatesTriedTotal']));
  });

  test('of two candidates within ε in one round, the closer one is accepted, and the margin says how close the other came', async () => {
    const [token, twin] = [FIXTURE_TOKENS[2]!, 7];
    const dir = fixtureWithTwin(token, twin, 0.002);
    const run = await runPluginConfig(plugin, {
      model: { kind: 'gpt2', weights: dir, depth: 2 },
      method: 'sequential',
      input: { tokens: FIXTURE_TOKENS },
      sequential: { ranking: 'nearest', epsilon: 0.05, proposalSteps: 0, firstBatch: 300 },
    });
    expect(run.summary['tokens']).toEqual(FIXTURE_TOKENS);
    const at = (run.summary['positions'] as Position[])[2]!;
    // The twin's state differs from the target by far less than ε, so accepting the first
    // candidate within ε would have taken it; the margin is its error over ~0.
    expect(at.token).toBe(token);
    expect(at.margin).toBeGreaterThan(100);
  });

  test('the default ε rejects a wrong token whose state lies within 0.1 % of the target (1e-3 took it), and the true token is accepted a round later', async () => {
    // A twin 0.2 % of the way from the prompt's token towards the mean row: its state is 5.4e-4
    // of ‖h*‖ away (measured). The nearest ranking from the mean row (no proposal steps) must
    // reach it before the token: the first twin id for which it does, and a first round ending at it.
    const token = FIXTURE_TOKENS[2]!;
    const setup = [7, 8, 9, 10, 11, 12].map((twin) => twinsRanked(token, [twin])).find((c) => c.twinRank < c.tokenRank && c.tokenRank <= 5 * c.twinRank)!;
    expect(setup).toBeDefined();
    const config = (epsilon?: number) => ({
      model: { kind: 'gpt2', weights: setup.dir, depth: 2 },
      method: 'sequential',
      input: { tokens: FIXTURE_TOKENS.slice(0, 3) },
      sequential: { ranking: 'nearest', proposalSteps: 0, firstBatch: setup.twinRank, ...(epsilon ? { epsilon } : {}) },
    });
    const loose = await runPluginConfig(plugin, config(1e-3));
    expect((loose.summary['positions'] as Position[])[2]).toMatchObject({ token: setup.twins[0], rounds: 1 });
    // The twin it took is marked wrong in the headline, naming the token that belonged there.
    const looseHead = readHeadline(loose.read('report.html'))!;
    expect(looseHead.tokens['recovered']!.map((t) => t.mark)).toEqual(['right', 'right', 'wrong']);
    const tried = (loose.summary['positions'] as Position[])[2]!.candidatesTried;
    expect(looseHead.tokens['recovered']![2]!.title).toBe(`id ${setup.twins[0]} · expected #${token} (id ${token}) · ${tried} tried`);
    expect(looseHead).toMatchObject({ verdict: 'bad', answer: '2 of 3 tokens recovered.' });
    const strict = await runPluginConfig(plugin, config());
    expect(strict.summary['tokens']).toEqual(FIXTURE_TOKENS.slice(0, 3));
    expect((strict.summary['positions'] as Position[])[2]).toMatchObject({ token, rounds: 2, acceptedRank: setup.tokenRank });
  });

  test('two candidates within ε that do not stand apart are not accepted: the search goes on to the true token (acceptMargin 1 took one)', async () => {
    // Two identical twins 0.2 % from the token: both within ε = 0.05 of h*, with the same error,
    // so their margin is 1. The first round ends at them; the token comes a round later.
    const token = FIXTURE_TOKENS[2]!;
    const setup = [[7, 8], [9, 10], [11, 12], [13, 14]].map((twins) => twinsRanked(token, twins)).find((c) => c.twinRank + 1 < c.tokenRank && c.tokenRank <= 5 * (c.twinRank + 1))!;
    expect(setup).toBeDefined();
    const config = (acceptMargin?: number) => ({
      model: { kind: 'gpt2', weights: setup.dir, depth: 2 },
      method: 'sequential',
      input: { tokens: FIXTURE_TOKENS.slice(0, 3) },
      sequential: { ranking: 'nearest', epsilon: 0.05, proposalSteps: 0, firstBatch: setup.twinRank + 1, ...(acceptMargin ? { acceptMargin } : {}) },
    });
    const first = await runPluginConfig(plugin, config(1));
    expect(setup.twins).toContain((first.summary['positions'] as Position[])[2]!.token);
    const apart = await runPluginConfig(plugin, config());
    expect(apart.summary['tokens']).toEqual(FIXTURE_TOKENS.slice(0, 3));
    const at = (apart.summary['positions'] as Position[])[2]!;
    expect(at).toMatchObject({ token, rounds: 2, acceptedRank: setup.tokenRank });
    expect(at.margin).toBeGreaterThan(10);
  });

  test.each(['nearest', 'normalized', 'gradient', 'prior', 'exhaustive', 'auto'])('ranking %s recovers the fixture sentence exactly, with the cached prefix', async (ranking) => {
    // The prior: the fixture itself with its head, reading token 0 before the prefix (its vocabulary has no 50256).
    const prior = ranking === 'prior' ? { prior: { kind: 'gpt2', weights: FIXTURE, head: true }, priorContext: [0] } : {};
    const run = await runPluginConfig(plugin, {
      model: { kind: 'gpt2', weights: FIXTURE, depth: 2, head: true, finalNorm: false },
      method: 'sequential',
      input: { tokens: FIXTURE_TOKENS },
      sequential: { ranking, ...prior },
    });
    expect(run.summary['tokens']).toEqual(FIXTURE_TOKENS);
    expect(run.summary['ranking']).toBe(ranking);
    const positions = run.summary['positions'] as Position[];
    expect(run.summary['maxCandidatesTried']).toBe(Math.max(...positions.map((p) => p.candidatesTried)));
    expect(positions.every((p) => p.margin > 1)).toBe(true);
    // The fixture's 512 tokens cost far less than auto's budget: auto verifies all of them. Its
    // vocabulary has no tokenizer, so auto has no document-start token to start its own prior.
    if (ranking === 'exhaustive' || ranking === 'auto') expect(positions.every((p) => p.candidatesTried === 512 && p.acceptedRank === 1)).toBe(true);
    else expect(run.summary['exhaustivePositions']).toBe(0);
    expect(run.summary['rankingUsed']).toBe(ranking === 'auto' ? 'exhaustive' : ranking);
    if (ranking === 'auto') expect(run.summary['priorUnavailable']).toBe("the model's tokenizer names no document-start token (BOS or EOS) for the prior to read first; give sequential.priorContext");
  }, 60_000);

  test("auto ranks by the checkpoint's own next-token order (every block and its head, whatever depth is inverted) for priorShortlist candidates, then verifies every remaining token; it reads no tensor synchronously", async () => {
    // Where the webgpu backend stops: a synchronous read. Made to throw on every backend here.
    const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
    const saved = Object.fromEntries(['dataSync', 'arraySync', 'bufferSync'].map((k) => [k, proto[k]]));
    for (const k of Object.keys(saved)) proto[k] = () => { throw new Error(`synchronous read (${k})`); };
    let run;
    try {
      run = await runPluginConfig(plugin, {
        model: { kind: 'gpt2', weights: FIXTURE, depth: 1 },
        method: 'sequential',
        input: { tokens: FIXTURE_TOKENS },
        // The fixture's vocabulary has no tokenizer (so no document-start token): read token 0 first.
        sequential: { priorContext: [0], priorShortlist: 160 },
      });
    } finally {
      Object.assign(proto, saved);
    }
    const s = run.summary;
    expect(s['tokens']).toEqual(FIXTURE_TOKENS);
    expect(s).toMatchObject({ ranking: 'auto', rankingUsed: 'prior', priorSource: 'model', priorContext: [0], priorShortlist: 160 });
    expect(s['prior']).toMatch(/2\/2 blocks, ln_f \+ LM head$/);
    expect(s['priorUnavailable']).toBeUndefined();
    const positions = s['positions'] as (Position & { exhaustive: boolean })[];
    // The fixture is untrained: its prior ranks most true tokens deep, so both paths are taken.
    const ranked = positions.filter((p) => !p.exhaustive);
    const bulk = positions.filter((p) => p.exhaustive);
    expect(ranked.length).toBeGreaterThan(0);
    expect(bulk.length).toBeGreaterThan(0);
    for (const p of ranked) expect(p.candidatesTried).toBeLessThanOrEqual(160);
    // The shortlist spent (rounds of 8, 32, 120), every other token at once: the true token is the best of them.
    for (const p of bulk) expect(p).toMatchObject({ candidatesTried: 512, acceptedRank: 161, rounds: 4 });
    expect(s['exhaustivePositions']).toBe(bulk.length);
  }, 60_000);

  test('auto without the later blocks (a depth-limited copy) says why it has no prior, and stays exact without one', async () => {
    const run = await runPluginConfig(plugin, {
      model: { kind: 'gpt2', weights: firstBlockSnapshot(), depth: 1 },
      method: 'sequential',
      input: { tokens: FIXTURE_TOKENS.slice(0, 4) },
      sequential: { priorContext: [0] },
    });
    expect(run.summary['tokens']).toEqual(FIXTURE_TOKENS.slice(0, 4));
    expect(run.summary).toMatchObject({ ranking: 'auto', rankingUsed: 'exhaustive' });
    expect(run.summary['priorUnavailable']).toMatch(/^the model with every block and its LM head could not be built: .*model-00003-of-00004\.safetensors, which this folder does not have/);
  }, 60_000);

  test('auto without a prior says why: an untrained model, autoPrior false; with sequential.prior it ranks by that one', async () => {
    const untrained = await runPluginConfig(plugin, {
      model: { kind: 'gpt2', config: { vocabSize: 64, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2 }, head: true },
      method: 'sequential',
      input: { tokens: [3, 14, 15, 9] },
    });
    expect(untrained.summary['tokens']).toEqual([3, 14, 15, 9]);
    expect(untrained.summary).toMatchObject({ ranking: 'auto', rankingUsed: 'exhaustive', priorUnavailable: 'the model is untrained (no weights): its next-token order says nothing about the input' });
    const off = await runPluginConfig(plugin, {
      model: { kind: 'gpt2', weights: FIXTURE, depth: 1 },
      method: 'sequential',
      input: { tokens: FIXTURE_TOKENS.slice(0, 3) },
      sequential: { priorContext: [0], autoPrior: false, exhaustiveBudget: 0 },
    });
    expect(off.summary['tokens']).toEqual(FIXTURE_TOKENS.slice(0, 3));
    expect(off.summary).toMatchObject({ rankingUsed: 'nearest', priorUnavailable: 'sequential.autoPrior is false' });
    const given = await runPluginConfig(plugin, {
      model: { kind: 'gpt2', weights: FIXTURE, depth: 1 },
      method: 'sequential',
      input: { tokens: FIXTURE_TOKENS.slice(0, 3) },
      sequential: { prior: { kind: 'gpt2', weights: FIXTURE, depth: 1, head: true }, priorContext: [0] },
    });
    expect(given.summary['tokens']).toEqual(FIXTURE_TOKENS.slice(0, 3));
    // The shortlist (4096 by default) is at most the vocabulary.
    expect(given.summary).toMatchObject({ rankingUsed: 'prior', priorSource: 'sequential.prior', priorShortlist: 512 });
    expect(given.summary['prior']).toMatch(/1\/2 blocks/);
  }, 60_000);
});
