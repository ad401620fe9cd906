import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FIXTURES, readExpected, relativeError, TEST_BACKENDS, useBackend } from '@repscope/test-support';
import { builtinModelKind } from '../builtin-kinds';
import { Rng } from '../../util/rng';
import type { TokenModel } from '../types';

// Tiny random checkpoints in Hugging Face layout (real vocabularies, BF16/F16 weights, qwen2 in
// two shards) with activations from an independent float64 PyTorch implementation
// (../shared/fixtures/families). Parity: max|Δ| / max|ref| ≤ 1e-4 per tensor.
const FAMILIES = ['llama', 'qwen2', 'qwen3', 'gemma3_text'] as const;
const dirOf = (family: string) => path.join(FIXTURES, 'families', family);

async function load(family: string, head: boolean): Promise<TokenModel> {
  return (await builtinModelKind(family)!.create({ kind: family, weights: dirOf(family), head, finalNorm: true }, { seed: 0, rng: new Rng(0), log: () => {} })) as TokenModel;
}

describe.each(FAMILIES)('%s matches the reference implementation', (family) => {
  beforeAll(() => useBackend('cpu'));

  test.each(TEST_BACKENDS)('every stored hook point within 1e-4 of the reference, relative to its largest value (%s)', async (backend) => {
    await useBackend(backend);
    const { meta, tensors } = readExpected(dirOf(family));
    const ids = meta['token_ids'] as number[];
    const model = await load(family, true);
    try {
      const names = [...tensors.keys()];
      const { output, cache } = model.runWithCache(model.embed([ids]), names);
      for (const name of names) {
        const expected = tensors.get(name)!;
        const actual = await cache[name]!.data();
        expect({ name, shape: cache[name]!.shape }).toEqual({ name, shape: expected.shape });
        const error = relativeError(actual, expected.data);
        expect({ name, error, ok: error <= 1e-4 }).toMatchObject({ name, ok: true });
      }
      tf.dispose([output, ...Object.values(cache)]);
    } finally {
      model.dispose();
    }
  });

  test('depth and head mean what they mean for GPT-2; the residual stream starts at the token embedding', async () => {
    await useBackend('cpu');
    const { meta, tensors } = readExpected(dirOf(family));
    const ids = meta['token_ids'] as number[];
    const kind = builtinModelKind(family)!;
    const truncated = (await kind.create({ kind: family, weights: dirOf(family), depth: 1, head: false }, { seed: 0, rng: new Rng(0), log: () => {} })) as TokenModel;
    try {
      expect(truncated.hookPoints()).not.toContain('blocks.1.hook_resid_pre');
      const out = truncated.forward(truncated.embed([ids]));
      const expected = tensors.get('blocks.0.hook_resid_post')!;
      expect(relativeError(await out.data(), expected.data)).toBeLessThanOrEqual(1e-4);
      out.dispose();
      const embedded = truncated.embed([ids]);
      const pre = tensors.get('blocks.0.hook_resid_pre')!;
      expect(Math.max(...Array.from(await embedded.data(), (v, i) => Math.abs(v - pre.data[i]!)))).toBeLessThanOrEqual(1e-6);
      embedded.dispose();
    } finally {
      truncated.dispose();
    }
  });
});

describe('the tokenizer comes with the checkpoint (tokenizer.json through tokenizers.js)', () => {
  test.each(['llama', 'qwen3'])('%s: the sentence encodes to the ids the reference used, and decodes back', async (family) => {
    const meta = JSON.parse(fs.readFileSync(path.join(dirOf(family), 'expected.json'), 'utf8')) as { sentence: string; token_ids: number[] };
    const shape = builtinModelKind(family)!.resolve!({ kind: family, weights: dirOf(family), head: false });
    expect(shape.tokenizer).toBeDefined();
    expect(shape.tokenizer!.encode(meta.sentence)).toEqual(meta.token_ids);
    expect(shape.tokenizer!.decode(meta.token_ids)).toBe(meta.sentence);
    const model = await load(family, false);
    try {
      expect(model.tokenizer!.encode(meta.sentence)).toEqual(meta.token_ids);
    } finally {
      model.dispose();
    }
  });

  test('a folder without tokenizer.json has no tokenizer (text is then refused before a run)', () => {
    expect(builtinModelKind('qwen2')!.resolve!({ kind: 'qwen2', weights: dirOf('qwen2'), head: false }).tokenizer).toBeUndefined();
  });
});

describe('Llama-shaped kinds refuse what they do not compute', () => {
  test('an unknown rope_scaling type, softcapping and a checkpoint of another family are one line each', () => {
    const kind = builtinModelKind('llama')!;
    const base = JSON.parse(fs.readFileSync(path.join(dirOf('llama'), 'config.json'), 'utf8')) as Record<string, unknown>;
    const refused = (config: Record<string, unknown>) => {
      try {
        kind.resolve!({ kind: 'llama', config, head: false });
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(refused({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toMatch(/rope_scaling type "yarn" is not supported \(supported: llama3, linear, or none\)/);
    expect(refused({ ...base, attn_logit_softcapping: 50 })).toMatch(/attn_logit_softcapping = 50 is not supported for llama/);
    expect(refused({ ...base, num_local_experts: 8 })).toMatch(/num_local_experts = 8 is not supported/);
    expect(refused(base)).toBe('accepted');
    expect(() => builtinModelKind('qwen3')!.resolve!({ kind: 'qwen3', weights: dirOf('llama'), head: false })).toThrow(/is a "llama" checkpoint, not qwen3/);
  });

  test('an untrained model builds from a config block and runs its input gradient', async () => {
    await useBackend('cpu');
    const config = { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 64, max_position_embeddings: 32 };
    const model = (await builtinModelKind('qwen3')!.create({ kind: 'qwen3', config, head: true }, { seed: 3, rng: new Rng(3), log: () => {} })) as TokenModel;
    try {
      const x = model.embed([[1, 2, 3, 4]]);
      const g = tf.grad((input: tf.Tensor) => tf.sum(model.forward(input)))(x);
      expect(g.shape).toEqual([1, 4, 16]);
      expect(Array.from(await g.data()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, g]);
    } finally {
      model.dispose();
    }
  });
});
