import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gpt2Tokenizer, loadModel, createBuiltinRegistries } from '@repscope/core/testing';
import { isTokenModel, tf } from '@repscope/core';

const CLI = path.resolve(__dirname, '..', '..', '..', 'core', 'dist', 'cli', 'bin.js');

/** Over GPT-2's full vocabulary, a model trained here records which tokens its text held. */
describe('a full-vocabulary checkpoint trained here says which tokens it was trained on', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-counts-'));
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 120_000 });
  const file = path.join(dir, 'synthetic.yaml');
  fs.writeFileSync(
    file,
    'experiment: train\nmodel: { kind: gpt2, config: { nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 16 } }\ndata: { synthetic: { sentences: 300 } }\nsteps: 2\nbatch: { sequences: 2, tokens: 8 }\neval: { every: 2, batches: 1, continuation: 2, prompt: "The sky is blue." }\n',
  );
  const out = path.join(dir, 'run');
  const final = path.join(out, 'final');
  let run: ReturnType<typeof cli>;
  beforeAll(() => {
    run = cli(['run', file, '--out', out, '--progress', 'silent']);
  });

  test('token-counts.json beside config.json, the training split\'s counts; eval.prompt tokens outside the text are warned about', () => {
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/warning: eval\.prompt "The sky is blue\." has tokens "␣sky", "␣is" that never occur in the training text; the model's rows for them stay untrained/);
    const counts = JSON.parse(fs.readFileSync(path.join(final, 'token-counts.json'), 'utf8'));
    expect(counts).toMatchObject({ format: 'repscope-token-counts/1', tokenizer: 'gpt2 (r50k_base)' });
    expect(counts.ids.length).toBe(counts.counts.length);
    expect(counts.ids).toEqual([...counts.ids].sort((a: number, b: number) => a - b));
    expect(counts.ids).toContain(gpt2Tokenizer.encode(' cat')[0]);
    expect(counts.ids).not.toContain(gpt2Tokenizer.encode(' sky')[0]); // the synthetic grammar has no sky (nor "is")
    expect(fs.existsSync(path.join(final, 'vocab-map.json'))).toBe(false);
  });

  test('the model reads it: untrained prompt tokens are warned about in the run, and pinv-trained returns only tokens of the text', async () => {
    const cfg = path.join(dir, 'inv.yaml');
    fs.writeFileSync(cfg, `experiment: inversion\nmodel: { kind: gpt2, weights: ${JSON.stringify(final)}, depth: 1 }\ninput: { text: "The sky is blue." }\nsteps: 2\ndecode: { decoder: pinv-trained }\n`);
    const r = cli(['run', cfg, '--out', path.join(dir, 'inv'), '--progress', 'silent']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: the input has tokens "␣sky", "␣is" that never occur in the model's training text \(.*token-counts\.json\); their embedding rows are untrained/);

    const model = await loadModel({ kind: 'gpt2', weights: final, depth: 1 }, { backend: 'cpu' });
    const decoder = await createBuiltinRegistries().decoders.get('pinv-trained').create(model as never);
    try {
      if (!isTokenModel(model)) throw new Error('not a token model');
      const seen = new Set<number>(JSON.parse(fs.readFileSync(path.join(final, 'token-counts.json'), 'utf8')).ids);
      const x = tf.randomNormal([2, 16, model.dModel], 0, 1, 'float32', 1) as tf.Tensor3D;
      const decoded = await decoder.decode(x, 4);
      x.dispose();
      for (const id of decoded.topK.flat(2).map((c) => c.id)) expect(seen.has(id)).toBe(true);
    } finally {
      decoder.dispose();
      model.dispose();
    }
  });
});
