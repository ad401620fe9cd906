import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Plugin } from '@repscope/core';
import { loadModel, runPluginConfig } from '@repscope/core/testing';
import inversion from '@repscope/plugin-inversion';
import walks from '@repscope/plugin-walks';

const CLI = path.resolve(__dirname, '..', '..', '..', 'core', 'dist', 'cli', 'bin.js');
const BENCH = path.resolve(__dirname, '..', '..', '..', '..', 'bench');
const asPlugin = (p: unknown) => p as Plugin<Record<string, unknown>>;

// A tiny model on the first 8 Brown texts, over their 200 most frequent tokens: seconds on 2 cores.
const CONFIG = [
  'experiment: train',
  'model: { kind: gpt2, config: { nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 16 } }',
  'data: { corpus: brown, documents: 8, heldOut: 0.1 }',
  'vocab: { top: 200 }',
  'steps: 4',
  'batch: { sequences: 2, tokens: 16 }',
  'optimizer: { lr: 0.01, schedule: { kind: warmup-cosine, warmup: 1 } }',
  'eval: { every: 2, batches: 1, continuation: 4, prompt: "The sky is blue." }',
  'checkpoints: { every: 2 }',
  'logEvery: 1',
].join('\n');
/** Text every token of which is among those 200 (the, of, jury, said, …). */
const INSIDE = 'The jury said that the';

describe('training over a reduced vocabulary', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-vocab-'));
  const env = { ...process.env, REPSCOPE_CACHE: path.join(dir, 'cache'), FORCE_COLOR: '0' };
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env, timeout: 120_000 });
  const file = path.join(dir, 'brown.yaml');
  fs.writeFileSync(file, CONFIG + '\n');
  const straight = path.join(dir, 'straight');
  const final = path.join(straight, 'final');
  let straightRun: ReturnType<typeof cli>;
  beforeAll(() => {
    straightRun = cli(['run', file, '--out', straight, '--progress', 'silent']);
  });

  test('every checkpoint carries the map beside config.json; the run says how much is unknown and that the prompt leaves the vocabulary', () => {
    expect(straightRun.status).toBe(0);
    expect(straightRun.stderr).toMatch(/vocabulary: the 20\d most frequent training tokens and one unknown token \(20\d rows\); \d+\.\d\d% of the training tokens are unknown/);
    expect(straightRun.stderr).toMatch(/warning: eval\.prompt "The sky is blue\." has tokens? "␣sky".* outside the reduced vocabulary \(the 20\d most frequent training tokens\); the model reads (it|them) as ⁇/);
    const map = fs.readFileSync(path.join(final, 'vocab-map.json'), 'utf8');
    const parsed = JSON.parse(map);
    expect(parsed).toMatchObject({ format: 'repscope-vocab-map/1', tokenizer: 'gpt2 (r50k_base)', unknown: parsed.ids.length });
    expect(parsed.counts).toHaveLength(parsed.ids.length + 1);
    expect(fs.readFileSync(path.join(straight, 'checkpoints', 'step-000002', 'vocab-map.json'), 'utf8')).toBe(map);
    for (const ckpt of [final, path.join(straight, 'checkpoints', 'step-000002')]) {
      expect(JSON.parse(fs.readFileSync(path.join(ckpt, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'gpt2', vocab_size: parsed.ids.length + 1 });
      expect(fs.existsSync(path.join(ckpt, 'token-counts.json'))).toBe(false);
    }
    const summary = JSON.parse(fs.readFileSync(path.join(straight, 'summary.json'), 'utf8'));
    expect(summary.vocabSize).toBe(parsed.ids.length + 1);
    expect(summary.unknownShare).toBeGreaterThan(0.2);
    expect(summary.unknownShare).toBeLessThan(0.6);
    expect(summary.unknownShare).toBeCloseTo(parsed.counts.at(-1) / parsed.counts.reduce((a: number, c: number) => a + c, 0), 12);
    // The prompt's unknown tokens show as ⁇; the greedy continuation never picks the unknown token.
    expect(summary.finalSample.startsWith('The⁇ is⁇.')).toBe(true);
    expect(summary.finalSample.slice('The⁇ is⁇.'.length)).not.toContain('⁇');
    expect(fs.readFileSync(path.join(straight, 'report.html'), 'utf8')).toContain('losses, perplexity and the unigram entropy are over these');
  });

  test('an interrupted run resumes from its last checkpoint and ends as the uninterrupted one did, map included', () => {
    const resumed = path.join(dir, 'resumed');
    fs.cpSync(straight, resumed, { recursive: true });
    fs.rmSync(path.join(resumed, 'summary.json'));
    fs.rmSync(path.join(resumed, 'final'), { recursive: true });
    const r = cli(['run', file, '--out', resumed, '--progress', 'silent']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('resuming from checkpoints/step-000002 (step 2 of 4)');
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'vocab-map.json', 'config.json']) {
      expect(fs.readFileSync(path.join(resumed, 'final', f)).equals(fs.readFileSync(path.join(final, f)))).toBe(true);
    }
  });

  test('the checkpoint loads with kind auto and reads and writes text through the map', async () => {
    const model = await loadModel({ kind: 'auto', weights: final, head: true }, { backend: 'cpu' });
    try {
      const t = (model as unknown as { tokenizer: import('@repscope/core').Tokenizer }).tokenizer;
      const ids = t.encode(INSIDE);
      expect(ids.every((id) => id < t.trained!.unknown!)).toBe(true);
      expect(t.decode(ids)).toBe(INSIDE);
      expect(t.decode([...ids, t.trained!.unknown!])).toBe(`${INSIDE}⁇`);
    } finally {
      model.dispose();
    }
  });

  test('inversion (gradient with pinv-trained, and sequential) and walks run on it and show text through the map', async () => {
    const grad = await runPluginConfig(asPlugin(inversion), {
      model: { kind: 'auto', weights: final, depth: 1, head: false },
      input: { text: INSIDE },
      steps: 3,
      decode: { decoder: 'pinv-trained', topK: 3 },
    });
    const unknown = JSON.parse(fs.readFileSync(path.join(final, 'vocab-map.json'), 'utf8')).unknown as number;
    expect(grad.summary['targetText']).toBe(INSIDE);
    expect(typeof grad.summary['decoded']).toBe('string');
    const snaps = JSON.parse(grad.read('snapshots.json')) as { tokens: number[]; topK: { id: number }[][] }[];
    for (const s of snaps) for (const id of [...s.tokens, ...s.topK.flat().map((c) => c.id)]) expect(id).not.toBe(unknown);
    const seq = await runPluginConfig(asPlugin(inversion), { model: { kind: 'gpt2', weights: final, depth: 1, head: false }, input: { text: INSIDE }, method: 'sequential' });
    expect(seq.summary['tokenAccuracy']).toBe(1);
    expect(seq.summary['decoded']).toBe(INSIDE);
    const walk = await runPluginConfig(asPlugin(walks), { model: { kind: 'auto', weights: final, depth: 1 }, walk: 'tangent', input: { text: INSIDE }, steps: 2 });
    expect(walk.outcome.status).toBe('completed');
  }, 120_000);

  test('a prompt with a token outside the vocabulary is refused before the run, in one line', () => {
    const cfg = path.join(dir, 'inv-outside.yaml');
    fs.writeFileSync(cfg, `experiment: inversion\nmodel: { kind: auto, weights: ${JSON.stringify(final)}, depth: 1 }\ninput: { text: "The sky is blue." }\nsteps: 2\n`);
    const r = cli(['validate', cfg]);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => l.includes('input.text'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/inv-outside\.yaml:3:\d+ input\.text: the input has tokens? "␣sky".* outside the model's reduced vocabulary \(.*vocab-map\.json\), which the model would read as its unknown token ⁇/);
  });

  test('a damaged map is refused before the run in one line naming the file and key (exit 2)', () => {
    const broken = path.join(dir, 'broken');
    fs.cpSync(final, broken, { recursive: true });
    const map = JSON.parse(fs.readFileSync(path.join(broken, 'vocab-map.json'), 'utf8'));
    map.ids[7] = 60000;
    fs.writeFileSync(path.join(broken, 'vocab-map.json'), JSON.stringify(map));
    const cfg = path.join(dir, 'inv-broken.yaml');
    fs.writeFileSync(cfg, `experiment: inversion\nmodel: { kind: gpt2, weights: ${JSON.stringify(broken)}, depth: 1 }\ninput: { text: "${INSIDE}" }\nsteps: 2\n`);
    const r = cli(['validate', cfg]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/model\.weights: .*broken\/vocab-map\.json: ids\[7\]: expected an integer in \[0, 50257\), got 60000/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  // PyTorch is optional here (Debian's python3-torch); without it this check is skipped, saying so.
  const torchPython = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0);
  (torchPython ? test : test.skip)('the reduced checkpoint is still a Hugging Face GPT-2 folder: PyTorch from its keys gives repscope\'s logits (skipped without python3-torch)', () => {
    const ids = '0,5,17,3,1';
    const acts = path.join(dir, 'acts.safetensors');
    expect(cli(['activations', '--model', 'gpt2', '--weights', final, '--tokens', ids, '--hooks', 'logits', '--out', acts]).status).toBe(0);
    const r = spawnSync(torchPython!, [path.join(BENCH, 'parity', 'check_hf_checkpoint.py'), final, acts, ids], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, tokens: 5 });
  });
});

test('resuming over changed text that rebuilds another vocabulary is refused, naming the checkpoint\'s map', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-vocab-resume-'));
  const env = { ...process.env, REPSCOPE_CACHE: path.join(dir, 'cache'), FORCE_COLOR: '0' };
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env, timeout: 120_000 });
  const words = (seed: number) => Array.from({ length: 400 }, (_, i) => ['alpha', 'beta', 'gamma', 'delta', 'omega', 'sigma'][(i * seed) % 6]).join(' ');
  fs.writeFileSync(path.join(dir, 'text.txt'), `${words(1)}\n`);
  const config = path.join(dir, 'files.yaml');
  fs.writeFileSync(config, CONFIG.replace('data: { corpus: brown, documents: 8, heldOut: 0.1 }', 'data: { files: ["text.txt"], heldOut: 0.1 }').replace('vocab: { top: 200 }', 'vocab: { top: 4 }').replace('steps: 4', 'steps: 6') + '\n');
  const out = path.join(dir, 'out');
  const first = cli(['run', config, '--out', out, '--progress', 'silent']);
  expect(first.status).toBe(0);
  fs.rmSync(path.join(out, 'final'), { recursive: true });
  fs.rmSync(path.join(out, 'summary.json'));
  // Other words, the same config: the top 4 tokens are others now.
  fs.writeFileSync(path.join(dir, 'text.txt'), `${words(1).replace(/alpha/g, 'zebra').replace(/beta/g, 'yak')}\n`);
  const again = cli(['run', config, '--out', out, '--progress', 'silent']);
  expect(again.status).toBe(2);
  expect(again.stderr).toMatch(/checkpoints.step-\d+.vocab-map\.json: the reduced vocabulary rebuilt from the data differs from the one the checkpoint was trained with/);
});
