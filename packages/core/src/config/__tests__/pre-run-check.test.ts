import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { openCheckpoint } from '@repscope/models';
import { builtinModelKind, checkParameterMemory } from '@repscope/models';
import { runCli } from '../../../test-support/cli';
import { GPT2_TINY, useBackend } from '@repscope/test-support';
import { tempDir, writePluginPackage, testPluginEntry } from '../../../test-support/plugin-packages';

/**
 * Everything a run would trip over that its config and the checkpoint headers already show is
 * reported by `validate` and by `run` alike: exit 2, `file:line:col key: message`, and no run
 * folder. The model-probe test plugin builds its model and checks its token ids.
 */

const dir = tempDir('pre-run-');
const probe = path.join(dir, 'probe');
writePluginPackage(probe, { packageName: 'repscope-plugin-model-probe', entry: testPluginEntry('model-probe-plugin') });
const junk = path.join(dir, 'junk');
fs.mkdirSync(junk);
fs.writeFileSync(path.join(junk, 'notes.txt'), 'not a checkpoint');

const TINY = '{ vocabSize: 64, nPositions: 4, nEmbd: 16, nLayer: 1, nHead: 2 }';

function config(name: string, body: string): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, `experiment: model-probe\nplugins: [./probe]\nbackend: cpu\n${body}`);
  return file;
}

async function cli(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const outSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  try {
    const code = await main(args);
    return { code, stderr, stdout };
  } finally {
    errSpy.mockRestore();
    outSpy.mockRestore();
  }
}

const cases: [string, string, RegExp][] = [
  ['nEmbd not divisible by nHead', `model: { kind: gpt2, config: { vocabSize: 64, nPositions: 4, nEmbd: 16, nLayer: 1, nHead: 3 } }\n`, /^\S+\.yaml:4:\d+ model\.config\.nHead: nEmbd \(16\) must be divisible by nHead \(3\)$/],
  ['depth beyond the blocks', `model: { kind: gpt2, weights: ${GPT2_TINY}, depth: 5 }\n`, /^\S+\.yaml:4:\d+ model\.depth: must be <= 2 \(the model has 2 blocks; got 5\)$/],
  ['more tokens than positions', `model: { kind: gpt2, config: ${TINY} }\ntokens: [1, 2, 3, 4, 5]\n`, /^\S+\.yaml:5:\d+ tokens: the input is 5 tokens long, but the model takes at most 4$/],
  ['a token id outside the vocabulary', `model: { kind: gpt2, config: ${TINY} }\ntokens: [1, 64]\n`, /^\S+\.yaml:5:\d+ tokens: token id 64 \(position 1\) is outside the model's vocabulary of 64$/],
  ['weights that do not exist', `model: { kind: gpt2, weights: ./nowhere }\n`, /^\S+\.yaml:4:\d+ model\.weights: \S+nowhere: no such file or folder$/],
  ['weights that are not a checkpoint', `model: { kind: gpt2, weights: ./junk }\n`, /^\S+\.yaml:4:\d+ model\.weights: \S+junk: no model\.safetensors$/],
  ['a token vocabulary the checkpoint contradicts', `model: { kind: gpt2, weights: ${GPT2_TINY}, config: { vocabSize: 100 } }\n`, /^\S+\.yaml:4:\d+ model\.config: the weights \S+ are vocabSize=512 but the config asks for vocabSize=100/],
  ['a YAML nLayer of 1e8', `model: { kind: gpt2, config: { nLayer: 100000000 } }\n`, /^\S+\.yaml:4:\d+ model\.config\.nLayer: must be <= 1024 \(got 100000000\)$/],
  ['a model larger than the machine', `model: { kind: gpt2, config: { nLayer: 1024, nEmbd: 65536, nHead: 64 } }\n`, /^\S+\.yaml:4:\d+ model\.config: gpt2 \(1024 blocks, width 65536, vocabulary 50257\) needs about \d+ TiB for [\d.]+ T float32 parameters, but this machine has [\d.]+ \wiB of memory \([\d.]+ \wiB free\)$/],
  ['an fcnet wider than its embeddings', `model: { kind: fcnet, embeddings: { config: ${TINY} }, sequenceLength: 9 }\n`, /^\S+\.yaml:4:\d+ model\.sequenceLength: must be <= 4, the embeddings' positions \(got 9\)$/],
];

describe('checked before the run', () => {
  test.each(cases)('%s: validate and run both exit 2 with one located line and no run folder', async (name, body, expected) => {
    const file = config(name.replace(/\W+/g, '-'), body);
    const validated = await cli(['validate', file]);
    expect(validated.stderr.trim()).toMatch(expected);
    expect(validated.code).toBe(2);
    const out = path.join(dir, 'runs', name.replace(/\W+/g, '-'));
    const ran = await cli(['run', file, '--out', out]);
    expect(ran.stderr.trim()).toMatch(expected);
    expect(ran.code).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a sweep names the job whose model cannot be built, before any job runs', async () => {
    const file = config('sweep', `model: { kind: gpt2, weights: ${GPT2_TINY} }\nsweep: { grid: { model.depth: [1, 3] } }\n`);
    const validated = await cli(['validate', file]);
    expect(validated.code).toBe(2);
    expect(validated.stderr).toMatch(/model\.depth: must be <= 2 \(the model has 2 blocks; got 3\)/);
  });

  test('a valid checkpoint config passes validate and runs (the checks do not refuse good input)', async () => {
    const file = config('good', `model: { kind: gpt2, weights: ${GPT2_TINY}, depth: 1 }\ntokens: [1, 2, 3]\n`);
    expect((await cli(['validate', file])).code).toBe(0);
    const out = path.join(dir, 'runs', 'good');
    const ran = await cli(['run', file, '--out', out, '--progress', 'silent']);
    expect(ran.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'))['parameters']).toBeGreaterThan(0);
  });

  test('in a real process too: exit 2 and no run folder', () => {
    const file = config('process', `model: { kind: gpt2, weights: ${GPT2_TINY}, depth: 9 }\n`);
    const out = path.join(dir, 'runs', 'process');
    const r = runCli(['run', file, '--out', out], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^process\.yaml:4:\d+ model\.depth: must be <= 2/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('checkpoint folders', () => {
  test('a Hugging Face hub cache snapshot (files are symlinks into ../../blobs) loads', () => {
    const repo = path.join(tempDir('hf-cache-'), 'models--tiny--gpt2');
    const snapshot = path.join(repo, 'snapshots', 'abc123');
    fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true });
    fs.mkdirSync(snapshot, { recursive: true });
    for (const [file, blob] of [
      ['config.json', 'c0ffee'],
      ['model.safetensors', 'beef'],
    ]) {
      fs.copyFileSync(path.join(GPT2_TINY, file!), path.join(repo, 'blobs', blob!));
      fs.symlinkSync(path.join('..', '..', 'blobs', blob!), path.join(snapshot, file!));
    }
    const ckpt = openCheckpoint(snapshot);
    expect(ckpt.config?.['n_layer']).toBe(2);
    expect(ckpt.read('wpe.weight').length).toBe(32 * 64);
  });

  test('the memory estimate counts float32 parameters plus the largest one in transit', () => {
    const shapes = [{ shape: [1000, 10] }, { shape: [10] }];
    expect(checkParameterMemory(shapes, 'm', 1e9)).toEqual({ count: 10010, bytes: 4 * (10010 + 10000) });
    expect(() => checkParameterMemory(shapes, 'tiny model', 80_000)).toThrow(/^tiny model needs about 78\.2 KiB for 10\.0 k float32 parameters, but this machine has 78\.1 KiB of memory/);
  });

  test('on wasm, a model whose parameters and packed matrices exceed the 4 GiB heap is refused with the estimate, the limit and what to do', () => {
    // 2^28 + 2^10 float32 parameters: 1 GiB + 4 KiB as tensors, twice that with XNNPACK's packed copy of the matrix.
    const shapes = [{ shape: [1 << 18, 1 << 10] }, { shape: [1 << 10] }];
    expect(() => checkParameterMemory(shapes, 'm', 64 * 2 ** 30, 'wasm')).not.toThrow();
    const big = [{ shape: [1 << 19, 1 << 12] }, { shape: [1 << 12] }];
    expect(() => checkParameterMemory(big, 'big', 64 * 2 ** 30, 'cpu')).not.toThrow();
    expect(() => checkParameterMemory(big, 'big', 64 * 2 ** 30, 'wasm')).toThrow(
      /^big needs about 16\.0 GiB of the wasm backend's memory \(2\.15 B float32 parameters and XNNPACK's packed copies of its matrices\), but wasm's memory is limited to 4 GiB: use backend tensorflow, webgpu or cpu \(slower\), which do not have this limit, or keep fewer blocks \(depth\)$/,
    );
  });

  test('Qwen3-0.6B (untrained, real dimensions) is refused on wasm before anything is built; on cpu it resolves', async () => {
    const spec = {
      kind: 'qwen3',
      config: { hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, vocab_size: 151936, max_position_embeddings: 40960, tie_word_embeddings: true },
      head: true,
    };
    const qwen3 = builtinModelKind('qwen3')!;
    await useBackend('cpu');
    expect(qwen3.resolve!(spec).parameterCount).toBe(596_049_920);
    await useBackend('wasm');
    expect(() => qwen3.resolve!(spec)).toThrow(/needs about 4\.4 GiB of the wasm backend's memory \(596\.0 M float32 parameters .*limited to 4 GiB: use backend tensorflow, webgpu or cpu/);
    expect(() => qwen3.resolve!({ ...spec, depth: 20 })).not.toThrow();
  });
});
