import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensorsHeader, type Plugin } from '@repscope/core';
import { assertPluginConformance, readHeadline, runPluginConfig } from '@repscope/core/testing';
import inversion from '@repscope/plugin-inversion';
import walks from '@repscope/plugin-walks';
import featureViz from '@repscope/plugin-feature-viz';
import train from '../index';

const plugin = train as unknown as Plugin<Record<string, unknown>>;
const CLI = path.resolve(__dirname, '..', '..', '..', 'core', 'dist', 'cli', 'bin.js');

describe('train plugin', () => {
  test('passes the conformance kit', async () => {
    await assertPluginConformance(plugin, { nondeterministicKeys: ['tokensPerSecond'] });
  }, 120_000);

  // The learning test: a tiny model, ~400 steps (a minute or two on 2 idle cores). It first
  // learns the unigram distribution and sits on that plateau until ~step 250 before using
  // context (measured here: held-out 5.75 at 100, 5.69 at 200, 5.06 at 300; entropy 5.6).
  let finalDir = '';
  test('a tiny model on the synthetic corpus ends below the corpus\'s unigram entropy', async () => {
    const run = await runPluginConfig(plugin, {
      model: { kind: 'gpt2', config: { nLayer: 2, nEmbd: 64, nHead: 4, nPositions: 32 } },
      data: { synthetic: { sentences: 4000 } },
      steps: 400,
      batch: { sequences: 8, tokens: 32 },
      optimizer: { lr: 0.01, schedule: { kind: 'warmup-cosine', warmup: 20 } },
      eval: { every: 100, batches: 4, continuation: 8 },
      checkpoints: { every: 200 },
      logEvery: 20,
    });
    const s = run.summary;
    expect(s['unigramEntropy']).toBeGreaterThan(4);
    expect(s['evalLoss']).toBeLessThan(s['unigramEntropy'] as number);
    expect(s['beatsUnigram']).toBe(true);
    // The first logged loss (mean of steps 1–20) is far above where training ends.
    const first = run.metrics.find((m) => typeof m['loss'] === 'number')!;
    expect(first['loss']).toBeGreaterThan((s['evalLoss'] as number) + 2);
    expect(s['checkpoints']).toEqual([
      { path: 'checkpoints/step-000200', step: 200, evalLoss: expect.any(Number) },
      { path: 'final', step: 400, evalLoss: s['evalLoss'] },
    ]);
    // The report opens with the answer: held-out loss against the unigram entropy, and the latest sample.
    const head = readHeadline(run.read('report.html'))!;
    expect(head).toMatchObject({
      beforeSummary: true,
      verdict: 'good',
      answer: `Held-out loss ${(s['evalLoss'] as number).toFixed(2)} nats beats the unigram entropy ${(s['unigramEntropy'] as number).toFixed(2)} nats at step 400.`,
      texts: { 'sample, step 400': s['finalSample'] },
    });
    expect(Object.keys(head.facts)).toEqual(['held-out loss (nats)', 'unigram entropy (nats)', 'held-out perplexity', 'training loss (nats)', 'tokens seen', 'parameters']);
    expect(s['summaryRoles']).toMatchObject({ msPerStep: 'bookkeeping', tokensPerSecond: 'bookkeeping', heldOutOverlap: 'bookkeeping' });
    finalDir = path.join(run.dir, 'final');
    const header = readSafetensorsHeader(path.join(finalDir, 'model.safetensors'));
    expect(header.entries.get('h.1.mlp.c_fc.weight')!.shape).toEqual([64, 256]);
    expect(header.entries.has('lm_head.weight')).toBe(false);
    const config = JSON.parse(fs.readFileSync(path.join(finalDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 2, n_embd: 64, vocab_size: 50257, tie_word_embeddings: true });
  }, 1_800_000);

  test('its checkpoint loads in the inversion, walks and feature-viz plugins', async () => {
    expect(finalDir).not.toBe('');
    const inv = await runPluginConfig(inversion as unknown as Plugin<Record<string, unknown>>, {
      model: { kind: 'gpt2', weights: finalDir, depth: 1, head: false },
      input: { text: 'The cat saw a dog.' },
      steps: 20,
    });
    expect(inv.summary['tokenAccuracy']).toEqual(expect.any(Number));
    expect(inv.summary['outputDistance']).toEqual(expect.any(Number));
    const walk = await runPluginConfig(walks as unknown as Plugin<Record<string, unknown>>, {
      model: { kind: 'gpt2', weights: finalDir, depth: 2, head: false },
      walk: 'tangent',
      input: { text: 'The cat saw a dog.' },
      steps: 3,
    });
    expect(walk.outcome.status).toBe('completed');
    // Feature visualisation needs an image model: the trained stack behind a ViT stem of its width.
    const viz = await runPluginConfig(featureViz as unknown as Plugin<Record<string, unknown>>, {
      model: { kind: 'hybrid', vit: { config: { imageSize: 32, patchSize: 8, hiddenSize: 64, layers: 0, heads: 4, intermediateSize: 128 } }, gpt2: { weights: finalDir }, depth: 2 },
      panels: { neurons: [0, 1] },
      steps: 5,
    });
    expect(viz.outcome.status).toBe('completed');
    expect(viz.summary['model']).toEqual(expect.stringContaining('→ trained GPT-2 2/2 blocks'));
  }, 300_000);
});

// PyTorch is an optional tool here (Debian's python3-torch); without it this check is skipped, saying so.
const TORCH_PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0);
const BENCH = path.resolve(__dirname, '..', '..', '..', '..', 'bench');

describe('the checkpoint is a Hugging Face GPT-2 folder', () => {
  (TORCH_PYTHON ? test : test.skip)('an independent PyTorch GPT2LMHeadModel computation from its HF keys gives repscope\'s logits (skipped without python3-torch)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-hf-'));
    const straight = path.join(dir, 'run');
    const cfg = path.join(dir, 'c.yaml');
    fs.writeFileSync(cfg, 'experiment: train\nmodel: { kind: gpt2, config: { nLayer: 2, nEmbd: 16, nHead: 2, nPositions: 16 } }\ndata: { synthetic: { sentences: 300 } }\nsteps: 3\nbatch: { sequences: 2, tokens: 8 }\neval: { every: 3, batches: 1, continuation: 1 }\n');
    expect(spawnSync(process.execPath, [CLI, 'run', cfg, '--out', straight, '--progress', 'silent'], { encoding: 'utf8' }).status).toBe(0);
    const ids = '464,3797,2497,257,3290,13';
    const acts = path.join(dir, 'acts.safetensors');
    const a = spawnSync(process.execPath, [CLI, 'activations', '--model', 'gpt2', '--weights', path.join(straight, 'final'), '--tokens', ids, '--hooks', 'logits', '--out', acts], { encoding: 'utf8' });
    expect(a.status).toBe(0);
    const r = spawnSync(TORCH_PYTHON!, [path.join(BENCH, 'parity', 'check_hf_checkpoint.py'), path.join(straight, 'final'), acts, ids], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, tokens: 6 });
  }, 300_000);
});

describe('training matches PyTorch', () => {
  (TORCH_PYTHON ? test : test.skip)('first-step gradients of every tensor equal torch autograd\'s on the same weights and batch (skipped without python3-torch)', () => {
    const r = spawnSync(process.execPath, [path.join(BENCH, 'parity', 'train-parity.js'), TORCH_PYTHON!], { encoding: 'utf8', cwd: path.resolve(BENCH, '..') });
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(result).toMatchObject({ ok: true, steps: 4 });
    expect(result.gradientMaxRelDiff).toBeLessThan(1e-4);
    expect(result.finalWeightsMaxRelDiff).toBeLessThan(0.01);
  }, 300_000);
});

describe('kill and resume', () => {
  const config = [
    'experiment: train',
    'model: { kind: gpt2, config: { nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 16 } }',
    'data: { synthetic: { sentences: 300 } }',
    'steps: 8',
    'batch: { sequences: 2, tokens: 8, accumulate: 2 }',
    'optimizer: { lr: 0.01, schedule: { kind: warmup-cosine, warmup: 2 } }',
    'eval: { every: 4, batches: 1, continuation: 2 }',
    'checkpoints: { every: 2 }',
    'logEvery: 1',
  ].join('\n');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-resume-'));
  const file = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(file, config + '\n');
  const run = (out: string) => spawn(process.execPath, [CLI, 'run', file, '--out', out, '--progress', 'silent'], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const finish = (child: ReturnType<typeof run>) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    });

  test('re-running the same command after a SIGKILL continues from the last checkpoint and ends with the same weights', async () => {
    const straight = path.join(dir, 'straight');
    expect((await finish(run(straight))).code).toBe(0);

    const resumed = path.join(dir, 'resumed');
    const child = run(resumed);
    const done = finish(child);
    // Kill hard as soon as the first checkpoint is complete (its folder appears by rename, whole).
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (fs.existsSync(path.join(resumed, 'checkpoints', 'step-000002', 'train-state.json'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => (clearInterval(timer), reject(new Error('finished before it could be killed'))));
    });
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(fs.existsSync(path.join(resumed, 'summary.json'))).toBe(false);
    expect(fs.existsSync(path.join(resumed, 'final'))).toBe(false);

    const again = await finish(run(resumed));
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resuming from checkpoints\/step-0000\d\d \(step \d of 8\)/);
    for (const f of ['model.safetensors', 'optimizer.safetensors']) {
      expect(fs.readFileSync(path.join(resumed, 'final', f)).equals(fs.readFileSync(path.join(straight, 'final', f)))).toBe(true);
    }
    const steps = fs.readFileSync(path.join(resumed, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step as number);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const summary = JSON.parse(fs.readFileSync(path.join(resumed, 'summary.json'), 'utf8'));
    expect(summary.tokensSeen).toBe(8 * 2 * 8 * 2);
  }, 600_000);

  test('a run folder holding checkpoints of another config is refused', async () => {
    const other = path.join(dir, 'other.yaml');
    fs.writeFileSync(other, config.replace('steps: 8', 'steps: 9') + '\n');
    const unfinished = path.join(dir, 'unfinished');
    fs.cpSync(path.join(dir, 'straight'), unfinished, { recursive: true });
    fs.rmSync(path.join(unfinished, 'summary.json'));
    const child = spawn(process.execPath, [CLI, 'run', other, '--out', unfinished, '--progress', 'silent'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await finish(child as ReturnType<typeof run>);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/holds checkpoints of a different config \(final\); re-run the same command or choose another --out/);
  }, 120_000);
});
